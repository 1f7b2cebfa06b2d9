package gate_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sigsyaml "sigs.k8s.io/yaml"

	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
	"github.com/celestra-dev/celestra/internal/gate"
	"github.com/celestra-dev/celestra/internal/gate/gatetest"
	"github.com/celestra-dev/celestra/internal/testcases"
)

func newGate(t testing.TB) *gate.Gate {
	t.Helper()
	g, err := gate.New()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestEveryCase runs the gate over every example and case: the files of
// the YAML export, read back, and the objects the Compose file is made from
// (the engine's). The Helm and Kustomize outputs are gated in their
// exporters' tests.
func TestEveryCase(t *testing.T) {
	l, g := exporttest.NewLoader(t), newGate(t)
	for name, dir := range testcases.All(t) {
		t.Run(name, func(t *testing.T) {
			r, err := l.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("yaml", func(t *testing.T) {
				files, err := yamlexp.Exporter{}.Export(r)
				if err != nil {
					t.Fatal(err)
				}
				if len(files) != len(r.Objects) {
					t.Fatalf("%d files for %d objects", len(files), len(r.Objects))
				}
				var objects []map[string]any
				for p, data := range files {
					var obj map[string]any
					if err := sigsyaml.Unmarshal(data, &obj); err != nil {
						t.Fatalf("%s: %v", p, err)
					}
					objects = append(objects, obj)
				}
				gatetest.Check(t, l, "", objects)
			})
			t.Run("compose", func(t *testing.T) {
				if err := g.Check(r.Objects); err != nil {
					t.Errorf("the Kubernetes API server's validation refuses:\n%v", err)
				}
			})
		})
	}
}

// TestLeavesObjectsUnchanged: the gate defaults and converts copies.
func TestLeavesObjectsUnchanged(t *testing.T) {
	l, g := exporttest.NewLoader(t), newGate(t)
	r, err := l.Load("../../examples/postgres-backup")
	if err != nil {
		t.Fatal(err)
	}
	before := make([]runtime.Object, len(r.Objects))
	for i, o := range r.Objects {
		before[i] = o.Typed.DeepCopyObject()
	}
	if err := g.Check(r.Objects); err != nil {
		t.Fatal(err)
	}
	for i, o := range r.Objects {
		if !reflect.DeepEqual(before[i], o.Typed) {
			t.Errorf("Check changed %s", o.Key)
		}
	}
}

// object wraps a typed object as the engine returns it.
func object(t testing.TB, typed runtime.Object) engine.Object {
	t.Helper()
	m, ok := typed.(metav1.Object)
	if !ok {
		t.Fatalf("%T has no metadata", typed)
	}
	gvk := typed.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" {
		t.Fatalf("%T has no kind", typed)
	}
	return engine.Object{
		Key:        strings.ToLower(gvk.Kind) + "-" + m.GetName(),
		APIVersion: gvk.GroupVersion().String(),
		Kind:       gvk.Kind,
		Name:       m.GetName(),
		Typed:      typed,
	}
}

// diagnostics runs the gate and returns its diagnostics.
func diagnostics(t *testing.T, check func([]engine.Object) error, objects ...engine.Object) []string {
	t.Helper()
	err := check(objects)
	if err == nil {
		return nil
	}
	var cfgErr *engine.ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("not a ConfigError: %v", err)
	}
	out := make([]string, len(cfgErr.Diagnostics))
	for i, d := range cfgErr.Diagnostics {
		out[i] = d.String()
	}
	return out
}

func appLabels(app string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
}

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
		Data:       data,
	}
}

func secret(name string, typ corev1.SecretType, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
		Type:       typ,
		Data:       map[string][]byte{},
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// podTemplate is a template the API server accepts.
// namespace is a Namespace of the app db, as securityPolicy renders one.
func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
	}
}

func podTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: appLabels("db")},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "db", Image: "postgres:17",
			VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
		}}},
	}
}

func statefulSet(name string, replicas int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: "db-headless",
			Selector:    &metav1.LabelSelector{MatchLabels: appLabels("db")},
			Template:    podTemplate(),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{
						Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
					},
				},
			}},
		},
	}
}

// indexedJob is an Indexed Job whose pod template has one annotation "n"
// with the given value.
func indexedJob(name, annotation string) *batchv1.Job {
	tmpl := podTemplate()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	tmpl.Spec.Containers[0].VolumeMounts = nil
	tmpl.Annotations = map[string]string{"n": annotation}
	mode := batchv1.IndexedCompletion
	completions := int32(2)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
		Spec:       batchv1.JobSpec{CompletionMode: &mode, Completions: &completions, Template: tmpl},
	}
}

// withClaimLabels labels the set's claim template.
func withClaimLabels(set *appsv1.StatefulSet, labels map[string]string) *appsv1.StatefulSet {
	set.Spec.VolumeClaimTemplates[0].Labels = labels
	return set
}

