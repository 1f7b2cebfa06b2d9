package render

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// JSON is an object as celestra writes it: encoding/json's form of the
// typed object with sorted keys, without the empty structs the Go types
// always write and celestra never sets (see dropEmpty).
func JSON(o runtime.Object) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("marshal %T: %w", o, err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("marshal %T: %w", o, err)
	}
	delete(generic, "status") // celestra writes no status, empty or not
	dropEmpty(generic)
	return json.Marshal(generic)
}

// isStructField reports whether objects have a field of this name whose Go
// type is a struct, not a pointer, so that encoding/json writes it even
// when empty ({}): a Namespace's spec, a claim template's status, a
// container's resources, a ServiceMonitor's namespaceSelector. celestra
// never writes these empty.
func isStructField(name string) bool {
	switch name {
	case "spec", "status", "resources", "namespaceSelector":
		return true
	}
	return false
}

// dropEmpty removes, at any depth, the struct fields (isStructField) that
// are empty objects.
func dropEmpty(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			dropEmpty(child)
			if m, ok := child.(map[string]any); ok && len(m) == 0 && isStructField(k) {
				delete(v, k)
			}
		}
	case []any:
		for _, child := range v {
			dropEmpty(child)
		}
	}
}
