package render_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"

	"github.com/celestra-dev/celestra/internal/benchgen"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/modeltest"
	"github.com/celestra-dev/celestra/internal/render"
	"github.com/celestra-dev/celestra/internal/testcases"
	"github.com/celestra-dev/celestra/model"
)

// TestSameAsCUE renders every app of every example and case in Go, from its
// model, and compares each object with the one the CUE renderer gives the
// engine (Result.Objects): the same keys, the same JSON. For configurations
// with environments it does the same for each environment's apps against
// overlays.<env>. Besides the examples and cases, it runs on two
// configurations that use what those leave out (testdata/features here and
// the Compose exporter's) and on internal/benchgen's.
func TestSameAsCUE(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	dirs := testcases.All(t)
	dirs["render-features"] = "testdata/features"
	dirs["compose-features"] = "../../exporters/compose/testdata/features"
	// Two cycles of each of internal/benchgen's mixes: every preset with
	// replicas, backups (point-in-time recovery too), metrics.
	for _, mix := range benchgen.Mixes() {
		dir := t.TempDir()
		if err := benchgen.WriteMix(dir, 14, mix); err != nil {
			t.Fatal(err)
		}
		dirs["benchgen-"+string(mix)] = dir
	}
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			res, err := loader.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			schemas, err := modeltest.Schemas(res.Value.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{}
			for _, o := range res.Objects {
				want[o.Key] = o.JSON
			}
			if len(want) == 0 {
				t.Fatal("the engine rendered no objects")
			}
			apps, err := modeltest.Apps(schemas, res.Value, "apps")
			if err != nil {
				t.Fatal(err)
			}
			typedOnly := map[string]bool{}
			compare(t, loader, typedOnly, "kubernetes", renderAll(t, apps), want)
			t.Logf("%d apps, %d objects", len(apps), len(want))
			defer func() {
				got := slices.Sorted(maps.Keys(typedOnly))
				if !slices.Equal(got, typedOnlyDifferences[name]) {
					t.Errorf("differences a typed object cannot avoid:\n%s\nwant (typedOnlyDifferences):\n%s",
						strings.Join(got, "\n"), strings.Join(typedOnlyDifferences[name], "\n"))
				}
			}()

			envs, err := res.Value.LookupPath(cue.ParsePath("environments")).Fields()
			if err != nil {
				return // no environments
			}
			for envs.Next() {
				env := envs.Selector().Unquoted()
				envApps, err := modeltest.Apps(schemas, res.Value, "environments."+envs.Selector().String())
				if err != nil {
					t.Fatal(err)
				}
				for n, a := range apps {
					if _, ok := envApps[n]; !ok {
						envApps[n] = a
					}
				}
				wantEnv := overlay(t, res.Value, envs.Selector())
				if len(wantEnv) == 0 {
					t.Fatalf("overlays.%s is empty", env)
				}
				compare(t, loader, typedOnly, "overlays."+env, renderAll(t, envApps), wantEnv)
				t.Logf("overlays.%s: %d objects", env, len(wantEnv))
			}
		})
	}
}

// typedOnlyDifferences are, by configuration, the differences between the
// CUE renderer's JSON and the Go renderer's that come from the typed
// k8s.io/api objects themselves (see compare), as "<where> <key> <path>:
// go <value>, cue <value>". They are the bytes a switch to the Go renderer
// changes in the golden files.
var typedOnlyDifferences = map[string][]string{
	"postgres": {
		`kubernetes statefulset-postgres .spec.template.spec.containers[0].resources.limits.cpu: go "4", cue "4000m"`,
		`kubernetes statefulset-postgres .spec.template.spec.containers[0].resources.requests.cpu: go "2", cue "2000m"`,
	},
	"postgres-backup": {
		`kubernetes statefulset-postgres .spec.template.spec.containers[0].resources.limits.cpu: go "4", cue "4000m"`,
		`kubernetes statefulset-postgres .spec.template.spec.containers[0].resources.requests.cpu: go "2", cue "2000m"`,
	},
	"render-features": {
		`kubernetes networkpolicy-open .spec.ingress[0].from[0].podSelector.matchLabels: go absent, cue {}`,
		`kubernetes statefulset-api .spec.template.spec.containers[0].resources.limits.memory: go "2Gi", cue "2048Mi"`,
		`kubernetes statefulset-api .spec.template.spec.initContainers[1].resources.requests.cpu: go "100m", cue "0.1"`,
		`kubernetes statefulset-api .spec.volumeClaimTemplates[1].spec.resources.requests.storage: go "1536Mi", cue "1.5Gi"`,
		`kubernetes statefulset-worker .spec.template.spec.containers[0].livenessProbe.initialDelaySeconds: go absent, cue 0`,
	},
}

