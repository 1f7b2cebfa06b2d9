// Package gate runs the Kubernetes API server's own validation on every
// object celestra would write, and on the objects the workload controllers
// would create from them, before anything is written.
//
// It calls the validation code of k8s.io/kubernetes v1.36.3 (the release
// that matches celestra's k8s.io/api v0.36): the handwritten validation of
// pkg/apis/{core,apps,batch,networking,policy,rbac}/validation, on the
// internal types, with the options the API server derives for a create from
// its default feature gates. Each object goes the way a create request goes:
// a copy is put in the request's namespace ("default" when it has none, as
// kubectl does), defaulted with the API server's defaulting functions,
// converted to the internal type, prepared as the registry's create strategy
// prepares it (disabled fields dropped, a Job's generated selector and
// labels), validated by the kind's create validation and then by the common
// metadata validation.
//
// The API server does not validate a StatefulSet's or a CronJob's pod
// template as a Pod, so a StatefulSet it accepts may still get none of its
// Pods. The gate therefore also builds, as the controllers of v1.36.3 build
// them, and validates as creates:
//   - for a StatefulSet, the Pods of its first and last ordinal (named
//     <sts>-<ordinal>, with hostname and subdomain, the pod-name, pod-index
//     and controller-revision-hash labels, the longest revision hash, and the
//     volumeClaimTemplates turned into volumes of the claims
//     <claim>-<sts>-<ordinal>) and those PersistentVolumeClaims;
//   - for a CronJob, the Job it creates for a scheduled time, and that Job's
//     Pod;
//   - for a Job, its Pod, with the labels and finalizer the Job controller
//     adds and a generated name.
//
// The kinds checked are the v1 kinds of those six API groups (celestra
// writes StatefulSet, Service, Secret, ConfigMap, PodDisruptionBudget,
// NetworkPolicy, ServiceAccount, Role, RoleBinding, CronJob, Job and, for
// securityPolicy, the cluster-scoped Namespace). Any
// other kind is passed unchecked: the one other kind celestra writes, the
// Prometheus Operator's ServiceMonitor, is a custom resource, which a
// cluster validates with its CRD's schema, not with this code. A Service is
// given the IP family fields the API server fills in a single-stack IPv4
// cluster. Admission plugins (quotas, limit ranges, Pod Security admission,
// service account token mounts) are not run, and nothing is checked against
// a cluster's state (existing names, node ports, storage classes).
//
// Problems are reported as an *engine.ConfigError naming the app (from the
// app.kubernetes.io/instance label), the object and its file, the field and
// the API server's message. The values of the Secrets checked are taken out
// of every message: wherever one is quoted (as validation quotes a bad
// value), and wherever one of 4 characters or more appears.
package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kubernetes/pkg/apis/apps"
	appsv1 "k8s.io/kubernetes/pkg/apis/apps/v1"
	"k8s.io/kubernetes/pkg/apis/batch"
	batchv1 "k8s.io/kubernetes/pkg/apis/batch/v1"
	"k8s.io/kubernetes/pkg/apis/core"
	corev1 "k8s.io/kubernetes/pkg/apis/core/v1"
	"k8s.io/kubernetes/pkg/apis/networking"
	networkingv1 "k8s.io/kubernetes/pkg/apis/networking/v1"
	"k8s.io/kubernetes/pkg/apis/policy"
	policyv1 "k8s.io/kubernetes/pkg/apis/policy/v1"
	"k8s.io/kubernetes/pkg/apis/rbac"
	rbacv1 "k8s.io/kubernetes/pkg/apis/rbac/v1"

	"github.com/celestra-dev/celestra/internal/engine"
)

// KubernetesVersion is the release whose validation code the gate runs.
const KubernetesVersion = "v1.36.3"

// rule is what a diagnostic names as the rule that was broken.
const rule = "Kubernetes " + KubernetesVersion + " API server validation"

// instanceLabel names the app an object belongs to.
const instanceLabel = "app.kubernetes.io/instance"

// Gate validates objects as the Kubernetes API server would on create. It
// holds a scheme with the API server's types, defaults and conversions.
type Gate struct {
	scheme *runtime.Scheme
}

// New builds a Gate. Its scheme holds, for each API group, the API
// server's internal types and the v1 version with its conversions and
// defaulting functions: what the group's install package registers, less
// the beta versions celestra never writes (3 MB of binary).
func New() (*Gate, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		core.AddToScheme, corev1.AddToScheme, apps.AddToScheme, appsv1.AddToScheme,
		batch.AddToScheme, batchv1.AddToScheme, networking.AddToScheme, networkingv1.AddToScheme,
		policy.AddToScheme, policyv1.AddToScheme, rbac.AddToScheme, rbacv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build the Kubernetes API server scheme: %w", err)
		}
	}
	return &Gate{scheme: s}, nil
}

// Check validates every object, and the objects their controllers would
// create. It returns nil when the API server would accept all of them, or
// an *engine.ConfigError with one diagnostic per refused field.
func (g *Gate) Check(objects []engine.Object) error {
	return g.check("apps.", objects)
}

// CheckEnvironment is Check for the objects of one environment (an overlay):
// its diagnostics name the app as environments.<env>.<app>.
func (g *Gate) CheckEnvironment(env string, objects []engine.Object) error {
	return g.check("environments."+env+".", objects)
}

func (g *Gate) check(appPrefix string, objects []engine.Object) error {
	secrets := newRedactor(objects)
	var diags []engine.Diagnostic
	for _, o := range objects {
		for _, p := range g.validateObject(o) {
			diags = append(diags, diagnostic(appPrefix, o, p, secrets))
		}
	}
	if len(diags) == 0 {
		return nil
	}
	// Validation walks maps in random order: sort for stable output. A
	// field refused by two rules with the same message is reported once.
	slices.SortStableFunc(diags, func(a, b engine.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Message, b.Message))
	})
	return &engine.ConfigError{Diagnostics: slices.CompactFunc(diags, func(a, b engine.Diagnostic) bool { return a.String() == b.String() })}
}

// problem is one refusal: the field errors of the object itself (subject
// "") or of an object its controller would create.
type problem struct {
	// subject is "" for the object itself, else what was built from it:
	// "pod db-0", "job db-backup-29000000", ...
	subject string
	err     *field.Error
	// internal is a failure of the gate itself, not a field error.
	internal error
}

func diagnostic(appPrefix string, o engine.Object, p problem, secrets *redactor) engine.Diagnostic {
	d := engine.Diagnostic{Rule: rule}
	if app := instance(o); app != "" {
		d.Path = appPrefix + app
	} else if appPrefix != "apps." {
		d.Path = strings.TrimSuffix(appPrefix, ".")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s.yaml): ", o.Kind, o.Name, o.Key)
	if p.subject != "" {
		b.WriteString(p.subject + ": ")
	}
	switch {
	case p.internal != nil:
		b.WriteString(p.internal.Error())
	default:
		b.WriteString(secrets.fieldError(o, p.subject, p.err))
	}
	d.Message = secrets.text(b.String())
	return d
}

// instance is the app an object belongs to, from its
// app.kubernetes.io/instance label.
func instance(o engine.Object) string {
	if o.Typed == nil {
		return ""
	}
	type labelled interface{ GetLabels() map[string]string }
	if l, ok := o.Typed.(labelled); ok {
		return l.GetLabels()[instanceLabel]
	}
	return ""
}
