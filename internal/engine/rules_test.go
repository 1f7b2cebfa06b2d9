package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/core"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
)

// ruleSamples are strings on both sides of Kubernetes' rules for names,
// keys and values.
var ruleSamples = []string{
	"", "a", "A", "0", "-a", "a-", "a_b", "a.b", "a b", "a/b", "a/b/c", "/a", "a/", "example.com/team",
	"Example.com/team", "example.com/Team", "ex_ample.com/team", "example..com/team", "-example.com/team",
	"example.com/-team", "a..b", ".", "..", "..data", ".hidden", "a=b", "1BAD", "_x", "x.y-z_1", "é",
	"app.kubernetes.io/name", strings.Repeat("a", 63), strings.Repeat("a", 64),
	strings.Repeat("a", 253) + "/x", strings.Repeat("a", 254) + "/x", strings.Repeat("a", 253),
	strings.Repeat("a", 254), "a.b/" + strings.Repeat("c", 63), "a.b/" + strings.Repeat("c", 64),
}

// checkRule unifies value with the definition at path of the schemas
// package and tells whether CUE refuses it.
func checkRule(t *testing.T, schemas cue.Value, path, value string) bool {
	t.Helper()
	v := schemas.LookupPath(cue.ParsePath(path)).Unify(schemas.Context().CompileString(value))
	return v.Validate(cue.Concrete(true)) != nil
}

// TestRulesAgreeWithKubernetes holds celestra's CUE rules for names, keys,
// values and quantities to the validation functions of k8s.io/apimachinery,
// the code the API server runs: on every sample, both accept or both refuse.
func TestRulesAgreeWithKubernetes(t *testing.T) {
	l := newTestLoader(t)
	schemas, err := l.embeddedPackage("./schemas")
	if err != nil {
		t.Fatal(err)
	}
	type rule struct {
		name       string
		cue        func(s string) (path, value string)
		kubernetes func(s string) bool // true when Kubernetes accepts s
	}
	rules := []rule{
		{"label key", func(s string) (string, string) { return "#Labels", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsQualifiedName(s)) == 0 }},
		{"label value", func(s string) (string, string) { return "#Labels", fmt.Sprintf("{k: %s}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsValidLabelValue(s)) == 0 }},
		{"annotation key", func(s string) (string, string) {
			return "#Annotations", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s))
		}, func(s string) bool { return len(validation.IsQualifiedName(strings.ToLower(s))) == 0 }},
		{"environment variable name", func(s string) (string, string) { return "#EnvMap", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsEnvVarName(s)) == 0 }},
		{"object name", func(s string) (string, string) { return "#Name", strconv.Quote(s) },
			func(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }},
		{"Secret or ConfigMap key", func(s string) (string, string) {
			return "#StatefulApp", fmt.Sprintf("{name: \"a\", image: \"x\", configs: c: data: %s: \"v\"}", strconv.Quote(s))
		}, func(s string) bool { return len(validation.IsConfigMapKey(s)) == 0 }},
	}
	for _, r := range rules {
		for _, s := range ruleSamples {
			path, value := r.cue(s)
			refused := checkRule(t, schemas, path, value)
			if accepted := r.kubernetes(s); accepted == refused {
				t.Errorf("%s %q: Kubernetes accepts it: %v, celestra refuses it: %v", r.name, s, accepted, refused)
			}
		}
	}

	// Quantities: celestra takes unsigned quantities below 8Ei (Kubernetes
	// also keeps larger ones written with an exponent, such as 1e400).
	for _, s := range []string{"1", "1n", "1u", "500m", "2Gi", "1.5Gi", ".5", "5.", "1e3", "1E3", "1e-3", "1e+3",
		"0", "1Ki", "1k", "1ki", "1K", "2 Gi", "", "Gi", "1e400", "1e18", "7Ei", "1E", "7E", "10E", "1x", "1.2.3", "1e", "9223372036854775807"} {
		q, err := resource.ParseQuantity(s)
		// (Kubernetes reads a bare suffix such as "Gi" as zero; celestra
		// asks for a number.)
		accepted := err == nil && q.Cmp(resource.MustParse("8Ei")) < 0 && strings.ContainsAny(s, "0123456789")
		if refused := checkRule(t, schemas, "#Quantity", strconv.Quote(s)); accepted == refused {
			t.Errorf("quantity %q: Kubernetes (up to 8Ei) accepts it: %v, celestra refuses it: %v", s, accepted, refused)
		}
	}
	// Kubernetes cuts larger quantities down to 2^63-1 without a word:
	// celestra refuses them.
	for _, s := range []string{"8Ei", "9Ei", "16Ei"} {
		if q := resource.MustParse(s); q.Value() != math.MaxInt64 {
			t.Fatalf("%s: Kubernetes reads %s, not 2^63-1", s, q.String())
		}
		if !checkRule(t, schemas, "#Quantity", strconv.Quote(s)) {
			t.Errorf("quantity %q: Kubernetes cuts it down to 2^63-1, celestra accepts it", s)
		}
	}
}

