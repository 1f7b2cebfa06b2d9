package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// UsageError is a problem with how celestra was called (a missing path, for
// example) rather than with the configuration.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Diagnostic is one problem found in a configuration.
type Diagnostic struct {
	// Position is "file:line:col" of the user's code when known, else of the
	// rule in the celestra module.
	Position string
	// Path is the CUE path of the offending field, such as apps.db.replicas.
	Path string
	// Message says what rule was broken.
	Message string
	// Rule is the position of the rule in the celestra module, when the
	// problem was found there and Position is the user's.
	Rule string

	// elems is Path as CUE reported it, one element per label (quoted as
	// in Path); nil for diagnostics celestra made itself.
	elems []string
	// derived marks a problem found in a rendered object rather than in
	// what the user wrote: a consequence, when the app has another problem.
	derived bool
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Position != "" {
		b.WriteString(d.Position + ": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	b.WriteString(d.Message)
	if d.Rule != "" {
		b.WriteString(" (rule: " + d.Rule + ")")
	}
	return b.String()
}

// ConfigError is an invalid configuration: every problem found, the most
// actionable first.
type ConfigError struct {
	Diagnostics []Diagnostic
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// newConfigError turns CUE errors into diagnostics with readable positions:
// user files relative to the working directory, embedded files as
// celestra@<version>/<file>.
//
// user, when valid, is the user's package before unification with the
// schemas: the position of the offending field is looked up there, since CUE
// reports the rule's position for errors raised by a rule.
func newConfigError(err error, user cue.Value) *ConfigError {
	seen := map[string]bool{}
	var diags []Diagnostic
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		path := e.Path()
		if len(path) > 0 && path[0] == "#Config" {
			path = path[1:]
		}
		hintArgs, hintUser := args, user
		secret := isSecretDataPath(path)
		if secret {
			// Never quote a Secret's value; the hint then names the
			// setting without its value.
			args, hintUser = redactArgs(args, path), cue.Value{}
		}
		d := Diagnostic{
			Path:    strings.Join(path, "."),
			Message: fmt.Sprintf(format, args...),
			elems:   slices.Clone(path),
		}
		if full := e.Error(); !secret && (d.Message == "" || (strings.HasPrefix(full, d.Message) && len(full) > len(d.Message))) {
			// Loader errors (modules, imports) carry their cause only in
			// Error().
			d.Message = full
		}
		d.Message += environmentConflictHint(path, format, hintArgs, hintUser)
		if pos := userPosition(user, path); pos.IsValid() {
			d.Position, _ = displayPosition(pos)
		}
		for _, pos := range cueerrors.Positions(e) {
			if isGenerated(pos) {
				continue // the embedding celestra adds, which the user never wrote
			}
			name, embedded := displayPosition(pos)
			if !embedded && d.Position != "" {
				continue
			}
			switch {
			case !embedded && d.Position == "":
				d.Position = name
			case embedded && d.Rule == "":
				d.Rule = name
			}
		}
		if d.Position == "" {
			d.Position, d.Rule = d.Rule, ""
		}
		key := d.Path + "\x00" + d.Message
		// One rule at one place reports once per field: CUE can raise it
		// again through a reference to the field, sometimes with its
		// message's interpolations left unevaluated.
		ruleKey := d.Path + "\x00rule\x00" + d.Rule
		if seen[key] || (d.Rule != "" && seen[ruleKey]) {
			continue
		}
		seen[key] = true
		if d.Rule != "" {
			seen[ruleKey] = true
		}
		diags = append(diags, d)
	}
	sort.SliceStable(diags, func(i, j int) bool { return rank(diags[i]) < rank(diags[j]) })
	return &ConfigError{Diagnostics: dropFollowOns(diags, user)}
}

// dropFollowOns removes the evaluator's generic errors about a field when a
// clearer error was reported at or below it: they are its consequence. So
// are those about a field the user did not write (a value a preset derives,
// such as a generated configuration file) when a clearer error was reported
// anywhere in the same app, or anywhere at all for an error about no app.
//
// user is the user's package as written, when known.
func dropFollowOns(diags []Diagnostic, user cue.Value) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		followOn := false
		if rank(d) == 3 {
			derived := !userWrote(user, d)
			for _, o := range diags {
				if rank(o) < 3 && (o.Path == d.Path || strings.HasPrefix(o.Path, d.Path+".") ||
					(derived && (subject(d) == "" || subject(o) == subject(d)))) {
					followOn = true
					break
				}
			}
		}
		if !followOn {
			out = append(out, d)
		}
	}
	return out
}

// userWrote reports whether the user wrote the field d is about, in user.
func userWrote(user cue.Value, d Diagnostic) bool {
	if !user.Exists() || len(d.elems) == 0 {
		return false
	}
	v := lookup(user, d.elems)
	pos := v.Pos()
	return v.Exists() && pos.IsValid() && !strings.HasPrefix(pos.Filename(), virtualRoot) && !isGenerated(pos)
}

// userPosition finds where the user wrote the field at path, or the nearest
// field above it that the user wrote.
func userPosition(user cue.Value, path []string) token.Pos {
	if !user.Exists() {
		return token.NoPos
	}
	best := token.NoPos
	v := user
	for _, elem := range path {
		var sel cue.Selector
		switch {
		case strings.HasPrefix(elem, "#"):
			sel = cue.Def(elem)
		default:
			if n, err := strconv.Atoi(elem); err == nil {
				sel = cue.Index(n)
			} else {
				sel = cue.Str(unquoteLabel(elem))
			}
		}
		v = v.LookupPath(cue.MakePath(sel))
		if !v.Exists() {
			break
		}
		if pos := v.Pos(); pos.IsValid() && !strings.HasPrefix(pos.Filename(), virtualRoot) && !isGenerated(pos) {
			best = pos
		}
	}
	return best
}

// rank orders diagnostics: celestra's own rule messages first, then bounds
// and unknown fields, then conflicts, then the evaluator's generic
// follow-on noise.
func rank(d Diagnostic) int {
	m := d.Message
	switch {
	case strings.Contains(m, "empty disjunction"), strings.Contains(m, "error in call to"),
		strings.Contains(m, "incomplete value"), strings.Contains(m, "non-concrete"),
		strings.Contains(m, "invalid interpolation"), strings.Contains(m, "key value of dynamic field must be concrete"):
		return 3
	case strings.Contains(m, "out of bound"), strings.Contains(m, "field not allowed"),
		strings.Contains(m, "field is required"):
		return 1
	case strings.Contains(m, "conflicting values"):
		// Often one side is a default of the schema the user never wrote.
		return 2
	default:
		return 0
	}
}

// isGenerated reports whether pos is in the file celestra adds to the
// user's package (embedFileName).
func isGenerated(pos token.Pos) bool {
	return filepath.Base(pos.Filename()) == embedFileName
}

func displayPosition(pos token.Pos) (name string, embedded bool) {
	file := pos.Filename()
	if rest, ok := strings.CutPrefix(file, virtualRoot+"/"); ok {
		return fmt.Sprintf("celestra@%s/%s:%d:%d", ModuleVersion, rest, pos.Line(), pos.Column()), true
	}
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	return fmt.Sprintf("%s:%d:%d", file, pos.Line(), pos.Column()), false
}
