package kustomize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
	"github.com/celestra-dev/celestra/internal/testcases"
)

// cases are every example and testdata case (see internal/testcases).
func cases(t *testing.T) map[string]string { return testcases.All(t) }

// build runs kustomize's own build on dir of the exported tree (see
// exporttest.KustomizeBuild) and returns the objects it prints keyed by
// identity.
func build(t *testing.T, files exporters.Files, dir string) map[string]map[string]any {
	t.Helper()
	built, err := exporttest.KustomizeBuild(files, dir)
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]map[string]any{}
	for _, raw := range built {
		add(t, objects, raw)
	}
	return objects
}

// add parses one object and files it under its identity.
func add(t *testing.T, objects map[string]map[string]any, raw []byte) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	meta, _ := obj["metadata"].(map[string]any)
	id := fmt.Sprintf("%v %v %v/%v", obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
	if _, dup := objects[id]; dup {
		t.Fatalf("two objects %s", id)
	}
	objects[id] = obj
}

func compareObjects(t *testing.T, what string, want, got map[string]map[string]any) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: kustomize build lacks %s", what, id)
		case !reflect.DeepEqual(w, g):
			t.Errorf("%s: %s differs at %v", what, id, changedPaths(w, g))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: kustomize build has an extra object %s", what, id)
		}
	}
}

// changedPaths lists the leaf paths where two objects differ.
func changedPaths(a, b map[string]any) []string {
	fa, fb := flatten("", a, map[string]any{}), flatten("", b, map[string]any{})
	var out []string
	for p, v := range fa {
		if w, ok := fb[p]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, p)
		}
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func flatten(prefix string, v any, out map[string]any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(prefix+"/"+k, e, out)
		}
	case []any:
		for i, e := range x {
			flatten(fmt.Sprintf("%s/%d", prefix, i), e, out)
		}
	default:
		out[prefix] = v
	}
	return out
}

func export(t *testing.T, r *engine.Result) exporters.Files {
	t.Helper()
	files, err := Exporter{}.Export(r)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// cueOverlays runs plain `cue export -e overlays` on a case: what each
// overlay must build to, computed without celestra's Go code.
func cueOverlays(t *testing.T, dir string) map[string]map[string]map[string]any {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(repo, abs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "cue", "export", "./"+filepath.ToSlash(rel), "-e", "overlays", "--out", "json")
	cmd.Dir = repo
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cue export -e overlays: %v\n%s", err, stderr.String())
	}
	var byEnv map[string]map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &byEnv); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[string]any{}
	for env, objs := range byEnv {
		out[env] = map[string]map[string]any{}
		for _, raw := range objs {
			add(t, out[env], raw)
		}
	}
	return out
}

// TestBuildsEqualExport builds every case with kustomize: the base must give
// the objects of the YAML export, and each overlay the objects of `cue
// export -e overlays.<env>`.
func TestBuildsEqualExport(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range cases(t) {
		t.Run(name, func(t *testing.T) {
			r, err := loader.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := export(t, r)

			want := map[string]map[string]any{}
			for _, o := range r.Objects {
				add(t, want, o.JSON)
			}
			compareObjects(t, "base", want, build(t, files, "base"))

			envs := r.Environments
			folders := map[string]bool{}
			for p := range files {
				if rest, ok := strings.CutPrefix(p, "overlays/"); ok {
					folders[strings.Split(rest, "/")[0]] = true
				}
			}
			if len(folders) != len(envs) {
				t.Errorf("%d overlay folders for %d environments", len(folders), len(envs))
			}
			if len(envs) == 0 {
				return
			}
			if testing.Short() {
				t.Skip("the overlays are compared with go tool cue; skipped with -short")
			}
			fromCue := cueOverlays(t, dir)
			if len(fromCue) != len(envs) {
				t.Errorf("cue export has %d environments, celestra %d", len(fromCue), len(envs))
			}
			for env, objects := range fromCue {
				compareObjects(t, "overlays/"+env, objects, build(t, files, "overlays/"+env))
			}
		})
	}
}

