package helm

import (
	"bytes"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Helm reads Chart.yaml, values.yaml and every rendered template with
// sigs.k8s.io/yaml, that is with go-yaml v2 and its YAML 1.1 rules: y, no,
// on, off, 0o17, 1_000, << and the like are not strings there. The chart is
// written with go-yaml v3, which follows YAML 1.2 and writes such strings
// plain. So every string is checked the way Helm will read it: written as a
// key and as a value exactly as the encoder would write it, and read back
// with sigs.k8s.io/yaml. A string that does not come back unchanged is
// written double-quoted, where YAML escapes every character that needs it
// (line breaks, control characters, a byte order mark); a string that does
// not come back even then is an error, never a silently different chart.
//
// Template actions that write a string use Helm's quote: Go's %q, which is
// a YAML double-quoted scalar for any UTF-8 text. toJson is not: it leaves
// DEL and the C1 control characters raw, which YAML 1.1 refuses (and reads
// U+0085 as a line break); toYaml fails on them and writes nothing.

// stringWriter decides how each string of a document is written, and
// remembers what it found for the strings it has seen.
type stringWriter struct {
	readsBack map[scalarForm]bool
}

// scalarForm is a string and the style it would be written in.
type scalarForm struct {
	value string
	style yaml.Style
}

func newStringWriter() *stringWriter {
	return &stringWriter{readsBack: map[scalarForm]bool{}}
}

// quoteStrings double-quotes every string scalar of the tree that Helm
// would not read back as the same string in the style it has.
func (w *stringWriter) quoteStrings(n *yaml.Node) error {
	var scalars []*yaml.Node
	collectStrings(n, &scalars)
	var forms []scalarForm
	queued := map[scalarForm]bool{}
	for _, sc := range scalars {
		f := scalarForm{sc.Value, sc.Style}
		if _, seen := w.readsBack[f]; !seen && !queued[f] {
			queued[f] = true
			forms = append(forms, f)
		}
	}
	w.checkAll(forms)
	for _, sc := range scalars {
		if w.readsBack[scalarForm{sc.Value, sc.Style}] {
			continue
		}
		if !w.check(sc.Value, yaml.DoubleQuotedStyle) {
			// The string itself is not shown: it may be a secret.
			return fmt.Errorf("a string of %d bytes cannot be written so that Helm reads it back unchanged", len(sc.Value))
		}
		sc.Style = yaml.DoubleQuotedStyle
	}
	return nil
}

func collectStrings(n *yaml.Node, out *[]*yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		*out = append(*out, n)
		return
	}
	for _, c := range n.Content {
		collectStrings(c, out)
	}
}

// checkAll checks many strings at once, as check does each, with one
// document that holds each string as the key and value of a mapping of its
// own in a list: one encoding and one reading instead of one per string.
// A string the list does not give back is checked on its own, in case
// another one spilt into it; so is a string that ends in white space,
// whose check also depends on where its text ends.
func (w *stringWriter) checkAll(forms []scalarForm) {
	var batch []scalarForm
	for _, f := range forms {
		if f.value != "" && strings.ContainsAny(f.value[len(f.value)-1:], trimmedSpace) {
			w.check(f.value, f.style)
			continue
		}
		batch = append(batch, f)
	}
	if len(batch) == 0 {
		return
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for _, f := range batch {
		list.Content = append(list.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{f.node(), f.node()}})
	}
	var back []map[string]any
	if text, err := encodeNode(list); err == nil && sigsyaml.Unmarshal(text, &back) == nil && len(back) == len(batch) {
		for i, f := range batch {
			if v, found := back[i][f.value]; found && len(back[i]) == 1 && v == f.value {
				w.readsBack[f] = true
			}
		}
	}
	for _, f := range batch {
		if !w.readsBack[f] {
			w.check(f.value, f.style)
		}
	}
}

// trimmedSpace is the white space a trimming template action removes.
const trimmedSpace = " \t\r\n"

func (f scalarForm) node() *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.value, Style: f.style}
}

// check reports whether s, written in the given style by the encoder as a
// mapping key and as its value, is read back by sigs.k8s.io/yaml as a
// mapping of s to s.
func (w *stringWriter) check(s string, style yaml.Style) bool {
	form := scalarForm{s, style}
	if ok, seen := w.readsBack[form]; seen {
		return ok
	}
	probe := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{form.node(), form.node()}}
	ok := false
	if text, err := encodeNode(probe); err == nil {
		// In a template, an action that trims the white space before it
		// ({{- ...) may follow the string: it must not need its trailing
		// blank lines, as a literal block with keep chomping (|+) does.
		trimmed := append(bytes.TrimRight(text, trimmedSpace), '\n')
		ok = readsBackAs(text, s) && readsBackAs(trimmed, s)
	}
	w.readsBack[form] = ok
	return ok
}

// readsBackAs reports whether sigs.k8s.io/yaml reads text as a mapping of
// s to s.
func readsBackAs(text []byte, s string) bool {
	var back map[string]any
	if err := sigsyaml.Unmarshal(text, &back); err != nil {
		return false
	}
	v, found := back[s]
	return found && len(back) == 1 && v == s
}

// encodeYAML writes a document with its strings quoted where Helm needs it.
func encodeYAML(n *yaml.Node) ([]byte, error) {
	if err := newStringWriter().quoteStrings(n); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	return encodeNode(n)
}

// encodeNode writes a document as go-yaml v3 does, with an indentation of two.
func encodeNode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// literalText writes a tree without holes as YAML lines for a template:
// strings quoted where Helm needs it and template delimiters escaped.
func literalText(v any) (string, error) {
	n, err := (&writer{}).node(v, false)
	if err != nil {
		return "", err
	}
	text, err := encodeYAML(n)
	if err != nil {
		return "", err
	}
	return escapeDelims(string(text)), nil
}

// indentLines puts ind before every line of text.
func indentLines(text, ind string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if line != "" {
			b.WriteString(ind + line)
		}
	}
	return b.String()
}

// inlineString writes s as a YAML scalar on one line of a template, as a key
// or a value: plain when Helm reads that back, else double-quoted, with
// template delimiters escaped.
func inlineString(s string) (string, error) {
	for _, style := range []yaml.Style{0, yaml.DoubleQuotedStyle} {
		text, err := encodeYAML(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: style})
		if err != nil {
			return "", err
		}
		if line, ok := strings.CutSuffix(string(text), "\n"); ok && !strings.Contains(line, "\n") {
			return escapeDelims(line), nil
		}
	}
	return "", fmt.Errorf("internal error: a string of %d bytes takes more than one line", len(s))
}
