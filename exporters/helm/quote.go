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
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if w.check(n.Value, n.Style) {
			return nil
		}
		if !w.check(n.Value, yaml.DoubleQuotedStyle) {
			return fmt.Errorf("the string %q cannot be written so that Helm reads it back unchanged", n.Value)
		}
		n.Style = yaml.DoubleQuotedStyle
		return nil
	}
	for _, c := range n.Content {
		if err := w.quoteStrings(c); err != nil {
			return err
		}
	}
	return nil
}

// check reports whether s, written in the given style by the encoder as a
// mapping key and as its value, is read back by sigs.k8s.io/yaml as a
// mapping of s to s.
func (w *stringWriter) check(s string, style yaml.Style) bool {
	form := scalarForm{s, style}
	if ok, seen := w.readsBack[form]; seen {
		return ok
	}
	scalar := func() *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: style}
	}
	probe := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(), scalar()}}
	ok := false
	if text, err := encodeNode(probe); err == nil {
		var back map[string]any
		if err := sigsyaml.Unmarshal(text, &back); err == nil {
			v, found := back[s]
			ok = found && len(back) == 1 && v == s
		}
	}
	w.readsBack[form] = ok
	return ok
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
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.ContainsAny(s, "\n\r") {
		n.Style = yaml.DoubleQuotedStyle
	}
	text, err := encodeYAML(n)
	if err != nil {
		return "", err
	}
	line, ok := strings.CutSuffix(string(text), "\n")
	if !ok || strings.Contains(line, "\n") {
		return "", fmt.Errorf("internal error: the string %q takes more than one line", s)
	}
	return escapeDelims(line), nil
}