// TestExampleOverlaysChangeExactly checks the environments example: each
// overlay differs from the base in the fields its environment sets, and in
// nothing else.
func TestExampleOverlaysChangeExactly(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	r, err := loader.Load("../../examples/environments")
	if err != nil {
		t.Fatal(err)
	}
	files := export(t, r)
	base := build(t, files, "base")

	const (
		sts   = "apps/v1 StatefulSet <nil>/"
		svc   = "v1 Service <nil>/"
		tier  = "/example.com/tier"
		pdb   = "policy/v1 PodDisruptionBudget <nil>/"
		dbCtr = "/spec/template/spec/containers/0/resources/requests/"
	)
	want := map[string]map[string][]string{
		"staging": {
			sts + "db": {dbCtr + "memory"},
		},
		"production": {
			sts + "db": {dbCtr + "cpu", dbCtr + "memory", "/spec/volumeClaimTemplates/0/spec/resources/requests/storage"},
			// The label goes on every object of the queue, and on its pods.
			sts + "queue":          {"/metadata/labels" + tier, "/spec/replicas", "/spec/template/metadata/labels" + tier},
			svc + "queue-headless": {"/metadata/labels" + tier},
			pdb + "queue":          nil, // new: three members
		},
	}
	for env, changes := range want {
		got := build(t, files, "overlays/"+env)
		for id, paths := range changes {
			if _, inBase := base[id]; !inBase {
				if _, ok := got[id]; !ok {
					t.Errorf("%s: %s is missing", env, id)
				}
				continue
			}
			sort.Strings(paths)
			if diff := changedPaths(base[id], got[id]); !reflect.DeepEqual(diff, paths) {
				t.Errorf("%s: %s changes %v, want %v", env, id, diff, paths)
			}
		}
		for id := range got {
			if _, listed := changes[id]; !listed && !reflect.DeepEqual(base[id], got[id]) {
				t.Errorf("%s: %s changed: %v", env, id, changedPaths(base[id], got[id]))
			}
		}
		for id := range base {
			if _, ok := got[id]; !ok {
				t.Errorf("%s: %s was removed", env, id)
			}
		}
	}
	production := build(t, files, "overlays/production")
	if v := objectAt(t, production, sts+"queue", "/spec/replicas"); v != float64(3) {
		t.Errorf("production replicas = %v, want 3", v)
	}
	if v := objectAt(t, production, pdb+"queue", "/spec/minAvailable"); v != float64(2) {
		t.Errorf("production PodDisruptionBudget minAvailable = %v, want 2", v)
	}
	if v := objectAt(t, production, sts+"db", dbCtr+"memory"); v != "8Gi" {
		t.Errorf("production db memory = %v, want 8Gi", v)
	}
}

func objectAt(t *testing.T, objects map[string]map[string]any, id, path string) any {
	t.Helper()
	obj, ok := objects[id]
	if !ok {
		t.Fatalf("no %s", id)
	}
	return flatten("", obj, map[string]any{})[path]
}

