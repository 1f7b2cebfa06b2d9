package gate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	pvcutil "k8s.io/kubernetes/pkg/api/persistentvolumeclaim"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/apps"
	appsvalidation "k8s.io/kubernetes/pkg/apis/apps/validation"
	"k8s.io/kubernetes/pkg/apis/batch"
	batchvalidation "k8s.io/kubernetes/pkg/apis/batch/validation"
	"k8s.io/kubernetes/pkg/apis/core"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/apis/networking"
	networkingvalidation "k8s.io/kubernetes/pkg/apis/networking/validation"
	"k8s.io/kubernetes/pkg/apis/policy"
	policyvalidation "k8s.io/kubernetes/pkg/apis/policy/validation"
	"k8s.io/kubernetes/pkg/apis/rbac"
	rbacvalidation "k8s.io/kubernetes/pkg/apis/rbac/validation"
	netutils "k8s.io/utils/net"

	"github.com/celestra-dev/celestra/internal/engine"
)

// requestNamespace is the namespace of a create request for an object that
// names none: kubectl's default.
const requestNamespace = "default"

// uid is the UID the API server would give an object: the Job controller's
// labels and every owner reference carry one.
const uid = types.UID("00000000-0000-4000-8000-000000000000")

// validateObject validates o as a create, then what its controller would
// create from it.
func (g *Gate) validateObject(o engine.Object) []problem {
	if o.Typed == nil {
		return []problem{{internal: fmt.Errorf("no typed object to validate")}}
	}
	if !g.scheme.Recognizes(o.Typed.GetObjectKind().GroupVersionKind()) {
		// Not a kind of the API server's built-in groups (a custom
		// resource such as a ServiceMonitor): nothing to run.
		return nil
	}
	return g.validate("", o.Typed)
}

// validate validates obj as a create and, when the API server would accept
// it, the objects its controller would create from it (and theirs).
func (g *Gate) validate(subject string, obj runtime.Object) []problem {
	stored, errs, err := g.create(obj)
	if err != nil {
		return []problem{{subject: subject, internal: err}}
	}
	if len(errs) > 0 {
		// Refused: its controller never runs.
		return fieldProblems(subject, errs)
	}
	var problems []problem
	for _, c := range children(stored) {
		if subject != "" {
			c.subject = subject + ": " + c.subject
		}
		problems = append(problems, g.validate(c.subject, c.object)...)
	}
	return problems
}

func fieldProblems(subject string, errs field.ErrorList) []problem {
	out := make([]problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, problem{subject: subject, err: e})
	}
	return out
}

// create runs what the API server runs on a create request for obj (a
// k8s.io/api object, left unchanged): namespace, defaults, conversion to the
// internal type, the create strategy's preparation and validation, then the
// common metadata validation. It returns the object as it would be stored,
// in obj's version, for the controllers.
func (g *Gate) create(obj runtime.Object) (runtime.Object, field.ErrorList, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Empty() {
		kinds, _, err := g.scheme.ObjectKinds(obj)
		if err != nil {
			return nil, nil, fmt.Errorf("kind of %T: %w", obj, err)
		}
		gvk = kinds[0]
	}
	versioned := obj.DeepCopyObject()
	g.scheme.Default(versioned)
	internal, err := g.scheme.New(schema.GroupVersionKind{Group: gvk.Group, Version: runtime.APIVersionInternal, Kind: gvk.Kind})
	if err != nil {
		return nil, nil, fmt.Errorf("%s has no internal type: %w", gvk.Kind, err)
	}
	if err := g.scheme.Convert(versioned, internal, nil); err != nil {
		return nil, nil, fmt.Errorf("convert %s to the API server's type: %w", gvk.Kind, err)
	}
	objMeta, err := meta.Accessor(internal)
	if err != nil {
		return nil, nil, fmt.Errorf("%s has no object metadata: %w", gvk.Kind, err)
	}
	// A Namespace is cluster-scoped: its create request names no namespace.
	_, clusterScoped := internal.(*core.Namespace)
	if objMeta.GetNamespace() == "" && !clusterScoped {
		objMeta.SetNamespace(requestNamespace)
	}
	objMeta.SetUID(uid)

	errs, err := prepareAndValidate(internal)
	if err != nil {
		return nil, nil, err
	}
	if len(errs) == 0 {
		// As rest.BeforeCreate: the common metadata rules run once the
		// kind's own validation has passed.
		errs = apimachineryvalidation.ValidateObjectMetaAccessor(objMeta, !clusterScoped, path.ValidatePathSegmentName, field.NewPath("metadata"))
	}
	out, err := g.scheme.New(gvk)
	if err != nil {
		return nil, nil, err
	}
	if err := g.scheme.Convert(internal, out, nil); err != nil {
		return nil, nil, fmt.Errorf("convert %s back from the API server's type: %w", gvk.Kind, err)
	}
	out.GetObjectKind().SetGroupVersionKind(gvk)
	return out, errs, nil
}

