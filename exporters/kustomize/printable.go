package kustomize

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/celestra-dev/celestra/internal/engine"
)

// kustomizeLoses reports whether a string holding r cannot go through
// kustomize: `kustomize build` and `kubectl apply -k` print the objects
// they build through sigs.k8s.io/yaml's JSONToYAML, whose YAML reader
// refuses DEL, the C1 control characters and U+FFFE and U+FFFF ("control
// characters are not allowed") and reads U+0085 (next line) as a line
// break, which becomes a space. TestKustomizeLoses holds this list to
// krusty's behaviour.
func kustomizeLoses(r rune) bool {
	return r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xfffe || r == 0xffff
}

// kustomizeLosesKey reports whether kustomize cannot keep k as a map key:
// its build reads keys back with YAML 1.2's resolution of plain scalars
// (go.yaml.in/yaml/v3), so a key that reads as a number, a boolean, null or
// a timestamp, or the merge key <<, stops `kustomize build` ("json:
// unsupported type"). TestKustomizeLosesKey holds this to krusty.
func kustomizeLosesKey(k string) bool {
	var m map[any]any
	if err := yamlv3.Unmarshal([]byte(k+": x\n"), &m); err != nil {
		return k == "<<"
	}
	for key := range m {
		if s, ok := key.(string); !ok || s != k {
			return true
		}
	}
	return false
}

// checkKustomizeCanPrint refuses objects that kustomize could not print:
// one diagnostic per object and field, naming the app, the object, the
// field and the character, never the string (it may be a secret).
func checkKustomizeCanPrint(env string, objects map[string]object) error {
	var diags []engine.Diagnostic
	for _, key := range slices.Sorted(maps.Keys(objects)) {
		o := objects[key]
		field, problem, found := findLost(nil, o.body)
		if !found {
			continue
		}
		path := "apps"
		if env != "" {
			path = "environments." + env
		}
		if app := instance(o.body); app != "" {
			path += "." + app
		}
		diags = append(diags, engine.Diagnostic{
			Path: path,
			Message: fmt.Sprintf("%s %s (%s.yaml): %s %s: remove it, or export with --format yaml or helm, which write it as it is",
				o.id.Kind, o.id.Name, key, field, problem),
		})
	}
	if len(diags) > 0 {
		return &engine.ConfigError{Diagnostics: diags}
	}
	return nil
}

// lostCharacter says why kustomize cannot write a string holding r.
func lostCharacter(r rune) string {
	return fmt.Sprintf("holds the character %U, which kustomize cannot write "+
		"(kustomize build and kubectl apply -k refuse DEL, C1 control characters, U+FFFE and U+FFFF, and turn U+0085 into a space)", r)
}

// findLost names the first key or string under v (in sorted key order)
// that kustomize cannot carry, and says why.
func findLost(at []string, v any) (field, problem string, found bool) {
	switch v := v.(type) {
	case string:
		if i := strings.IndexFunc(v, kustomizeLoses); i >= 0 {
			return strings.Join(at, "."), lostCharacter([]rune(v[i:])[0]), true
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if i := strings.IndexFunc(k, kustomizeLoses); i >= 0 {
				return "a key of " + strings.Join(at, "."), lostCharacter([]rune(k[i:])[0]), true
			}
			if kustomizeLosesKey(k) {
				return "the key " + strconv.Quote(k) + " of " + strings.Join(at, "."),
					"reads as a number, a boolean, null or a date in YAML, which kustomize cannot keep as a key", true
			}
			if field, problem, ok := findLost(append(slices.Clip(at), k), v[k]); ok {
				return field, problem, true
			}
		}
	case []any:
		for i, e := range v {
			if field, problem, ok := findLost(append(slices.Clip(at), strconv.Itoa(i)), e); ok {
				return field, problem, true
			}
		}
	}
	return "", "", false
}

// instance is the app an object belongs to, from its
// app.kubernetes.io/instance label, or "".
func instance(body map[string]any) string {
	meta, _ := body["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	name, _ := labels["app.kubernetes.io/instance"].(string)
	return name
}
