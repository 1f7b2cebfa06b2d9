package cli

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// minSecretLen is the shortest secret value assertNoSecretValues looks for:
// a shorter one ("x", "pw") appears in ordinary words of any message.
const minSecretLen = 4

// assertNoSecretValues fails if stderr shows a value the configuration src
// puts under a Secret's data (secrets: <name>: data: <key>: <value>, in an
// app or an environment). It reads src with CUE's parser, independently of
// the engine's own redaction. A value that src also writes outside any
// Secret (as a name, say) may rightly be shown and is not looked for.
func assertNoSecretValues(t *testing.T, src, stderr string) {
	t.Helper()
	for _, value := range secretLeaks(src, stderr) {
		t.Errorf("the message shows the secret value %q:\n%s", value, stderr)
	}
}

// secretLeaks returns the secret values of src that stderr shows, sorted.
func secretLeaks(src, stderr string) []string {
	f, err := parser.ParseFile("src.cue", src)
	if err != nil {
		return nil // a syntax error is a bad input of its own
	}
	secret, public := map[string]bool{}, map[string]bool{}
	collectLiterals(f.Decls, nil, secret, public)
	var leaks []string
	for value := range secret {
		if len(value) >= minSecretLen && !public[value] && strings.Contains(stderr, value) {
			leaks = append(leaks, value)
		}
	}
	slices.Sort(leaks)
	return leaks
}

// collectLiterals walks declarations below the labels at, sorting every
// literal into secret (under secrets.<name>.data.<key>) or public, and
// putting every label into public.
func collectLiterals(decls []ast.Decl, at []string, secret, public map[string]bool) {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(d.Label)
			if err != nil {
				continue
			}
			public[name] = true
			collectExpr(d.Value, append(slices.Clone(at), name), secret, public)
		case *ast.EmbedDecl:
			collectExpr(d.Expr, at, secret, public)
		}
	}
}

func collectExpr(e ast.Expr, at []string, secret, public map[string]bool) {
	switch e := e.(type) {
	case *ast.StructLit:
		collectLiterals(e.Elts, at, secret, public)
	case *ast.BinaryExpr:
		collectExpr(e.X, at, secret, public)
		collectExpr(e.Y, at, secret, public)
	case *ast.UnaryExpr:
		collectExpr(e.X, at, secret, public)
	case *ast.ParenExpr:
		collectExpr(e.X, at, secret, public)
	case *ast.BasicLit:
		value := e.Value
		if e.Kind == 0 || strings.HasPrefix(value, `"`) {
			if s, err := strconv.Unquote(value); err == nil {
				value = s
			}
		}
		if underSecretData(at) {
			secret[value] = true
		} else {
			public[value] = true
		}
	}
}

// underSecretData reports whether the labels end in secrets.<name>.data.<key>.
func underSecretData(at []string) bool {
	n := len(at)
	return n >= 4 && at[n-4] == "secrets" && at[n-2] == "data"
}

func TestAssertNoSecretValuesFindsALeak(t *testing.T) {
	src := `package p
apps: db: {secrets: "db-secret": data: password: "hunter22"}
environments: prod: db: secrets: "db-secret": data: password: "prod-pass"
`
	secret, public := map[string]bool{}, map[string]bool{}
	f, err := parser.ParseFile("src.cue", src)
	if err != nil {
		t.Fatal(err)
	}
	collectLiterals(f.Decls, nil, secret, public)
	for _, want := range []string{"hunter22", "prod-pass"} {
		if !secret[want] {
			t.Errorf("%q not found as a secret value (found %v)", want, secret)
		}
	}
	got := secretLeaks(src, `conflicting values "hunter22" and "prod-pass"`)
	if !slices.Equal(got, []string{"hunter22", "prod-pass"}) {
		t.Errorf("leaks found: %v, want both passwords", got)
	}
	if got := secretLeaks(src, `apps.db.secrets."db-secret".data.password: conflicting values <redacted>`); len(got) > 0 {
		t.Errorf("a redacted message counted as a leak: %v", got)
	}
}