func cronJob(name string, podLabels map[string]string) *batchv1.CronJob {
	tmpl := podTemplate()
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	tmpl.Spec.Containers[0].VolumeMounts = nil
	for k, v := range podLabels {
		tmpl.Labels[k] = v
	}
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: appLabels("db")},
		Spec: batchv1.CronJobSpec{
			Schedule:    "0 2 * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}},
		},
	}
}

// TestValidObjectsPass: the objects the refusal tests break are valid as
// built, with the Pods, claims and Jobs made from them.
func TestValidObjectsPass(t *testing.T) {
	g := newGate(t)
	if d := diagnostics(t, g.Check,
		object(t, configMap("db-config", map[string]string{"a.conf": "x"})),
		object(t, secret("db-secret", corev1.SecretTypeOpaque, map[string]string{"password": "x"})),
		object(t, statefulSet("db", 3)),
		object(t, statefulSet(strings.Repeat("d", 52), 10)),
		object(t, cronJob("db-backup", nil)),
		object(t, indexedJob("db-load", "x")),
		object(t, namespace("shop")),
	); len(d) > 0 {
		t.Fatalf("refused:\n%s", strings.Join(d, "\n"))
	}
}

// TestRefusedObjects: an object the API server refuses is a diagnostic
// naming the app, the object and its file, the field and the API server's
// message.
func TestRefusedObjects(t *testing.T) {
	g := newGate(t)
	long := strings.Repeat("v", 64)
	labelled := configMap("db-config", nil)
	labelled.Labels["tier"] = long
	for _, tc := range []struct {
		name   string
		object runtime.Object
		want   []string
	}{
		{"ConfigMap key ..", configMap("db-config", map[string]string{"..": "x"}),
			[]string{`apps.db: ConfigMap db-config (configmap-db-config.yaml): data[..]: Invalid value: "..": must not be '..' (rule: Kubernetes v1.36.3 API server validation)`}},
		{"label value of 64 characters", labelled,
			[]string{`apps.db: ConfigMap db-config (configmap-db-config.yaml): metadata.labels: Invalid value: "` + long + `": must be no more than 63 bytes`}},
		{"Secret key ..data", secret("db-secret", corev1.SecretTypeOpaque, map[string]string{"..data": "hunter2-value"}),
			[]string{`apps.db: Secret db-secret (secret-db-secret.yaml): data[..data]: Invalid value: "..data": must not start with '..'`}},
		{"Namespace name with a dot", namespace("shop.prod"),
			[]string{`apps.db: Namespace shop.prod (namespace-shop.prod.yaml): metadata.name: Invalid value: "shop.prod": must not contain dots`}},
		{"StatefulSet name of 64 characters", statefulSet(strings.Repeat("d", 64), 1),
			[]string{`apps.db: StatefulSet ` + strings.Repeat("d", 64) + ` (statefulset-` + strings.Repeat("d", 64) + `.yaml): metadata.name: Invalid value:`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diagnostics(t, g.Check, object(t, tc.object))
			if len(got) != len(tc.want) {
				t.Fatalf("%d diagnostics, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, want := range tc.want {
				if !strings.Contains(got[i], want) {
					t.Errorf("diagnostic %d:\n%s\nlacks\n%s", i, got[i], want)
				}
			}
		})
	}
}

// TestRefusedPods: objects the API server accepts, whose controllers'
// Pods or Jobs it refuses.
func TestRefusedPods(t *testing.T) {
	g := newGate(t)
	name53, name61 := strings.Repeat("a", 53), strings.Repeat("b", 61)
	for _, tc := range []struct {
		name   string
		object runtime.Object
		want   []string
		absent []string
	}{
		{
			// The controller's revision label is <name>-<hash of up to
			// 10 characters>, a label value of at most 63.
			"StatefulSet name of 53 characters", statefulSet(name53, 1),
			[]string{`apps.db: StatefulSet ` + name53 + ` (statefulset-` + name53 + `.yaml): pod ` + name53 + `-0: metadata.labels: Invalid value: "` + name53 + `-5d8b4c7f9b": must be no more than 63 bytes`},
			nil,
		},
		{
			// Pod 10's hostname and pod-name label are 64 characters; pod 0's
			// are 63.
			"last ordinal's hostname", statefulSet(name61, 11),
			[]string{
				`pod ` + name61 + `-10: spec.hostname: Invalid value: "` + name61 + `-10": must be no more than 63 characters`,
				`pod ` + name61 + `-10: metadata.labels: Invalid value: "` + name61 + `-10": must be no more than 63 bytes`,
			},
			[]string{`pod ` + name61 + `-0: spec.hostname`},
		},
		{
			// A StatefulSet's validation checks its claim templates' specs,
			// not their metadata: the claims carry it.
			"claim template label of 64 characters", withClaimLabels(statefulSet("db", 1), map[string]string{"tier": strings.Repeat("v", 64)}),
			[]string{`apps.db: StatefulSet db (statefulset-db.yaml): claim data-db-0: metadata.labels: Invalid value: "` + strings.Repeat("v", 64) + `"`},
			[]string{"pod db-0"},
		},
		{
			// The Job controller annotates the Pods of an Indexed Job with
			// their index: template annotations just under the size limit
			// pass on the Job and fail on its Pods.
			"Indexed Job whose Pods are refused", indexedJob("db-load", strings.Repeat("a", 256*1024-10)),
			[]string{`apps.db: Job db-load (job-db-load.yaml): pod db-load-0-x7k2q: metadata.annotations: Too long: may not be more than 262144 bytes`},
			nil,
		},
		{
			// A CronJob whose template sets the Job controller's label: the
			// CronJob is accepted, every Job it creates is refused.
			"CronJob whose Jobs are refused", cronJob("db-backup", map[string]string{"batch.kubernetes.io/controller-uid": "mine"}),
			[]string{"apps.db: CronJob db-backup (cronjob-db-backup.yaml): job db-backup-29453880: spec.template.metadata.labels: Invalid value: ", "`selector` does not match template `labels`"},
			nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(diagnostics(t, g.Check, object(t, tc.object)), "\n")
			if got == "" {
				t.Fatal("accepted")
			}
			for _, line := range strings.Split(got, "\n") {
				if !strings.Contains(line, ": pod ") && !strings.Contains(line, ": job ") && !strings.Contains(line, ": claim ") {
					t.Errorf("the object itself is refused, not what its controller creates:\n%s", line)
				}
			}
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("diagnostics lack %q:\n%s", want, got)
				}
			}
			for _, absent := range tc.absent {
				if strings.Contains(got, absent) {
					t.Errorf("diagnostics have %q:\n%s", absent, got)
				}
			}
		})
	}
}

