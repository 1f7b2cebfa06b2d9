package kustomize

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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

// checkKustomizeCanPrint refuses objects that kustomize could not print:
// one diagnostic per object and field, naming the app, the object, the
// field and the character, never the string (it may be a secret).
func checkKustomizeCanPrint(env string, objects map[string]object) error {
	var diags []engine.Diagnostic
	for _, key := range slices.Sorted(maps.Keys(objects)) {
		o := objects[key]
		field, r, found := findLost(nil, o.body)
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
			Message: fmt.Sprintf("%s %s (%s.yaml): %s holds the character %U, which kustomize cannot write "+
				"(kustomize build and kubectl apply -k refuse DEL, C1 control characters, U+FFFE and U+FFFF, and turn U+0085 into a space): "+
				"remove it, or export with --format yaml or helm, which write it escaped",
				o.id.Kind, o.id.Name, key, field, r),
		})
	}
	if len(diags) > 0 {
		return &engine.ConfigError{Diagnostics: diags}
	}
	return nil
}

// findLost names the first key or string under v (in sorted key order)
// that holds a character kustomize loses, and returns that character.
func findLost(at []string, v any) (string, rune, bool) {
	switch v := v.(type) {
	case string:
		if i := strings.IndexFunc(v, kustomizeLoses); i >= 0 {
			return strings.Join(at, "."), []rune(v[i:])[0], true
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if i := strings.IndexFunc(k, kustomizeLoses); i >= 0 {
				return "a key of " + strings.Join(at, "."), []rune(k[i:])[0], true
			}
			if field, r, ok := findLost(append(slices.Clip(at), k), v[k]); ok {
				return field, r, true
			}
		}
	case []any:
		for i, e := range v {
			if field, r, ok := findLost(append(slices.Clip(at), strconv.Itoa(i)), e); ok {
				return field, r, true
			}
		}
	}
	return "", 0, false
}

// instance is the app an object belongs to, from its
// app.kubernetes.io/instance label, or "".
func instance(body map[string]any) string {
	meta, _ := body["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	name, _ := labels["app.kubernetes.io/instance"].(string)
	return name
}