// prepareAndValidate is, for each kind, the registry's create strategy:
// PrepareForCreate (what changes the validated object) and Validate, with
// the options the strategy derives for a create.
func prepareAndValidate(obj runtime.Object) (field.ErrorList, error) {
	switch o := obj.(type) {
	case *core.ConfigMap:
		return corevalidation.ValidateConfigMap(o), nil
	case *core.Secret:
		return corevalidation.ValidateSecret(o), nil
	case *core.ServiceAccount:
		return corevalidation.ValidateServiceAccount(o), nil
	case *core.Namespace:
		// As the namespace strategy: a new Namespace is Active and holds
		// the kubernetes finalizer.
		o.Status = core.NamespaceStatus{Phase: core.NamespaceActive}
		o.Spec.Finalizers = []core.FinalizerName{core.FinalizerKubernetes}
		return corevalidation.ValidateNamespace(o), nil
	case *core.Service:
		if errs := initServiceIPFields(o); len(errs) > 0 {
			return errs, nil
		}
		o.Status = core.ServiceStatus{}
		return corevalidation.ValidateServiceCreate(o), nil
	case *core.PersistentVolumeClaim:
		o.Status = core.PersistentVolumeClaimStatus{}
		pvcutil.DropDisabledFields(&o.Spec, nil)
		pvcutil.EnforceDataSourceBackwardsCompatibility(&o.Spec, nil)
		pvcutil.NormalizeDataSources(&o.Spec)
		return corevalidation.ValidatePersistentVolumeClaim(o, corevalidation.ValidationOptionsForPersistentVolumeClaim(o, nil)), nil
	case *core.Pod:
		generateName(&o.ObjectMeta.Name, o.ObjectMeta.GenerateName)
		o.Status = core.PodStatus{Phase: core.PodPending}
		o.Generation = 1
		podutil.DropDisabledPodFields(o, nil)
		opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&o.Spec, nil, &o.ObjectMeta, nil)
		opts.ResourceIsPod = true
		return corevalidation.ValidatePodCreate(o, opts), nil
	case *apps.StatefulSet:
		o.Status = apps.StatefulSetStatus{}
		o.Generation = 1
		podutil.DropDisabledTemplateFields(&o.Spec.Template, nil)
		return appsvalidation.ValidateStatefulSet(o, podutil.GetValidationOptionsFromPodTemplate(&o.Spec.Template, nil)), nil
	case *batch.Job:
		generateJobSelector(o)
		o.Status = batch.JobStatus{}
		o.Generation = 1
		podutil.DropDisabledTemplateFields(&o.Spec.Template, nil)
		return batchvalidation.ValidateJob(o, batchvalidation.JobValidationOptions{
			PodValidationOptions:  podutil.GetValidationOptionsFromPodTemplate(&o.Spec.Template, nil),
			RequirePrefixedLabels: true,
		}), nil
	case *batch.CronJob:
		o.Status = batch.CronJobStatus{}
		o.Generation = 1
		podutil.DropDisabledTemplateFields(&o.Spec.JobTemplate.Spec.Template, nil)
		return batchvalidation.ValidateCronJobCreate(o, podutil.GetValidationOptionsFromPodTemplate(&o.Spec.JobTemplate.Spec.Template, nil)), nil
	case *networking.NetworkPolicy:
		o.Generation = 1
		return networkingvalidation.ValidateNetworkPolicy(o, networkingvalidation.ValidationOptionsForNetworking(o, nil)), nil
	case *policy.PodDisruptionBudget:
		o.Status = policy.PodDisruptionBudgetStatus{}
		o.Generation = 1
		return policyvalidation.ValidatePodDisruptionBudget(o, policyvalidation.PodDisruptionBudgetValidationOptions{}), nil
	case *rbac.Role:
		return rbacvalidation.ValidateRole(o), nil
	case *rbac.RoleBinding:
		return rbacvalidation.ValidateRoleBinding(o), nil
	default:
		return nil, fmt.Errorf("the gate does not validate %T", obj)
	}
}

