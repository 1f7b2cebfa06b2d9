package helm_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	helmengine "helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/exporters/helm"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
	"github.com/celestra-dev/celestra/internal/testcases"
)

// cases are every example and testdata case (see internal/testcases).
func cases(t *testing.T) map[string]string { return testcases.All(t) }

// exported is one configuration and its chart.
type exported struct {
	result *engine.Result
	files  exporters.Files
	dir    string // the chart's folder
	chart  *chart.Chart
	// namespace is the release's: the one the configuration names, so that
	// the default render can equal the YAML export.
	namespace string
}

func exportDir(t *testing.T, l *engine.Loader, dir string) *exported {
	t.Helper()
	r, err := l.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return exportResult(t, r)
}

func exportResult(t *testing.T, r *engine.Result) *exported {
	t.Helper()
	files, err := helm.Exporter{}.Export(r)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	dir, ch := exporttest.LoadChart(t, files)
	yamlObjects, err := exporttest.YAMLExport(r)
	if err != nil {
		t.Fatal(err)
	}
	return &exported{result: r, files: files, dir: dir, chart: ch, namespace: exporttest.ReleaseNamespace(yamlObjects)}
}

// objects are parsed Kubernetes objects keyed by "Kind/name".
type objects = exporttest.Objects

// render runs Helm's engine with the chart's values and the overrides, as
// helm template -n <the configuration's namespace> does.
func (e *exported) render(overrides map[string]any) (objects, error) {
	return exporttest.RenderChartIn(e.chart, overrides, e.namespace)
}

// yamlExport is what the YAML export writes, read back as kubectl reads it.
func yamlExport(t *testing.T, r *engine.Result) objects {
	t.Helper()
	out, err := exporttest.YAMLExport(r)
	if err != nil {
		t.Fatalf("YAML export: %v", err)
	}
	return out
}

// TestCharts exports every case as a chart and checks it with Helm's own
// packages: lint, the default render against the YAML export, what each
// value changes, and determinism.
func TestCharts(t *testing.T) {
	l := exporttest.NewLoader(t)
	for name, dir := range cases(t) {
		t.Run(name, func(t *testing.T) {
			e := exportDir(t, l, dir)
			t.Run("default render", func(t *testing.T) { checkDefaultRender(t, e) })
			t.Run("values", func(t *testing.T) { checkValues(t, e) })
			t.Run("deterministic", func(t *testing.T) { checkDeterministic(t, l, dir, e) })
		})
	}
}

// checkDefaultRender: helm lint --strict is clean, and the chart with its
// default values renders exactly the YAML export's objects.
func checkDefaultRender(t *testing.T, e *exported) {
	t.Helper()
	lintStrict(t, e.dir)
	got, err := e.render(nil)
	if err != nil {
		t.Fatalf("render with default values: %v", err)
	}
	if diff := exporttest.DiffObjects(yamlExport(t, e.result), got); len(diff) > 0 {
		t.Fatalf("the default render differs from the YAML export:\n%s", strings.Join(diff, "\n"))
	}
	notes, err := helmengine.Engine{Strict: true}.Render(e.chart, mustValues(t, e, nil))
	if err != nil {
		t.Fatal(err)
	}
	for n, text := range notes {
		if strings.HasSuffix(n, "NOTES.txt") && !strings.Contains(text, "svc.cluster.local") {
			t.Errorf("NOTES.txt says nothing about how to connect:\n%s", text)
		}
	}
}

