package helm

import (
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// quoteCases: how encodeYAML writes a string as a value, for strings YAML
// 1.1 reads otherwise and for ordinary ones, which stay plain.
var quoteCases = []struct{ value, written string }{
	{"y", `"y"`},
	{"no", `"no"`},
	{"Off", `"Off"`},
	{"<<", `"<<"`},
	{"0o17", `"0o17"`},
	{"1_000", `"1_000"`},
	{"2001-12-14", `"2001-12-14"`},
	{"del\x7f", `"del\x7F"`},
	{"two\n\n", `"two\n\n"`},
	{"postgres", "postgres"},
	{"app.kubernetes.io/name", "app.kubernetes.io/name"},
	{"500m", "500m"},
	{"=", "="},
	{"a b", "a b"},
	{"multi\nline", "|-\n  multi\n  line"},
}

func TestEncodeYAMLQuotesWhatHelmMisreads(t *testing.T) {
	for _, c := range quoteCases {
		doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "k"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: c.value},
		}}
		text, err := encodeYAML(doc)
		if err != nil {
			t.Fatalf("%q: %v", c.value, err)
		}
		if want := "k: " + c.written + "\n"; string(text) != want {
			t.Errorf("%q written as\n%s\nwant\n%s", c.value, text, want)
		}
		var back map[string]any
		if err := sigsyaml.Unmarshal(text, &back); err != nil || back["k"] != c.value {
			t.Errorf("%q: Helm reads %#v (%v)", c.value, back, err)
		}
	}
}

// TestEncodeYAMLKeys: keys are checked as values are.
func TestEncodeYAMLKeys(t *testing.T) {
	want := map[string]any{}
	doc := &yaml.Node{Kind: yaml.MappingNode}
	for _, c := range quoteCases {
		want[c.value] = c.value
		doc.Content = append(doc.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: c.value},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: c.value})
	}
	text, err := encodeYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := sigsyaml.Unmarshal(text, &back); err != nil {
		t.Fatalf("Helm cannot read\n%s\n%v", text, err)
	}
	for k, v := range want {
		if back[k] != v {
			t.Errorf("key %q: Helm reads %#v", k, back[k])
		}
	}
	if len(back) != len(want) {
		t.Errorf("Helm reads %d keys, want %d:\n%s", len(back), len(want), text)
	}
}

func TestInlineString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"celestra.cnf", "celestra.cnf"},
		{"on", `"on"`},
		{"multi\nline", `"multi\nline"`},
		{"next\u0085line", `"next\Nline"`},
		{"a {{ b }}", `a {{ "{{" }} b }}`},
	} {
		got, err := inlineString(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got != c.want {
			t.Errorf("inlineString(%q) = %s, want %s", c.in, got, c.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("inlineString(%q) takes more than one line", c.in)
		}
	}
}

// TestPlaceholderPrefix: user text that contains the placeholder prefix is
// not taken for a hole; the writer picks a prefix no string contains.
func TestPlaceholderPrefix(t *testing.T) {
	tree, err := parseTree([]byte(`{"a": "__celestra_helm_hole_0000__", "__celestra_helm_hole_1_": "b"}`))
	if err != nil {
		t.Fatal(err)
	}
	w := newWriter(tree)
	if w.prefix != holePrefix+"2_" {
		t.Errorf("prefix %q, want %q", w.prefix, holePrefix+"2_")
	}
	path(tree).set("c", inline{"{{ .x }}"})
	text, err := templateText(tree)
	if err != nil {
		t.Fatal(err)
	}
	want := "__celestra_helm_hole_1_: b\na: __celestra_helm_hole_0000__\nc: {{ .x }}\n"
	if text != want {
		t.Errorf("template\n%s\nwant\n%s", text, want)
	}
}

// TestCheckAllAgreesWithCheck: checking many strings in one document
// decides as checking each on its own.
func TestCheckAllAgreesWithCheck(t *testing.T) {
	values := []string{"- x", "? x", "a: b", "[a]", "{a: b}", "&a", "*a", "!x", "%x", "@x", "`x", "#x", "x #y",
		"---", "...", "", " ", "~", "null", "true", "Y", "1e3", "<<", "=", "\t", "a\n", "a\n\n", "\n", "\x00", "\ufeff"}
	for _, c := range quoteCases {
		values = append(values, c.value)
	}
	var forms []scalarForm
	for _, v := range values {
		for _, style := range []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle} {
			forms = append(forms, scalarForm{v, style})
		}
	}
	batch := newStringWriter()
	batch.checkAll(forms)
	for _, f := range forms {
		if got, want := batch.readsBack[f], newStringWriter().check(f.value, f.style); got != want {
			t.Errorf("%q in style %v: checked with others %v, alone %v", f.value, f.style, got, want)
		}
	}
}