// generateJobSelector is what the Job strategy's PrepareForCreate adds to a
// Job whose selector is not manual: the job-name and controller-uid labels
// on the pod template, and a selector on the controller UID.
func generateJobSelector(job *batch.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	if job.Spec.Template.Labels == nil {
		job.Spec.Template.Labels = map[string]string{}
	}
	for key, value := range map[string]string{
		batch.LegacyJobNameLabel:       job.Name,
		batch.JobNameLabel:             job.Name,
		batch.LegacyControllerUidLabel: string(job.UID),
		batch.ControllerUidLabel:       string(job.UID),
	} {
		if _, set := job.Spec.Template.Labels[key]; !set {
			job.Spec.Template.Labels[key] = value
		}
	}
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{}
	}
	if job.Spec.Selector.MatchLabels == nil {
		job.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, set := job.Spec.Selector.MatchLabels[batch.ControllerUidLabel]; !set {
		job.Spec.Selector.MatchLabels[batch.ControllerUidLabel] = string(job.UID)
	}
}

// maxGeneratedNameLength is the API server's limit on the part of a
// generated name taken from generateName: 63 minus the 5 random characters.
const maxGeneratedNameLength = 58

// generatedSuffix stands for the 5 random characters the API server appends
// to a generateName.
const generatedSuffix = "x7k2q"

// generateName gives an object with a generateName and no name its name, as
// the API server does.
func generateName(name *string, base string) {
	if *name != "" || base == "" {
		return
	}
	if len(base) > maxGeneratedNameLength {
		base = base[:maxGeneratedNameLength]
	}
	*name = base + generatedSuffix
}

// initServiceIPFields is what the Service storage does to a new Service
// before the strategy validates it, in a single-stack IPv4 cluster (the
// default): spec.clusterIPs follows spec.clusterIP, and the IP family policy
// and families are filled in. Cluster IPs and node ports are allocated after
// that in a cluster; validation does not need them.
func initServiceIPFields(svc *core.Service) field.ErrorList {
	if svc.Spec.ClusterIP != "" && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	if svc.Spec.Type == core.ServiceTypeExternalName {
		return nil
	}
	headlessWithoutSelector := svc.Spec.ClusterIP == core.ClusterIPNone && len(svc.Spec.Selector) == 0
	if svc.Spec.IPFamilyPolicy == nil {
		policy := core.IPFamilyPolicySingleStack
		if headlessWithoutSelector {
			policy = core.IPFamilyPolicyRequireDualStack
		}
		svc.Spec.IPFamilyPolicy = &policy
	}
	if errs := corevalidation.ValidateServiceClusterIPsRelatedFields(svc, nil); len(errs) > 0 {
		return errs
	}
	var errs field.ErrorList
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	if *svc.Spec.IPFamilyPolicy == core.IPFamilyPolicySingleStack {
		if len(svc.Spec.ClusterIPs) == 2 {
			errs = append(errs, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy,
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(svc.Spec.IPFamilies) == 2 {
			errs = append(errs, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy,
				"must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	for i, ip := range svc.Spec.ClusterIPs {
		if ip == core.ClusterIPNone {
			break
		}
		if i >= len(svc.Spec.IPFamilies) {
			if netutils.IsIPv6String(ip) {
				errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), svc.Spec.ClusterIPs,
					"IPv6 is not configured on this cluster"))
			} else {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, core.IPv4Protocol)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if headlessWithoutSelector {
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = []core.IPFamily{core.IPv4Protocol}
		}
		if len(svc.Spec.IPFamilies) < 2 && *svc.Spec.IPFamilyPolicy != core.IPFamilyPolicySingleStack {
			other := core.IPv6Protocol
			if svc.Spec.IPFamilies[0] == core.IPv6Protocol {
				other = core.IPv4Protocol
			}
			svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, other)
		}
		return nil
	}
	if *svc.Spec.IPFamilyPolicy == core.IPFamilyPolicyRequireDualStack {
		errs = append(errs, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "this cluster is not configured for dual-stack services"))
	}
	for i, family := range svc.Spec.IPFamilies {
		if family != core.IPv4Protocol {
			errs = append(errs, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), family, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = []core.IPFamily{core.IPv4Protocol}
	}
	return nil
}