// TestPatches checks the patch mechanism on its own: removed, added and
// changed fields, lists that change length, label keys with '/', an object
// that disappears and one that moves to another namespace.
func TestPatches(t *testing.T) {
	obj := func(s string) object {
		o, err := decode("x", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	base := map[string]object{
		"configmap-a": obj(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x.io/keep":"1","x.io/drop":"2","t~":"3"}},"data":{"k":"v","gone":"g"}}`),
		"configmap-b": obj(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"one"},"data":{"k":"v"}}`),
		"service-c":   obj(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"c"},"spec":{"ports":[{"name":"a","port":1}],"selector":{"app":"c"}}}`),
		"service-d":   obj(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"d"},"spec":{"ports":[{"name":"a","port":1}]}}`),
	}
	env := map[string][]byte{
		"configmap-a": []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x.io/keep":"1","x.io/new":"4","t~":"5"}},"data":{"k":"w"}}`),
		"configmap-b": []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"two"},"data":{"k":"v"}}`),
		"service-c":   []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"c"},"spec":{"ports":[{"name":"a","port":1},{"name":"b","port":2}],"selector":{"app":"c"}}}`),
		"service-e":   []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"e"},"spec":{"ports":[{"name":"a","port":3}]}}`),
	}
	overlay, err := overlayFiles(base, env)
	if err != nil {
		t.Fatal(err)
	}
	files := exporters.Files{}
	var resources []string
	for k, o := range base {
		doc, err := sigsyaml.Marshal(o.body)
		if err != nil {
			t.Fatal(err)
		}
		files["base/"+k+".yaml"] = doc
		resources = append(resources, k+".yaml")
	}
	sort.Strings(resources)
	files["base/kustomization.yaml"] = []byte("resources:\n- " + strings.Join(resources, "\n- ") + "\n")
	for p, data := range overlay {
		files["overlays/e/"+p] = data
	}
	want := map[string]map[string]any{}
	for _, raw := range env {
		add(t, want, raw)
	}
	compareObjects(t, "overlay", want, build(t, files, "overlays/e"))

	for _, name := range []string{"service-d.delete.yaml", "configmap-b.delete.yaml", "configmap-b.yaml", "service-e.yaml", "configmap-a.patch.yaml", "service-c.patch.yaml"} {
		if _, ok := overlay[name]; !ok {
			t.Errorf("no %s among %v", name, keysOf(overlay))
		}
	}
	if !bytes.Contains(overlay["configmap-a.patch.yaml"], []byte("/metadata/labels/x.io~1new")) ||
		!bytes.Contains(overlay["configmap-a.patch.yaml"], []byte("/metadata/labels/t~0")) {
		t.Errorf("label keys not escaped:\n%s", overlay["configmap-a.patch.yaml"])
	}
}

func keysOf(files exporters.Files) []string {
	var out []string
	for k := range files {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDeterministic exports the environments example twice and expects the
// same bytes.
func TestDeterministic(t *testing.T) {
	var trees [2]exporters.Files
	for i := range trees {
		loader, err := engine.NewLoader()
		if err != nil {
			t.Fatal(err)
		}
		r, err := loader.Load("../../examples/environments")
		if err != nil {
			t.Fatal(err)
		}
		trees[i] = export(t, r)
	}
	if !reflect.DeepEqual(keysOf(trees[0]), keysOf(trees[1])) {
		t.Fatalf("file lists differ: %v vs %v", keysOf(trees[0]), keysOf(trees[1]))
	}
	for p, data := range trees[0] {
		if !bytes.Equal(data, trees[1][p]) {
			t.Errorf("%s differs between two exports", p)
		}
	}
}

// TestEmptyEnvironmentIsBase adds an environment that changes nothing to
// every case: its overlay must be the base, and overlays must render every
// object that kubernetes has (a renderer added beside render.#Render would
// show up here).
func TestEmptyEnvironmentIsBase(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range cases(t) {
		t.Run(name, func(t *testing.T) {
			// A copy of the whole folder: cases may embed files.
			tmp := t.TempDir()
			if err := os.CopyFS(tmp, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			srcs, err := filepath.Glob(filepath.Join(dir, "*.cue"))
			if err != nil || len(srcs) == 0 {
				t.Fatalf("no .cue files in %s: %v", dir, err)
			}
			pkg := ""
			for _, src := range srcs {
				data, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range strings.Split(string(data), "\n") {
					if rest, ok := strings.CutPrefix(line, "package "); ok && pkg == "" {
						pkg = strings.TrimSpace(rest)
					}
				}
			}
			extra := "package " + pkg + "\n\nenvironments: same: {}\n"
			if err := os.WriteFile(filepath.Join(tmp, "zz_same.cue"), []byte(extra), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := loader.Load(tmp)
			if err != nil {
				t.Fatal(err)
			}
			files := export(t, r)
			overlay := string(files["overlays/same/kustomization.yaml"])
			if strings.Contains(overlay, "patches") || strings.Count(overlay, "\n- ") != 1 {
				t.Errorf("an empty environment gives an overlay that is not just the base:\n%s", overlay)
			}
			envs := r.Environments
			for _, env := range envs {
				if env.Name != "same" {
					continue
				}
				if len(env.Objects) != len(r.Objects) {
					t.Errorf("overlays.same has %d objects, kubernetes %d", len(env.Objects), len(r.Objects))
				}
				same := map[string][]byte{}
				for _, o := range env.Objects {
					same[o.Key] = o.JSON
				}
				for _, o := range r.Objects {
					if !bytes.Equal(same[o.Key], o.JSON) {
						t.Errorf("overlays.same.%s differs from kubernetes.%s", o.Key, o.Key)
					}
				}
			}
		})
	}
}
