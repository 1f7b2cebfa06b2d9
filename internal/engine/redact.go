package engine

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// redacted replaces a secret value in a message.
const redacted = "<redacted>"

// isSecretDataPath reports whether a CUE path lies under the data of a
// Secret: secrets.<name>.data in an app or an environment, or the data of a
// rendered Secret object (kubernetes."secret-<name>" or
// overlays.<env>."secret-<name>").
func isSecretDataPath(path []string) bool {
	for i := 0; i+2 < len(path); i++ {
		if path[i] == "secrets" && path[i+2] == "data" {
			return true
		}
	}
	object := -1
	switch {
	case len(path) > 0 && path[0] == "kubernetes":
		object = 1
	case len(path) > 1 && path[0] == "overlays":
		object = 2
	}
	if object < 0 || object+1 >= len(path) {
		return false
	}
	key := unquoteLabel(path[object])
	return strings.HasPrefix(key, "secret-") && (path[object+1] == "data" || path[object+1] == "stringData")
}

// redactArgs replaces the concrete values among a message's arguments, as
// CUE prints them ("x", 'x', 42), by a placeholder; types and constraints
// (string, >=1) stay, since they say what was expected, and so do the
// labels of path (a rule's message may name the key).
//
// A rule's error() message passes its interpolations as Go strings, where
// the evaluator passes values: an unquoted number or bool there is one the
// rule computed (a count, a size), since the values of a Secret's data are
// strings, and it stays.
func redactArgs(args []any, path []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		s := fmt.Sprint(a)
		if str, ok := a.(string); ok && !isQuoted(str) {
			out[i] = a
			continue
		}
		if (isLiteral(s) || isBytesLiteral(s)) && !isLabelOf(s, path) {
			out[i] = redacted
		} else {
			out[i] = a
		}
	}
	return out
}

// isQuoted reports whether s is a quoted string or bytes literal.
func isQuoted(s string) bool {
	if _, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		return true
	}
	return isBytesLiteral(s)
}

func isLabelOf(s string, path []string) bool {
	u, err := literal.Unquote(s)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(path, func(e string) bool { return unquoteLabel(e) == u })
}

func isBytesLiteral(s string) bool {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return false
	}
	_, err := literal.Unquote(s)
	return err == nil
}

// secretScrubber removes from messages every value the user wrote under a
// Secret's data: the safety net behind the structural redaction of
// newConfigError, for messages about other paths that quote such a value.
type secretScrubber struct {
	// strings are replaced wherever they occur.
	strings []string
	// numbers are replaced where they stand alone.
	numbers []*regexp.Regexp
}

// minRawSecret is the shortest secret value replaced where it appears
// unquoted: shorter ones would clobber ordinary words of the messages.
const minRawSecret = 6

// newSecretScrubber collects the literals written under secrets: <name>:
// data: in the user's files (the instance's own files and those of the
// user's packages it imports; never the embedded celestra module's).
func newSecretScrubber(inst *build.Instance) *secretScrubber {
	s := &secretScrubber{}
	values := map[string]bool{}
	numbers := map[string]bool{}
	seen := map[*build.Instance]bool{}
	var visit func(*build.Instance)
	visit = func(in *build.Instance) {
		if in == nil || seen[in] {
			return
		}
		seen[in] = true
		for _, f := range userFiles(in) {
			collectSecretLiterals(f, values, numbers)
		}
		for _, imp := range in.Imports {
			visit(imp)
		}
	}
	visit(inst)
	for v := range values {
		if v == "" {
			continue
		}
		forms := []string{literal.String.Quote(v), literal.Bytes.Quote(v), strconv.Quote(v)}
		b64 := base64.StdEncoding.EncodeToString([]byte(v))
		forms = append(forms, literal.String.Quote(b64), strconv.Quote(b64))
		if len(v) >= minRawSecret {
			forms = append(forms, v, b64)
		}
		s.strings = append(s.strings, forms...)
	}
	// Longest first, so that a value containing another is replaced whole.
	slices.SortFunc(s.strings, func(a, b string) int { return len(b) - len(a) })
	s.strings = slices.Compact(s.strings)
	for n := range numbers {
		if len(n) < 4 {
			continue // 1, 80, 443 are everywhere in messages
		}
		s.numbers = append(s.numbers, regexp.MustCompile(`(^|[^0-9A-Za-z_.:'"])`+regexp.QuoteMeta(n)+`($|[^0-9A-Za-z_.:'"])`))
	}
	return s
}

// collectSecretLiterals adds to values (strings) and numbers every literal
// of f that lies under a field path ... secrets: <name>: data: ...
func collectSecretLiterals(f *ast.File, values, numbers map[string]bool) {
	var labels []string
	isLabel := map[ast.Node]bool{} // a key under data is no secret
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(n.Label)
			if err != nil {
				name = "?"
			}
			labels = append(labels, name)
			isLabel[n.Label] = true
		case *ast.BasicLit:
			if underSecretData(labels) && !isLabel[n] {
				switch n.Kind {
				case token.STRING:
					if v, err := literal.Unquote(n.Value); err == nil {
						values[v] = true
					}
				case token.INT, token.FLOAT:
					numbers[n.Value] = true
				}
			}
		}
		return true
	}, func(n ast.Node) {
		if _, ok := n.(*ast.Field); ok {
			labels = labels[:len(labels)-1]
		}
	})
}

func underSecretData(labels []string) bool {
	for i := 0; i+2 < len(labels); i++ {
		if labels[i] == "secrets" && labels[i+2] == "data" {
			return true
		}
	}
	return false
}

// scrub returns msg with every collected secret value replaced.
func (s *secretScrubber) scrub(msg string) string {
	if s == nil {
		return msg
	}
	for _, v := range s.strings {
		if len(v) >= minRawSecret || strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) {
			msg = strings.ReplaceAll(msg, v, redacted)
		}
	}
	for _, re := range s.numbers {
		msg = re.ReplaceAllString(msg, "${1}"+redacted+"${2}")
	}
	return msg
}

func unquoteLabel(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}