// renderAll renders apps in Go and returns each object's JSON by key; two
// apps rendering one key must render the same object.
func renderAll(t *testing.T, apps map[string]model.App) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, a := range apps {
		objects, err := render.App(a)
		if err != nil {
			t.Fatalf("app %s: %v", name, err)
		}
		for _, o := range objects {
			raw, err := render.JSON(o.Object)
			if err != nil {
				t.Fatalf("app %s: %s: %v", name, o.Key, err)
			}
			if prev, dup := out[o.Key]; dup && string(prev) != string(raw) {
				t.Errorf("%s rendered twice, differently", o.Key)
			}
			out[o.Key] = raw
		}
	}
	return out
}

// overlay is overlays.<env> of the CUE renderer, each object's JSON with
// sorted keys.
func overlay(t *testing.T, v cue.Value, env cue.Selector) map[string][]byte {
	t.Helper()
	it, err := v.LookupPath(cue.MakePath(cue.Str("overlays"), env)).Fields()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for it.Next() {
		raw, err := it.Value().MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		out[it.Selector().Unquoted()] = sortKeys(t, raw)
	}
	return out
}

func sortKeys(t *testing.T, raw []byte) []byte {
	t.Helper()
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	sorted, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	return sorted
}

// compare holds the Go renderer's objects to the CUE renderer's, byte for
// byte. Where they differ only in what a typed k8s.io/api object cannot
// hold (a quantity is written in canonical form, "2000m" as "2"; an empty
// map or a zero number under omitempty is left out), the CUE object decoded
// into its type and written again equals the Go one: such a difference is
// added to typedOnly as "<where> <key> <path>", and held to
// typedOnlyDifferences by the caller. Any other difference is an error.
func compare(t *testing.T, loader *engine.Loader, typedOnly map[string]bool, where string, got, want map[string][]byte) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %s: the Go renderer does not render it", where, k)
			continue
		}
		if string(g) == string(w) {
			continue
		}
		obj, err := loader.DecodeObject(k, w)
		if err != nil {
			t.Fatal(err)
		}
		typed, err := render.JSON(obj.Typed)
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(typed) {
			t.Errorf("%s: %s differs:\n%s", where, k, jsonDiff(t, g, w))
			continue
		}
		for _, line := range diffLines(t, g, w) {
			typedOnly[where+" "+k+" "+line] = true
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s: rendered in Go only", where, k)
		}
	}
}

// jsonDiff lists the paths where two JSON documents differ.
func jsonDiff(t *testing.T, got, want []byte) string {
	return "  " + strings.Join(diffLines(t, got, want), "\n  ")
}

func diffLines(t *testing.T, got, want []byte) []string {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	var lines []string
	diff(&lines, "", g, w)
	slices.Sort(lines)
	return lines
}

func diff(lines *[]string, path string, g, w any) {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			*lines = append(*lines, fmt.Sprintf("%s: go %s, cue %s", path, short(g), short(w)))
			return
		}
		for k, wv := range w {
			diff(lines, path+"."+k, gm[k], wv)
		}
		for k, gv := range gm {
			if _, ok := w[k]; !ok {
				*lines = append(*lines, fmt.Sprintf("%s.%s: go %s, cue absent", path, k, short(gv)))
			}
		}
	case []any:
		gl, ok := g.([]any)
		if !ok || len(gl) != len(w) {
			*lines = append(*lines, fmt.Sprintf("%s: go %s, cue %s", path, short(g), short(w)))
			return
		}
		for i := range w {
			diff(lines, fmt.Sprintf("%s[%d]", path, i), gl[i], w[i])
		}
	default:
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			*lines = append(*lines, fmt.Sprintf("%s: go %s, cue %s", path, short(g), short(w)))
		}
	}
}

func short(v any) string {
	if v == nil {
		return "absent"
	}
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}
