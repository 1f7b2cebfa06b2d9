package engine

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
)

// environmentConflictHint explains a conflict between two concrete values
// under environments.<env>.<app>: CUE never overrides a concrete value, so an
// environment can only change what the app leaves as a default. It returns
// "" for every other error.
//
// user, when valid, is the user's package, where the app's own value is
// looked up to suggest the default to write.
func environmentConflictHint(path []string, format string, args []any, user cue.Value) string {
	if len(path) < 4 || path[0] != "environments" || !strings.HasPrefix(format, "conflicting values") {
		return ""
	}
	if len(args) != 2 || !isLiteral(fmt.Sprint(args[0])) || !isLiteral(fmt.Sprint(args[1])) {
		// A type mismatch (3 and string, for example) needs no hint.
		return ""
	}
	app, field := path[2], path[3:]
	setting := "apps." + app + "." + strings.Join(field, ".")
	generic := fmt.Sprintf(": %s is a fixed value in the app, and CUE never overrides a concrete value; "+
		"an environment can only change a setting the app leaves as a default (written *value | type)", setting)
	if !user.Exists() {
		return generic
	}
	sels := []cue.Selector{cue.Str("apps"), cue.Str(app)}
	for _, f := range field {
		if n, err := strconv.Atoi(f); err == nil {
			sels = append(sels, cue.Index(n))
		} else {
			sels = append(sels, cue.Str(f))
		}
	}
	v := user.LookupPath(cue.MakePath(sels...))
	if !v.IsConcrete() || !v.Pos().IsValid() || strings.HasPrefix(v.Pos().Filename(), virtualRoot) {
		return generic
	}
	typ := map[cue.Kind]string{cue.IntKind: "int", cue.FloatKind: "number", cue.StringKind: "string", cue.BoolKind: "bool"}[v.Kind()]
	if typ == "" {
		return generic
	}
	pos, _ := displayPosition(v.Pos())
	return fmt.Sprintf(": %s is fixed to %v at %s, and CUE never overrides a concrete value; "+
		"to let environments change it, make it a default there: %s: *%v | %s",
		setting, v, pos, field[len(field)-1], v, typ)
}

// isLiteral reports whether s, as CUE prints a value in a message, is a
// concrete scalar rather than a type or a constraint.
func isLiteral(s string) bool {
	if s == "true" || s == "false" || s == "null" {
		return true
	}
	if _, err := strconv.Unquote(s); err == nil {
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