func mustValues(t *testing.T, e *exported, overrides map[string]any) chartutil.Values {
	t.Helper()
	vals, err := chartutil.ToRenderValues(e.chart, overrides,
		chartutil.ReleaseOptions{Name: "test", Namespace: "default", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// lintStrict runs Helm's linter and fails on warnings, as helm lint --strict.
func lintStrict(t *testing.T, dir string) {
	t.Helper()
	linter := lint.All(dir, nil, "default", false)
	for _, m := range linter.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint --strict: %s", m.Error())
		} else {
			t.Logf("helm lint: %s", m.Error())
		}
	}
}

// changedPaths are the "Kind/name path" of each difference, without values.
func changedPaths(diff []string) []string {
	var out []string
	for _, d := range diff {
		if i := strings.Index(d, ": "); i >= 0 && !strings.HasSuffix(d, ": missing") && !strings.HasSuffix(d, ": unexpected") {
			d = d[:i]
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// appValues reads the values.yaml section of each app.
func appValues(t *testing.T, e *exported) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for k, v := range e.chart.Values {
		if m, ok := v.(map[string]any); ok {
			out[k] = m
		}
	}
	if len(out) == 0 {
		t.Fatal("values.yaml has no app section")
	}
	return out
}

func set(app string, v map[string]any) map[string]any {
	return map[string]any{app: v}
}

// checkValues sets each value to something else and
// checks which fields of which objects change, against what the YAML
// export says those fields are.
func checkValues(t *testing.T, e *exported) {
	t.Helper()
	base, err := e.render(nil)
	if err != nil {
		t.Fatal(err)
	}
	for app, vals := range appValues(t, e) {
		sts := fmt.Sprintf("StatefulSet/%s", app)
		expect := func(what string, overrides map[string]any, want []string) {
			t.Helper()
			got, err := e.render(overrides)
			if err != nil {
				t.Fatalf("%s: %s: %v", app, what, err)
			}
			paths := changedPaths(exporttest.DiffObjects(base, got))
			sort.Strings(want)
			if !reflect.DeepEqual(paths, want) {
				t.Errorf("%s: %s changed\n  %s\nwant\n  %s", app, what, strings.Join(paths, "\n  "), strings.Join(want, "\n  "))
			}
		}

		// replicas: 5 when allowed, else another allowed count.
		if _, ok := vals["replicas"]; ok {
			current := int(vals["replicas"].(float64))
			n := -1
			for _, c := range []int{5, 0, 1, 2, 3, current + 1} {
				if c == current {
					continue
				}
				if _, err := e.render(set(app, map[string]any{"replicas": c})); err == nil {
					n = c
					break
				} else if c == 5 && !strings.Contains(err.Error(), "replicas") {
					t.Errorf("%s: replicas 5 refused without naming replicas: %v", app, err)
				}
			}
			if n >= 0 {
				want := []string{sts + " spec.replicas"}
				if _, ok := base["PodDisruptionBudget/"+app]; ok && n <= 1 {
					want = append(want, "PodDisruptionBudget/"+app+": missing")
				}
				expect(fmt.Sprintf("replicas %d", n), set(app, map[string]any{"replicas": n}), want)
			}
		}

		// image tag: every container that ran the app's image.
		if img, ok := vals["image"].(map[string]any); ok {
			main := containerImage(base[sts], app)
			want := imagePaths(base, main)
			if len(want) == 0 {
				t.Fatalf("%s: no container runs %s", app, main)
			}
			expect("image.tag", set(app, map[string]any{"image": map[string]any{"tag": "celestra-test"}}), want)
			got, _ := e.render(set(app, map[string]any{"image": map[string]any{"tag": "celestra-test"}}))
			wantImage := img["repository"].(string) + ":celestra-test"
			if d, _ := img["digest"].(string); d != "" {
				wantImage += "@" + d
			}
			if c := containerImage(got[sts], app); c != wantImage {
				t.Errorf("%s: image with tag celestra-test is %s, want %s", app, c, wantImage)
			}
		}

		// storage size: the claim template's request only.
		if _, ok := vals["storage"]; ok {
			idx := claimIndex(base[sts], "data")
			expect("storage.size", set(app, map[string]any{"storage": map[string]any{"size": "123Gi"}}),
				[]string{fmt.Sprintf("%s spec.volumeClaimTemplates.%d.spec.resources.requests.storage", sts, idx)})
		}

		// resources: the app's container only.
		if _, ok := vals["resources"]; ok {
			idx := containerIndex(base[sts], app)
			got, err := e.render(set(app, map[string]any{"resources": map[string]any{"requests": map[string]any{"cpu": "123m"}}}))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range changedPaths(exporttest.DiffObjects(base, got)) {
				if !strings.HasPrefix(p, fmt.Sprintf("%s spec.template.spec.containers.%d.resources", sts, idx)) {
					t.Errorf("%s: resources changed %s", app, p)
				}
			}
			c := containers(got[sts])[idx]
			if cpu := fmt.Sprint(c["resources"].(map[string]any)["requests"].(map[string]any)["cpu"]); cpu != "123m" {
				t.Errorf("%s: cpu request is %s, want 123m", app, cpu)
			}
		}

		// env: a new variable in the app's container only.
		if _, ok := vals["env"]; ok {
			idx := containerIndex(base[sts], app)
			got, err := e.render(set(app, map[string]any{"env": map[string]any{"CELESTRA_TEST": "a {{ b }}"}}))
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%s spec.template.spec.containers.%d.env", sts, idx)
			for _, p := range changedPaths(exporttest.DiffObjects(base, got)) {
				if p != want && p != want+": unexpected" {
					t.Errorf("%s: env changed %s", app, p)
				}
			}
			found := false
			for _, ev := range containers(got[sts])[idx]["env"].([]any) {
				m := ev.(map[string]any)
				if m["name"] == "CELESTRA_TEST" && m["value"] == "a {{ b }}" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: env CELESTRA_TEST not rendered", app)
			}
		}

		// expose: the client Service.
		if ex, ok := vals["expose"].(map[string]any); ok {
			svc := "Service/" + app
			if ex["enabled"] == true {
				expect("expose.enabled false", set(app, map[string]any{"expose": map[string]any{"enabled": false}}), []string{svc + ": missing"})
				expect("expose.type NodePort", set(app, map[string]any{"expose": map[string]any{"type": "NodePort"}}), []string{svc + " spec.type"})
			} else {
				expect("expose.enabled true", set(app, map[string]any{"expose": map[string]any{"enabled": true}}), []string{svc + ": unexpected"})
			}
		}

		// server settings: the app's container's arguments, or a
		// ConfigMap file and the pods' config hash.
		for key := range vals {
			if !strings.HasSuffix(key, "Config") {
				continue
			}
			idx := containerIndex(base[sts], app)
			got, err := e.render(set(app, map[string]any{key: map[string]any{"celestra_test": "on"}}))
			if err != nil {
				t.Fatal(err)
			}
			argsPath := fmt.Sprintf("%s spec.template.spec.containers.%d.args", sts, idx)
			hashPath := sts + " spec.template.metadata.annotations.celestra.dev/config-hash"
			var inArgs, inFile, hash bool
			for _, p := range changedPaths(exporttest.DiffObjects(base, got)) {
				switch {
				case p == argsPath:
					inArgs = strings.Contains(fmt.Sprint(containers(got[sts])[idx]["args"]), "celestra_test")
				case p == hashPath:
					hash = true
				case strings.HasPrefix(p, "ConfigMap/") && strings.Contains(p, " data."):
					cm := strings.SplitN(p, " ", 2)
					inFile = strings.Contains(fmt.Sprint(got[cm[0]]["data"]), "celestra_test")
				default:
					t.Errorf("%s: %s changed %s", app, key, p)
				}
			}
			switch {
			case inArgs && !inFile && !hash:
			case inFile && hash && !inArgs:
			default:
				t.Errorf("%s: %s.celestra_test: in the arguments %v, in a ConfigMap %v, config hash changed %v", app, key, inArgs, inFile, hash)
			}
		}

		// backup schedule: the CronJobs that ran on it.
		if b, ok := vals["backup"].(map[string]any); ok {
			var want []string
			for k, o := range base {
				if strings.HasPrefix(k, "CronJob/") && o["spec"].(map[string]any)["schedule"] == b["schedule"] {
					want = append(want, k+" spec.schedule")
				}
			}
			expect("backup.schedule", set(app, map[string]any{"backup": map[string]any{"schedule": "17 3 * * 1"}}), want)
		}
	}
}

// TestSchemaRejectsBadValues: values.schema.json carries the CUE rules.
func TestSchemaRejectsBadValues(t *testing.T) {
	l := exporttest.NewLoader(t)
	e := exportDir(t, l, "../../examples/postgres")
	for _, c := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"negative replicas", map[string]any{"replicas": -1}, "replicas"},
		{"replicas as text", map[string]any{"replicas": "three"}, "replicas"},
		{"storage size not a quantity", map[string]any{"storage": map[string]any{"size": "lots"}}, "size"},
		{"storage class not a name", map[string]any{"storage": map[string]any{"storageClass": "Fast SSD"}}, "storageClass"},
		{"cpu not a quantity", map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": "4 cores"}}}, "cpu"},
		{"env name", map[string]any{"env": map[string]any{"1BAD": "x"}}, "1BAD"},
		{"env value not a string", map[string]any{"env": map[string]any{"GOOD": 3}}, "GOOD"},
		{"expose type", map[string]any{"expose": map[string]any{"type": "Ingress"}}, "type"},
		{"unknown value", map[string]any{"replica": 3}, "replica"},
		{"image with a space", map[string]any{"image": map[string]any{"tag": "1 2"}}, "tag"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.render(set("postgres", c.vals))
			if err == nil {
				t.Fatalf("values %v accepted", c.vals)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("the message does not name %q: %v", c.want, err)
			}
			t.Log(err)
		})
	}
}

// checkDeterministic loads and exports the configuration again and
// expects the same bytes.
func checkDeterministic(t *testing.T, l *engine.Loader, dir string, first *exported) {
	r, err := l.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := (helm.Exporter{}).Export(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(first.files) {
		t.Fatalf("%d files, then %d", len(first.files), len(again))
	}
	for p, data := range first.files {
		if !bytes.Equal(data, again[p]) {
			t.Errorf("%s differs between two exports", p)
		}
	}
}

// TestUserDataIsNotTemplated: text that looks like a Go template in user
// data comes out of Helm unchanged.
func TestUserDataIsNotTemplated(t *testing.T) {
	dir := t.TempDir()
	src := `package tricky

apps: "web-cache": {
	image: "registry.example:5000/team/cache:1.2.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ports: http: port: 8080
	storage: size: "1Gi"
	env: {
		TEMPLATE: "{{ .Values.secret }} and {{- end }}"
		QUOTES: "it's \"quoted\": yes\nsecond line"
	}
	configs: "cache-config": data: "app.tmpl": "Hello {{ .Name }}\n  {{/* comment */}}\n"
	// (A label value could not hold braces: Kubernetes refuses it.)
	annotations: team: "{{oops}}"
}
`
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := exporttest.NewLoader(t).Load(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	e := exportResult(t, r)
	lintStrict(t, e.dir)
	got, err := e.render(nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := exporttest.DiffObjects(yamlExport(t, r), got); len(diff) > 0 {
		t.Fatalf("the default render differs from the YAML export:\n%s", strings.Join(diff, "\n"))
	}
	vals := appValues(t, e)["web-cache"]
	img := vals["image"].(map[string]any)
	if img["repository"] != "registry.example:5000/team/cache" || img["tag"] != "1.2.3" || !strings.HasPrefix(img["digest"].(string), "sha256:") {
		t.Errorf("image split as %v", img)
	}
	// The app is not exposed: the chart can still write its client Service.
	if ex := vals["expose"].(map[string]any); ex["enabled"] != false {
		t.Errorf("expose %v, want enabled false", ex)
	}
}

func containers(obj map[string]any) []map[string]any {
	spec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	var out []map[string]any
	for _, c := range spec["containers"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

func containerIndex(sts map[string]any, name string) int {
	for i, c := range containers(sts) {
		if c["name"] == name {
			return i
		}
	}
	return -1
}

func containerImage(sts map[string]any, name string) string {
	i := containerIndex(sts, name)
	if i < 0 {
		return ""
	}
	return fmt.Sprint(containers(sts)[i]["image"])
}

func claimIndex(sts map[string]any, name string) int {
	for i, c := range sts["spec"].(map[string]any)["volumeClaimTemplates"].([]any) {
		if c.(map[string]any)["metadata"].(map[string]any)["name"] == name {
			return i
		}
	}
	return -1
}

// imagePaths are the paths of every container image equal to img.
func imagePaths(objs objects, img string) []string {
	var out []string
	for k, o := range objs {
		var walk func(at string, v any)
		walk = func(at string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for key, e := range x {
					if key == "containers" || key == "initContainers" {
						if list, ok := e.([]any); ok {
							for i, c := range list {
								if cm, ok := c.(map[string]any); ok && cm["image"] == img {
									out = append(out, fmt.Sprintf("%s %s%s.%d.image", k, at, key, i))
								}
							}
						}
					}
					walk(at+key+".", e)
				}
			case []any:
				for i, e := range x {
					walk(fmt.Sprintf("%s%d.", at, i), e)
				}
			}
		}
		walk("", o)
	}
	sort.Strings(out)
	return out
}