// apiServerPodOptions are the options the API server validates a new Pod
// with, from its default feature gates.
func apiServerPodOptions() corevalidation.PodValidationOptions {
	return podutil.GetValidationOptionsFromPodSpecAndMeta(&core.PodSpec{}, nil, &metav1.ObjectMeta{}, nil)
}

// TestTolerationRuleAgreesWithKubernetes holds #Toleration to the API
// server's ValidateTolerations: keys, operators, values, effects and
// tolerationSeconds, alone and together; both accept or both refuse.
func TestTolerationRuleAgreesWithKubernetes(t *testing.T) {
	l := newTestLoader(t)
	schemas, err := l.embeddedPackage("./schemas")
	if err != nil {
		t.Fatal(err)
	}
	type toleration struct {
		key, operator, value, effect *string
		seconds                      *int64
	}
	str := func(s string) *string { return &s }
	var samples []toleration
	for _, k := range ruleSamples {
		samples = append(samples, toleration{key: str(k), operator: str("Exists")}, toleration{key: str(k)})
	}
	for _, v := range ruleSamples {
		samples = append(samples, toleration{key: str("k"), value: str(v)}, toleration{key: str("k"), operator: str("Equal"), value: str(v)},
			toleration{key: str("k"), operator: str("Exists"), value: str(v)})
	}
	operators := []*string{nil, str(""), str("Equal"), str("Exists"), str("Lt"), str("Gt"), str("In"), str("exists")}
	effects := []*string{nil, str(""), str("NoSchedule"), str("PreferNoSchedule"), str("NoExecute"), str("NoScheduleNoAdmit"), str("noexecute")}
	seconds := int64(30)
	for _, key := range []*string{nil, str(""), str("k")} {
		for _, op := range operators {
			for _, value := range []*string{nil, str(""), str("1"), str("a b")} {
				samples = append(samples, toleration{key: key, operator: op, value: value})
			}
		}
	}
	for _, e := range effects {
		for _, s := range []*int64{nil, &seconds} {
			samples = append(samples, toleration{key: str("k"), effect: e, seconds: s})
		}
	}
	opts := apiServerPodOptions()
	for _, s := range samples {
		var fields []string
		var kube core.Toleration
		if s.key != nil {
			fields, kube.Key = append(fields, "key: "+strconv.Quote(*s.key)), *s.key
		}
		if s.operator != nil {
			fields, kube.Operator = append(fields, "operator: "+strconv.Quote(*s.operator)), core.TolerationOperator(*s.operator)
		}
		if s.value != nil {
			fields, kube.Value = append(fields, "value: "+strconv.Quote(*s.value)), *s.value
		}
		if s.effect != nil {
			fields, kube.Effect = append(fields, "effect: "+strconv.Quote(*s.effect)), core.TaintEffect(*s.effect)
		}
		if s.seconds != nil {
			fields, kube.TolerationSeconds = append(fields, fmt.Sprintf("tolerationSeconds: %d", *s.seconds)), s.seconds
		}
		value := "{#used: true, " + strings.Join(fields, ", ") + "}"
		refused := checkRule(t, schemas, "#Toleration", value)
		errs := corevalidation.ValidateTolerations([]core.Toleration{kube}, field.NewPath("tolerations"), opts)
		if accepted := len(errs) == 0; accepted == refused {
			t.Errorf("toleration %s: Kubernetes accepts it: %v %v, celestra refuses it: %v", value, accepted, errs, refused)
		}
	}
}

