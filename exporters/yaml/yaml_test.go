package yaml_test

import (
	"encoding/json"
	"reflect"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
)

// controlStrings holds every C0 control character, DEL, every C1 control
// character, and the Unicode characters YAML treats specially (byte order
// mark, line and paragraph separators, non-characters), each inside text,
// alone and at both ends, plus strings YAML 1.1 would read as something
// else when written plain.
func controlStrings() []string {
	var chars []rune
	for r := rune(0); r < 0x20; r++ {
		chars = append(chars, r)
	}
	for r := rune(0x7f); r <= 0x9f; r++ {
		chars = append(chars, r)
	}
	chars = append(chars, 0xa0, 0xfeff, 0x2028, 0x2029, 0xfffe, 0xffff, 0xfffd, 0xd7ff, 0xe000, 0x10ffff)
	var out []string
	for _, r := range chars {
		c := string(r)
		out = append(out, "a"+c+"b", c, c+"x", "x"+c, c+c)
	}
	return append(out, "del\u007f", "nel\u0085", "\ufeffbom", "line\u2028sep", "", "y", "no", "~", "1e3",
		"multi\nline\n", " lead", "trail ", "tab\there", "\"quoted\"", `back\slash`, "#x", "a: b", "- x")
}

// object is a ConfigMap holding s in the places strings go: a key's value,
// an annotation, a list item, and as a key of its own.
func object(t *testing.T, s string) engine.Object {
	t.Helper()
	raw, err := json.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata": map[string]any{
			"name":        "c",
			"annotations": map[string]any{"note": s},
		},
		"data":    map[string]any{"text": s, s + "-key": "v"},
		"list":    []any{s, 1, 2.5, true, nil, int64(1) << 62, uint64(1) << 63},
		"numbers": map[string]any{"int": 3, "neg": -7, "float": 0.25, "big": 1e300},
	})
	if err != nil {
		t.Fatal(err)
	}
	return engine.Object{Key: "configmap-c", JSON: raw}
}

// TestDocumentRoundTrip: kubectl's reader (sigs.k8s.io/yaml) reads every
// document back as the object it was written from, whatever control
// character its strings hold.
func TestDocumentRoundTrip(t *testing.T) {
	for _, s := range controlStrings() {
		o := object(t, s)
		doc, err := yamlexp.Document(o)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		var want, got any
		if err := json.Unmarshal(o.JSON, &want); err != nil {
			t.Fatal(err)
		}
		if err := sigsyaml.Unmarshal(doc, &got); err != nil {
			t.Errorf("%q: sigs.k8s.io/yaml cannot read the document: %v\n%s", s, err, doc)
			continue
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%q: read back as\n%#v\nwant\n%#v\n%s", s, got, want, doc)
		}
	}
}

// TestDocumentIsJSONToYAML: where sigs.k8s.io/yaml's JSONToYAML can write an
// object, Document writes the same bytes, so no existing output changes.
func TestDocumentIsJSONToYAML(t *testing.T) {
	accepted := 0
	for _, s := range controlStrings() {
		o := object(t, s)
		want, err := sigsyaml.JSONToYAML(o.JSON)
		if err != nil {
			continue // the case Document exists for
		}
		accepted++
		got, err := yamlexp.Document(o)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if string(got) != string(want) {
			t.Errorf("%q: Document writes\n%s\nJSONToYAML writes\n%s", s, got, want)
		}
	}
	if accepted < 50 {
		t.Fatalf("only %d strings compared", accepted)
	}
}

// TestJSONToYAMLRefusesControlCharacters documents why Document does not
// call JSONToYAML: it refuses these strings. When a new sigs.k8s.io/yaml
// accepts them and this test fails, Document can go back to JSONToYAML.
func TestJSONToYAMLRefusesControlCharacters(t *testing.T) {
	for _, s := range []string{"del\u007f", "nel\u0085", "c1\u0080", "pad\u009f"} {
		if _, err := sigsyaml.JSONToYAML(object(t, s).JSON); err == nil {
			t.Errorf("JSONToYAML now writes %q", s)
		}
	}
}