// TestSecretValuesNeverPrinted: a refused Secret's message names its keys,
// never its values, even where validation quotes the value.
func TestSecretValuesNeverPrinted(t *testing.T) {
	g := newGate(t)
	values := []string{"hunter2-one", "{not json: hunter2-two", "hunter2-three"}
	docker := secret("db-pull", corev1.SecretTypeDockerConfigJson, map[string]string{
		".dockerconfigjson": values[1],
		"..data":            values[0],
	})
	tls := secret("db-tls", corev1.SecretTypeTLS, map[string]string{"tls.key": values[2], "bad key": values[2]})
	got := strings.Join(diagnostics(t, g.Check, object(t, docker), object(t, tls)), "\n")
	for _, want := range []string{
		"Secret db-pull (secret-db-pull.yaml): data[..data]: Invalid value: \"..data\"",
		"Secret db-pull (secret-db-pull.yaml): data[.dockerconfigjson]: Invalid value: \"<redacted>\"",
		"Secret db-tls (secret-db-tls.yaml): data[tls.crt]: Required value",
		"Secret db-tls (secret-db-tls.yaml): data[bad key]: Invalid value: \"bad key\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, got)
		}
	}
	for _, v := range append(values, "hunter2") {
		if strings.Contains(got, v) {
			t.Errorf("a secret value is printed (%q):\n%s", v, got)
		}
	}
}

// TestEnvironmentNamesApp: an environment's objects are named
// environments.<env>.<app>.
func TestEnvironmentNamesApp(t *testing.T) {
	g := newGate(t)
	got := diagnostics(t, func(o []engine.Object) error { return g.CheckEnvironment("production", o) },
		object(t, configMap("db-config", map[string]string{"..": "x"})))
	if len(got) != 1 || !strings.HasPrefix(got[0], "environments.production.db: ConfigMap db-config (configmap-db-config.yaml): data[..]") {
		t.Errorf("got %q", got)
	}
}

// TestCustomResourcesSkipped: the API server has no validation code for a
// ServiceMonitor (its CRD's schema validates it in a cluster); the gate
// passes it as it is.
func TestCustomResourcesSkipped(t *testing.T) {
	g := newGate(t)
	sm := &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
		ObjectMeta: metav1.ObjectMeta{Name: "db", Labels: map[string]string{"x": strings.Repeat("v", 64)}},
	}
	if d := diagnostics(t, g.Check, object(t, sm)); len(d) > 0 {
		t.Errorf("a ServiceMonitor was validated:\n%s", strings.Join(d, "\n"))
	}
}

// BenchmarkCheckPostgres is what the gate adds to an export of the
// postgres example: building the gate, then checking every object.
func BenchmarkCheckPostgres(b *testing.B) {
	r, err := exporttest.NewLoader(b).Load("../../examples/postgres")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g, err := gate.New()
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Check(r.Objects); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVersionIsTheModules: the release the messages name is the one
// go.mod requires.
func TestVersionIsTheModules(t *testing.T) {
	root, err := testcases.Root()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require k8s.io/kubernetes")
	}
	if string(m[1]) != gate.KubernetesVersion {
		t.Errorf("go.mod requires k8s.io/kubernetes %s, the gate says %s", m[1], gate.KubernetesVersion)
	}
}
