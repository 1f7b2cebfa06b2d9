package render_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"

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
// overlays.<env>.
func TestSameAsCUE(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range testcases.All(t) {
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
				want[o.Key] = canonicalQuantities(t, o.Key, o.JSON)
			}
			apps, err := modeltest.Apps(schemas, res.Value, "apps")
			if err != nil {
				t.Fatal(err)
			}
			compare(t, "kubernetes", renderAll(t, apps), want)

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
				compare(t, "overlays."+env, renderAll(t, envApps), overlay(t, res.Value, envs.Selector()))
			}
		})
	}
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
		key := it.Selector().Unquoted()
		out[key] = canonicalQuantities(t, "overlays."+env.Unquoted()+"."+key, sortKeys(t, raw))
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

// canonicalQuantities rewrites the quantities of an object of the CUE
// renderer (resources' requests and limits, claim sizes, emptyDir size
// limits) in their canonical form, the only form a typed
// resource.Quantity writes ("2000m" becomes "2"), and logs each rewrite:
// the one difference between the renderers that typed objects cannot
// avoid. The rest of the object is compared as it is.
func canonicalQuantities(t *testing.T, key string, raw []byte) []byte {
	t.Helper()
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any, quantities bool)
	walk = func(path string, v any, quantities bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				p := path + "." + k
				if s, ok := child.(string); ok && (quantities || k == "sizeLimit") {
					q, err := resource.ParseQuantity(s)
					if err != nil {
						t.Fatalf("%s %s: %v", key, p, err)
					}
					if q.String() != s {
						t.Logf("%s %s: quantity %q is written %q by the Go renderer", key, p, s, q.String())
						v[k] = q.String()
					}
					continue
				}
				walk(p, child, k == "requests" || k == "limits")
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), child, false)
			}
		}
	}
	walk("", generic, false)
	out, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compare(t *testing.T, where string, got, want map[string][]byte) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: %s: the Go renderer does not render it", where, k)
		case string(g) != string(w):
			t.Errorf("%s: %s differs:\n%s", where, k, jsonDiff(t, g, w))
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
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	var lines []string
	diff(&lines, "", g, w)
	return strings.Join(lines, "\n")
}

func diff(lines *[]string, path string, g, w any) {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			*lines = append(*lines, fmt.Sprintf("  %s: go %s, cue %s", path, short(g), short(w)))
			return
		}
		for k, wv := range w {
			diff(lines, path+"."+k, gm[k], wv)
		}
		for k, gv := range gm {
			if _, ok := w[k]; !ok {
				*lines = append(*lines, fmt.Sprintf("  %s.%s: go %s, cue absent", path, k, short(gv)))
			}
		}
	case []any:
		gl, ok := g.([]any)
		if !ok || len(gl) != len(w) {
			*lines = append(*lines, fmt.Sprintf("  %s: go %s, cue %s", path, short(g), short(w)))
			return
		}
		for i := range w {
			diff(lines, fmt.Sprintf("%s[%d]", path, i), gl[i], w[i])
		}
	default:
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			*lines = append(*lines, fmt.Sprintf("  %s: go %s, cue %s", path, short(g), short(w)))
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
