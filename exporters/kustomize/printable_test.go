package kustomize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/exporters"
	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
)

// TestKustomizeLoses holds kustomizeLoses to kustomize itself: a ConfigMap
// whose annotation, data key and value hold a character goes through
// krusty's build and out as `kustomize build` prints it, then is read back
// as kubectl reads it; it comes back unchanged exactly when kustomizeLoses
// says kustomize does not lose the character.
func TestKustomizeLoses(t *testing.T) {
	var candidates []rune
	for r := rune(0); r <= 0xa1; r++ {
		candidates = append(candidates, r)
	}
	candidates = append(candidates, 0x2028, 0x2029, 0xd7ff, 0xe000, 0xfeff, 0xfffd, 0xfffe, 0xffff,
		0x10000, 0x1fffe, 0x1ffff, 0x10ffff)
	lost := 0
	for _, r := range candidates {
		s := "a" + string(r) + "b"
		cm := map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata":   map[string]any{"name": "c", "annotations": map[string]any{"note": s}},
			"data":       map[string]any{"text": s, "key" + s: "v"},
		}
		same, err := buildsBackUnchanged(t, cm)
		if kustomizeLoses(r) {
			lost++
		}
		if same == kustomizeLoses(r) {
			t.Errorf("%U: kustomize keeps it: %v, kustomizeLoses says %v (build error: %v)", r, same, kustomizeLoses(r), err)
		}
	}
	if lost == 0 {
		t.Fatal("no candidate is lost: the test checks nothing")
	}
}

// TestRefusesWhatKustomizeLoses: a configuration with a character that
// kustomize loses, in the base or in an environment, is refused with the
// app, the object, the field and the character, and never the string.
func TestRefusesWhatKustomizeLoses(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{
			name: "annotation value with DEL",
			src:  `apps: web: {image: "app:1", storage: size: "1Gi", annotations: note: "secret-ish\u007f"}`,
			want: []string{"apps.web: ", "StatefulSet web (statefulset-web.yaml): metadata.annotations.note holds the character U+007F", "--format yaml or helm"},
		},
		{
			name: "env value with NEL",
			src:  `apps: web: {image: "app:1", storage: size: "1Gi", env: NOTE: "secret-ish\u0085"}`,
			want: []string{"apps.web: ", "spec.template.spec.containers.0.env.0.value holds the character U+0085"},
		},
		{
			name: "argument with a C1 control character",
			src:  `apps: web: {image: "app:1", storage: size: "1Gi", args: ["--name", "secret-ish\u0080"]}`,
			want: []string{"apps.web: ", "StatefulSet web (statefulset-web.yaml): spec.template.spec.containers.0.args.1 holds the character U+0080"},
		},
		{
			name: "environment",
			src: `apps: web: {image: "app:1", storage: size: "1Gi", env: NOTE: *"base" | string}
environments: production: web: env: NOTE: "secret-ish\u009f"`,
			want: []string{"environments.production.web: ", "holds the character U+009F"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte("package x\n\n"+c.src+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := loader.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Exporter{}.Export(r)
			var refused *engine.ConfigError
			if !errors.As(err, &refused) {
				t.Fatalf("want a configuration error, got %v", err)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "secret-ish") {
				t.Errorf("message shows the string:\n%s", msg)
			}
			t.Log(msg)
		})
	}
}

// TestFindLost names the field in Kubernetes' terms: a value by its path,
// a map key by the map that holds it, list items by index.
func TestFindLost(t *testing.T) {
	for _, c := range []struct {
		body  map[string]any
		field string
		r     rune
	}{
		{map[string]any{"metadata": map[string]any{"annotations": map[string]any{"b": "ok", "a": "x\u007f"}}}, "metadata.annotations.a", 0x7f},
		{map[string]any{"data": map[string]any{"k\u0085": "v"}}, "a key of data", 0x85},
		{map[string]any{"spec": map[string]any{"args": []any{"ok", "\ufffe"}}}, "spec.args.1", 0xfffe},
		{map[string]any{"spec": map[string]any{"args": []any{"ok\u2028", "\ufeff", "é"}}}, "", 0},
	} {
		field, problem, found := findLost(nil, c.body)
		if field != c.field || found != (c.field != "") || (found && !strings.Contains(problem, fmt.Sprintf("%U", c.r))) {
			t.Errorf("%v: got %q %q %v, want %q %U", c.body, field, problem, found, c.field, c.r)
		}
	}
	field, problem, _ := findLost(nil, map[string]any{"metadata": map[string]any{"annotations": map[string]any{"b": "ok", "0": "x"}}})
	if field != `the key "0" of metadata.annotations` || !strings.Contains(problem, "cannot keep as a key") {
		t.Errorf("key 0: got %q %q", field, problem)
	}
}

// buildsBackUnchanged writes the ConfigMap cm as the YAML export writes
// it, builds it with krusty as `kustomize build` does, and reports whether
// it reads back unchanged (and the build's error, if any).
func buildsBackUnchanged(t *testing.T, cm map[string]any) (bool, error) {
	t.Helper()
	raw, err := json.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := yamlexp.FromJSON(raw)
	if err != nil {
		t.Fatalf("write %v as YAML: %v", cm, err)
	}
	files := exporters.Files{
		"base/configmap-c.yaml":   doc,
		"base/kustomization.yaml": []byte("resources:\n- configmap-c.yaml\n"),
	}
	built, err := exporttest.KustomizeBuild(files, "base")
	if err != nil || len(built) != 1 {
		return false, err
	}
	var got map[string]any
	if err := json.Unmarshal(built[0], &got); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(got, cm), nil
}

// TestKustomizeLosesKey holds kustomizeLosesKey to krusty: a ConfigMap
// whose annotation, label and data keys are k builds back unchanged
// exactly when kustomizeLosesKey(k) is false.
func TestKustomizeLosesKey(t *testing.T) {
	lost := 0
	for _, k := range []string{"0", "1", "01", "007", "-1", "1.5", "1e3", "0x1F", "0o17", "1_000", ".inf", ".nan",
		"true", "True", "false", "null", "Null", "~", "2001-12-14", "<<",
		"yes", "y", "n", "no", "on", "off", "12:30", "abc", "a0", "=", "1a", "0.0.1", "v1"} {
		cm := map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "c", "annotations": map[string]any{k: "x"}, "labels": map[string]any{k: "x"}},
			"data":     map[string]any{k: "v"},
		}
		same, err := buildsBackUnchanged(t, cm)
		if kustomizeLosesKey(k) {
			lost++
		}
		if same == kustomizeLosesKey(k) {
			t.Errorf("key %q: kustomize keeps it: %v, kustomizeLosesKey says %v (build error: %v)", k, same, kustomizeLosesKey(k), err)
		}
	}
	if lost == 0 {
		t.Fatal("no candidate is lost: the test checks nothing")
	}
}