// TestFieldEnvRuleAgreesWithKubernetes holds #FieldEnvMap's field paths to
// the API server's ValidateEnv for an env var read with fieldRef (the
// downward API's paths, and labels['<key>'] or annotations['<key>']).
func TestFieldEnvRuleAgreesWithKubernetes(t *testing.T) {
	l := newTestLoader(t)
	schemas, err := l.embeddedPackage("./schemas")
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
		"status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs", "spec.host", "metadata.labels",
		"metadata.annotations", "spec.restartPolicy", "spec.schedulerName", "status.phase", "metadata.generateName",
		"", "a b", " metadata.name", "metadata.name ", "metadata.name\n", "Metadata.name", "metadata.labels[app]",
		"metadata.labels['app']x", "metadata.labels['app", "metadata.labels[''app']", "spec.labels['app']",
		"metadata.name['app']", "['app']", "metadata.labels['a']['b']", "metadata.labels['a\nb']",
		"metadata.annotations['a\nb']", "metadata.labels[\"app\"]",
	}
	for _, s := range ruleSamples {
		paths = append(paths, "metadata.labels['"+s+"']", "metadata.annotations['"+s+"']")
	}
	opts := apiServerPodOptions()
	for _, p := range paths {
		refused := checkRule(t, schemas, "#FieldEnvMap", fmt.Sprintf("{X: %s}", strconv.Quote(p)))
		env := core.EnvVar{Name: "X", ValueFrom: &core.EnvVarSource{FieldRef: &core.ObjectFieldSelector{APIVersion: "v1", FieldPath: p}}}
		errs := corevalidation.ValidateEnv([]core.EnvVar{env}, field.NewPath("env"), opts)
		if accepted := len(errs) == 0; accepted == refused {
			t.Errorf("fieldEnv path %q: Kubernetes accepts it: %v %v, celestra refuses it: %v", p, accepted, errs, refused)
		}
	}
}

// TestImageRuleCoversKubernetes: every image Kubernetes refuses in a Pod
// (empty, or with white space at either end), #Image refuses too. #Image
// is stricter: it also refuses white space and control characters inside,
// which no registry serves; plain references pass.
func TestImageRuleCoversKubernetes(t *testing.T) {
	l := newTestLoader(t)
	schemas, err := l.embeddedPackage("./schemas")
	if err != nil {
		t.Fatal(err)
	}
	grace := int64(30)
	pod := func(image string) *core.Pod {
		return &core.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"},
			Spec: core.PodSpec{
				Containers: []core.Container{{
					Name: "c", Image: image, ImagePullPolicy: core.PullIfNotPresent,
					TerminationMessagePolicy: core.TerminationMessageReadFile,
				}},
				RestartPolicy: core.RestartPolicyAlways, DNSPolicy: core.DNSClusterFirst,
				SecurityContext: &core.PodSecurityContext{}, SchedulerName: "default-scheduler",
				TerminationGracePeriodSeconds: &grace,
			},
		}
	}
	opts := apiServerPodOptions()
	if errs := corevalidation.ValidatePodCreate(pod("x:1"), opts); len(errs) > 0 {
		t.Fatalf("the sample Pod is refused: %v", errs)
	}
	for _, s := range []string{
		"", " ", "x:1 ", " x:1", "x:1\n", "\tx:1", "x:1\v", "x:1\u0085", "x:1\u00a0", "\u2028x:1", "x:1\u3000",
		"x 1", "x\x01:1", "x\x7f", "postgres:17", "registry.example:5000/team/app:1.0",
		"postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "é", "y",
	} {
		refused := checkRule(t, schemas, "#Image", strconv.Quote(s))
		kubeRefuses := len(corevalidation.ValidatePodCreate(pod(s), opts)) > 0
		inside := strings.TrimSpace(s) == s && strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
		switch {
		case kubeRefuses && !refused:
			t.Errorf("image %q: Kubernetes refuses it in a Pod, celestra accepts it", s)
		case !kubeRefuses && !inside && refused:
			t.Errorf("image %q: celestra refuses a reference Kubernetes and registries take", s)
		case inside && !refused:
			t.Errorf("image %q: celestra accepts white space or a control character inside", s)
		}
	}
}
