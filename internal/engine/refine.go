package engine

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
)

// instanceLabel is the label every rendered object carries with the name of
// its app.
const instanceLabel = "app.kubernetes.io/instance"

// refine rewrites the diagnostics of an invalid configuration in the user's
// terms, so that every message points at what the user wrote and the first
// one is the cause:
//
//   - a problem inside a rendered object (kubernetes.<key>... or
//     overlays.<env>.<key>...) is reported on the app that renders it, naming
//     the object's file and field; an object two apps render is one message
//     naming both;
//   - paths end at the user's field, not at the rules' hidden fields;
//   - the evaluator's follow-on noise is dropped when a clearer message covers
//     the same app, and otherwise said in plain words.
//
// v is the configuration as evaluated; user is the user's package as
// written (or v again), for positions.
func refine(diags []Diagnostic, v, user cue.Value) []Diagnostic {
	apps := appNames(v, user)
	owners := objectOwners(diags, v, apps)
	var out []Diagnostic
	collided := map[string]bool{}
	for _, d := range diags {
		root, key, rest, ok := objectPath(d.elems)
		if ok {
			names := owners[strings.Join(append(slices.Clone(root), key), ".")]
			if len(names) > 1 {
				if !collided[strings.Join(root, ".")+"."+key] {
					collided[strings.Join(root, ".")+"."+key] = true
					out = append(out, collision(root, key, names, user))
				}
				continue
			}
			d = relocate(d, root, key, rest, names, user)
		}
		out = append(out, trimInternal(d, v, user))
	}
	out = dropRuleFollowOns(out)
	out = dropDerived(out)
	out = dropFollowOns(out, user)
	for i := range out {
		out[i].Message = plainNoise(out[i].Message)
	}
	out = dedupe(out)
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// objectPath splits the path of a rendered object's field: root is
// [kubernetes] or [overlays <env>], key the object's key (<kind>-<name>),
// rest the field inside the object.
func objectPath(elems []string) (root []string, key string, rest []string, ok bool) {
	switch {
	case len(elems) >= 2 && elems[0] == "kubernetes":
		return elems[:1], unquoteLabel(elems[1]), elems[2:], true
	case len(elems) >= 3 && elems[0] == "overlays":
		return elems[:2], unquoteLabel(elems[2]), elems[3:], true
	}
	return nil, "", nil, false
}

// appNames lists the apps of the configuration, longest name first.
func appNames(v, user cue.Value) []string {
	var names []string
	for _, val := range []cue.Value{v, user} {
		it, err := val.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			continue
		}
		for it.Next() {
			names = append(names, it.Selector().Unquoted())
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(names)
}

var conflictingNames = regexp.MustCompile(`^conflicting values "([^"]*)" and "([^"]*)"`)

// objectOwners maps each rendered object a diagnostic is about
// ("kubernetes.<key>" or "overlays.<env>.<key>") to the apps that render it:
// the one its instance label names, the two a conflict on that label names,
// or else the app whose name the object's name starts with.
func objectOwners(diags []Diagnostic, v cue.Value, apps []string) map[string][]string {
	owners := map[string][]string{}
	add := func(object, app string) {
		if !slices.Contains(owners[object], app) {
			owners[object] = append(owners[object], app)
		}
	}
	for _, d := range diags {
		root, key, rest, ok := objectPath(d.elems)
		if !ok || len(rest) != 3 || rest[0] != "metadata" || rest[1] != "labels" || unquoteLabel(rest[2]) != instanceLabel {
			continue
		}
		if m := conflictingNames.FindStringSubmatch(d.Message); m != nil {
			object := strings.Join(append(slices.Clone(root), key), ".")
			add(object, m[1])
			add(object, m[2])
		}
	}
	for _, d := range diags {
		root, key, _, ok := objectPath(d.elems)
		if !ok {
			continue
		}
		object := strings.Join(append(slices.Clone(root), key), ".")
		if len(owners[object]) > 0 {
			continue
		}
		sels := []cue.Selector{}
		for _, r := range root {
			sels = append(sels, cue.Str(unquoteLabel(r)))
		}
		sels = append(sels, cue.Str(key), cue.Str("metadata"), cue.Str("labels"), cue.Str(instanceLabel))
		if app, err := v.LookupPath(cue.MakePath(sels...)).String(); err == nil && slices.Contains(apps, app) {
			add(object, app)
			continue
		}
		_, name, _ := strings.Cut(key, "-")
		for _, app := range apps { // longest first
			if name == app || strings.HasPrefix(name, app+"-") {
				add(object, app)
				break
			}
		}
	}
	for _, names := range owners {
		sort.Strings(names)
	}
	return owners
}

// relocate reports a problem of a rendered object on the app that renders
// it (or, under overlays, on the environment's settings of that app).
func relocate(d Diagnostic, root []string, key string, rest, owners []string, user cue.Value) Diagnostic {
	field := strings.Join(rest, ".")
	where := key + ".yaml"
	if len(root) == 2 {
		where = fmt.Sprintf("overlays/%s/%s", unquoteLabel(root[1]), where)
	}
	if field != "" {
		where += ", at " + field
	}
	d.Message = fmt.Sprintf("in the rendered %s: %s", where, d.Message)
	d.derived = true
	if len(owners) == 0 {
		d.Path, d.elems = "", nil
		return d
	}
	elems := []string{"apps", owners[0]}
	if len(root) == 2 {
		elems = []string{"environments", unquoteLabel(root[1]), owners[0]}
	}
	d.elems = elems
	d.Path = joinPath(elems)
	if pos := userPosition(user, elems); pos.IsValid() {
		if d.Position != "" && strings.HasPrefix(d.Position, "celestra@") && d.Rule == "" {
			d.Rule = d.Position
		}
		d.Position, _ = displayPosition(pos)
	}
	return d
}

// kindNames spells the kinds of object keys, for messages.
var kindNames = map[string]string{
	"statefulset": "StatefulSet", "service": "Service", "secret": "Secret", "configmap": "ConfigMap",
	"serviceaccount": "ServiceAccount", "role": "Role", "rolebinding": "RoleBinding",
	"networkpolicy": "NetworkPolicy", "poddisruptionbudget": "PodDisruptionBudget",
	"cronjob": "CronJob", "job": "Job", "servicemonitor": "ServiceMonitor",
}

// appFieldOf is the app field that declares objects of a kind by name.
var appFieldOf = map[string]string{
	"secret": "secrets", "configmap": "configs", "role": "roles", "rolebinding": "roles",
	"networkpolicy": "networkPolicies", "service": "services",
}

// collision is the one message for an object that two or more apps render.
func collision(root []string, key string, owners []string, user cue.Value) Diagnostic {
	kind, name, _ := strings.Cut(key, "-")
	kindName := kindNames[kind]
	if kindName == "" {
		kindName = kind
	}
	quoted := make([]string, len(owners))
	for i, o := range owners {
		quoted[i] = strconv.Quote(o)
	}
	msg := fmt.Sprintf("apps %s all render the %s %q (%s.yaml): an object name must be unique in a configuration; rename it in all apps but one",
		strings.Join(quoted, ", "), kindName, name, key)
	if len(owners) == 2 {
		msg = strings.Replace(msg, " all render ", " both render ", 1)
		msg = strings.Replace(msg, ", ", " and ", 1)
		msg = strings.Replace(msg, "in all apps but one", "in one of them", 1)
	}
	if kind == "secret" || kind == "configmap" {
		msg += ", or declare it in one app and with existing: true in the others"
	}
	last := owners[len(owners)-1]
	elems := []string{"apps", last}
	if len(root) == 2 {
		elems = []string{"environments", unquoteLabel(root[1]), last}
	}
	if f := appFieldOf[kind]; f != "" {
		candidate := append(slices.Clone(elems), f, name)
		if userPosition(user, candidate).IsValid() && lookup(user, candidate).Exists() {
			elems = candidate
		}
	}
	d := Diagnostic{Path: joinPath(elems), Message: msg, elems: elems}
	if pos := userPosition(user, elems); pos.IsValid() {
		d.Position, _ = displayPosition(pos)
	}
	return d
}

// trimInternal ends a path at the user's field: the hidden and definition
// fields the rules use (#rule, #mountRules, _cnf) are no place the user can
// look for. A rule held on such a field (where CUE keeps its error even when
// the user overrides a default) names the user's field at the head of its
// message, as a path relative to the struct that holds the rule:
// "storage.mountPath: mount path ...". That path, when the configuration has
// it, replaces the rule's, and leaves the message.
func trimInternal(d Diagnostic, v, user cue.Value) Diagnostic {
	if len(d.elems) == 0 {
		return d
	}
	if root := d.elems[0]; !strings.HasPrefix(root, "#") && !strings.HasPrefix(root, "_") &&
		!lookup(v, d.elems[:1]).Exists() {
		// A path inside the celestra module (an alias such as A.storage),
		// not in the configuration.
		d.Path, d.elems = "", nil
		return d
	}
	n := slices.IndexFunc(d.elems[1:], isInternalLabel) + 1
	if n == 0 {
		return d
	}
	elems := slices.Clone(d.elems[:n])
	if field, rest, ok := fieldPrefix(d.Message); ok && lookup(v, append(slices.Clone(elems), field...)).Exists() {
		elems = append(elems, field...)
		d.Message = rest
		if pos := userPosition(user, elems); pos.IsValid() {
			if d.Rule == "" && strings.HasPrefix(d.Position, "celestra@") {
				d.Rule = d.Position
			}
			d.Position, _ = displayPosition(pos)
		}
	}
	d.elems = elems
	d.Path = joinPath(elems)
	return d
}

// isInternalLabel reports whether a path element is a definition or a
// hidden field.
func isInternalLabel(e string) bool {
	return strings.HasPrefix(e, "#") || strings.HasPrefix(e, "_")
}

// fieldPrefix splits a rule's message "<path>: <text>" where path is a CUE
// path of regular fields (storage.mountPath, configs."web-config".mountPath).
func fieldPrefix(msg string) (field []string, rest string, ok bool) {
	for i := strings.Index(msg, ": "); i > 0; {
		if p := cue.ParsePath(msg[:i]); p.Err() == nil {
			sels := p.Selectors()
			for _, sel := range sels {
				if sel.LabelType() != cue.StringLabel {
					return nil, "", false
				}
				field = append(field, sel.String())
			}
			return field, msg[i+2:], len(field) > 0
		}
		next := strings.Index(msg[i+2:], ": ")
		if next < 0 {
			break
		}
		i += 2 + next
	}
	return nil, "", false
}

// secretRuleMention finds a rule message's mention of a Secret key, as the
// presets write it: secrets: "db-secret": data: "password".
var secretRuleMention = regexp.MustCompile(`secrets: ("[^"]*"): data: \*?("[^"]*")`)

var missingApp = regexp.MustCompile(`^there is no app "([^"]*)" for environment`)

// dropRuleFollowOns drops rule messages that misread an error as an absence:
// a preset's "needs a password" when the Secret key it names has an error
// of its own (a conflict), and an environment's "there is no app" when the
// app exists with an error.
func dropRuleFollowOns(diags []Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		if m := missingApp.FindStringSubmatch(d.Message); m != nil &&
			slices.ContainsFunc(diags, func(o Diagnostic) bool { return subject(o) == "apps."+m[1] }) {
			continue
		}
		m := secretRuleMention.FindStringSubmatch(d.Message)
		if m != nil && len(d.elems) >= 2 {
			secret, key := unquoteLabel(m[1]), unquoteLabel(m[2])
			app := d.elems[:2]
			if d.elems[0] == "environments" && len(d.elems) >= 3 {
				app = d.elems[:3]
			}
			want := append(slices.Clone(app), "secrets", secret, "data", key)
			if slices.ContainsFunc(diags, func(o Diagnostic) bool { return hasPrefixElems(o.elems, want) }) {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

func hasPrefixElems(elems, prefix []string) bool {
	if len(elems) < len(prefix) {
		return false
	}
	for i, p := range prefix {
		if unquoteLabel(elems[i]) != p {
			return false
		}
	}
	return true
}

// subject is the app (apps.<app>, or environments.<env>.<app>) a
// diagnostic is about, or "".
func subject(d Diagnostic) string {
	e := d.elems
	if e == nil {
		e = strings.Split(d.Path, ".")
	}
	switch {
	case len(e) >= 2 && e[0] == "apps":
		return "apps." + unquoteLabel(e[1])
	case len(e) >= 3 && e[0] == "environments":
		return "environments." + unquoteLabel(e[1]) + "." + unquoteLabel(e[2])
	}
	return ""
}

// dropDerived drops the problems found in rendered objects of an app that
// has a problem in what the user wrote, and those of an environment's
// objects of an app that has problems of its own: they are their
// consequences.
func dropDerived(diags []Diagnostic) []Diagnostic {
	direct, any := map[string]bool{}, map[string]bool{}
	for _, d := range diags {
		if !d.derived {
			direct[subject(d)] = true
		}
		any[subject(d)] = true
	}
	var out []Diagnostic
	for _, d := range diags {
		s := subject(d)
		if d.derived && (direct[s] || (s == "" && len(direct) > 0)) {
			continue
		}
		if d.derived && len(d.elems) == 3 && d.elems[0] == "environments" && any["apps."+unquoteLabel(d.elems[2])] {
			continue
		}
		out = append(out, d)
	}
	return out
}

// dedupe drops a message repeated on the same field (with another rule
// position), or repeated without a path when another copy has one.
func dedupe(diags []Diagnostic) []Diagnostic {
	var out []Diagnostic
	for _, d := range diags {
		if i := slices.IndexFunc(out, func(o Diagnostic) bool {
			return o.Message == d.Message && (o.Path == d.Path || o.Path == "")
		}); i >= 0 {
			if out[i].Path == "" {
				out[i] = d
			}
			continue
		}
		if d.Path == "" && slices.ContainsFunc(out, func(o Diagnostic) bool { return o.Message == d.Message }) {
			continue
		}
		out = append(out, d)
	}
	return out
}

var (
	incompleteValue  = regexp.MustCompile(`^(.*?)incomplete value (.+)$`)
	nonConcreteValue = regexp.MustCompile(`^(.*?)non-concrete value (.+) in operand to .*$`)
)

// plainNoise says the evaluator's messages about a value that is only a
// type in the user's words.
func plainNoise(msg string) string {
	for _, re := range []*regexp.Regexp{nonConcreteValue, incompleteValue} {
		if m := re.FindStringSubmatch(msg); m != nil {
			return fmt.Sprintf("%sis not set to a value (only constrained to %s): give it a concrete value", m[1], m[2])
		}
	}
	return msg
}

// lookup finds the value at path elems (as CUE reports them) in v.
func lookup(v cue.Value, elems []string) cue.Value {
	sels := make([]cue.Selector, 0, len(elems))
	for _, e := range elems {
		switch {
		case strings.HasPrefix(e, "#"):
			sels = append(sels, cue.Def(e))
		case strings.HasPrefix(e, "_"):
			return cue.Value{}
		default:
			if n, err := strconv.Atoi(e); err == nil {
				sels = append(sels, cue.Index(n))
			} else {
				sels = append(sels, cue.Str(unquoteLabel(e)))
			}
		}
	}
	return v.LookupPath(cue.MakePath(sels...))
}

// joinPath writes path elements as CUE paths are printed, quoting labels
// that are not identifiers.
func joinPath(elems []string) string {
	parts := make([]string, len(elems))
	for i, e := range elems {
		u := unquoteLabel(e)
		if u != e || identifier.MatchString(u) || strings.HasPrefix(u, "#") {
			parts[i] = e
			if u != e {
				parts[i] = strconv.Quote(u)
			}
			continue
		}
		if _, err := strconv.Atoi(u); err == nil {
			parts[i] = u
			continue
		}
		parts[i] = strconv.Quote(u)
	}
	return strings.Join(parts, ".")
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
