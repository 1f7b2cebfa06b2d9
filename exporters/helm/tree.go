package helm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// The templates are built from the rendered objects: each object is parsed
// into a tree, the tunable places are replaced by holes, and the tree is
// written as YAML in which the holes become template actions. Everything
// else stays literal.

// mapping is a JSON object whose keys are kept sorted, as in the YAML export.
type mapping struct {
	keys []string
	vals map[string]any
}

func (m *mapping) get(key string) (any, bool) {
	v, ok := m.vals[key]
	return v, ok
}

// set adds or replaces key, keeping the keys sorted.
func (m *mapping) set(key string, v any) {
	if _, ok := m.vals[key]; !ok {
		i := sort.SearchStrings(m.keys, key)
		m.keys = append(m.keys, "")
		copy(m.keys[i+1:], m.keys[i:])
		m.keys[i] = key
	}
	m.vals[key] = v
}

func (m *mapping) delete(key string) {
	if _, ok := m.vals[key]; !ok {
		return
	}
	delete(m.vals, key)
	i := sort.SearchStrings(m.keys, key)
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
}

// inline is a hole for one scalar value: the template action that writes it.
type inline struct{ action string }

// block is a hole for one whole entry of a mapping, key included: render
// returns the template text of the entry for a given indentation (the column
// of the key). Each line of it starts with that indentation.
type block struct{ render func(indent string) string }

// parseTree reads a JSON document into mappings, slices and scalars
// (json.Number for numbers, so that they are written back unchanged).
func parseTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return toTree(v), nil
}

func toTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := &mapping{vals: make(map[string]any, len(x))}
		for k, e := range x {
			m.keys = append(m.keys, k)
			m.vals[k] = toTree(e)
		}
		sort.Strings(m.keys)
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toTree(e)
		}
		return out
	default:
		return v
	}
}

// plain turns a tree without holes back into plain Go values (maps, slices,
// scalars), for JSON encoding and comparisons.
func plain(v any) any {
	switch x := v.(type) {
	case *mapping:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			out[k] = plain(x.vals[k])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	default:
		return v
	}
}

// path walks mappings by key and returns the mapping at the end, or nil.
func path(v any, keys ...string) *mapping {
	for _, k := range keys {
		m, ok := v.(*mapping)
		if !ok {
			return nil
		}
		v = m.vals[k]
	}
	m, _ := v.(*mapping)
	return m
}

// items returns the mappings of the list at key.
func items(m *mapping, key string) []*mapping {
	if m == nil {
		return nil
	}
	list, _ := m.vals[key].([]any)
	var out []*mapping
	for _, e := range list {
		if em, ok := e.(*mapping); ok {
			out = append(out, em)
		}
	}
	return out
}

// str returns the string at key, or "".
func str(m *mapping, key string) string {
	if m == nil {
		return ""
	}
	s, _ := m.vals[key].(string)
	return s
}

// holePrefix starts every placeholder written in place of a hole before the
// placeholders are replaced by template text. When a string of the object
// contains it, a numbered variant that none contains is used instead.
const holePrefix = "__celestra_helm_hole_"

// writer turns trees with holes into template text.
type writer struct {
	prefix string         // of this tree's placeholders
	holes  map[string]any // placeholder -> inline or block
}

// newWriter chooses a placeholder prefix that no key or string of the tree
// contains, so that user text is never taken for a hole.
func newWriter(tree any) *writer {
	var texts []string
	walkTexts(tree, func(s string) { texts = append(texts, s) })
	prefix := holePrefix
	for n := 1; slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, prefix) }); n++ {
		prefix = fmt.Sprintf("%s%d_", holePrefix, n)
	}
	return &writer{prefix: prefix, holes: map[string]any{}}
}

// walkTexts calls f on every key and string of the tree.
func walkTexts(v any, f func(string)) {
	switch x := v.(type) {
	case *mapping:
		for _, k := range x.keys {
			f(k)
			walkTexts(x.vals[k], f)
		}
	case []any:
		for _, e := range x {
			walkTexts(e, f)
		}
	case string:
		f(x)
	}
}

// templateText writes the tree as YAML, escapes template delimiters in the
// literal text and puts the template actions in place of the holes.
func templateText(tree any) (string, error) {
	w := newWriter(tree)
	node, err := w.node(tree, false)
	if err != nil {
		return "", err
	}
	yamlText, err := encodeYAML(node)
	if err != nil {
		return "", err
	}
	text := escapeDelims(string(yamlText))
	holePattern := regexp.MustCompile(regexp.QuoteMeta(w.prefix) + `[0-9]{4}__`)

	var out strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		trimmed := strings.TrimRight(line, "\n")
		indent := trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, " "))]
		rest := trimmed[len(indent):]
		if h, ok := w.holes[strings.TrimSuffix(rest, ": null")]; ok && strings.HasSuffix(rest, ": null") {
			b, isBlock := h.(block)
			if !isBlock {
				return "", fmt.Errorf("internal error: inline hole %s used as a key", rest)
			}
			out.WriteString(b.render(indent))
			continue
		}
		var ferr error
		line = holePattern.ReplaceAllStringFunc(line, func(p string) string {
			h, ok := w.holes[p].(inline)
			if !ok {
				ferr = fmt.Errorf("internal error: hole %s misplaced", p)
				return p
			}
			return h.action
		})
		if ferr != nil {
			return "", ferr
		}
		out.WriteString(line)
	}
	return out.String(), nil
}

func (w *writer) placeholder(h any) string {
	p := fmt.Sprintf("%s%04d__", w.prefix, len(w.holes))
	w.holes[p] = h
	return p
}

// node converts a tree into a YAML node. In a list item, the first key is
// one that is not a block hole, so that a block never starts with "- ".
func (w *writer) node(v any, listItem bool) (*yaml.Node, error) {
	switch x := v.(type) {
	case *mapping:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := append([]string(nil), x.keys...)
		if listItem {
			first := -1
			for i, k := range keys {
				if _, isBlock := x.vals[k].(block); !isBlock && (first < 0 || k == "name") {
					first = i
				}
			}
			if first < 0 && len(keys) > 0 {
				return nil, fmt.Errorf("internal error: a list item holds only template blocks")
			}
			if first > 0 {
				k := keys[first]
				copy(keys[1:first+1], keys[:first])
				keys[0] = k
			}
		}
		for _, k := range keys {
			if b, isBlock := x.vals[k].(block); isBlock {
				n.Content = append(n.Content,
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: w.placeholder(b)},
					&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
				continue
			}
			val, err := w.node(x.vals[k], false)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, val)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			en, err := w.node(e, true)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, en)
		}
		return n, nil
	case inline:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: w.placeholder(x)}, nil
	case block:
		return nil, fmt.Errorf("internal error: a template block outside a mapping")
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(x), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(x)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	default:
		return nil, fmt.Errorf("internal error: unexpected %T in an object", v)
	}
}

// escapeDelims keeps literal text literal: every "{{" becomes an action that
// prints "{{", so user data such as a Go template in a ConfigMap is not run
// by Helm.
func escapeDelims(s string) string {
	return strings.ReplaceAll(s, "{{", `{{ "{{" }}`)
}

// jsonText writes a tree without holes as one line of JSON.
func jsonText(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plain(v)); err != nil {
		return "", fmt.Errorf("write JSON: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// goString is s as a string literal inside a template action.
func goString(s string) string {
	b, _ := json.Marshal(s) // JSON strings are valid Go template strings
	return string(b)
}
