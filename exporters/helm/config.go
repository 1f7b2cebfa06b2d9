package helm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The server settings of a preset (postgresConfig, mysqlConfig...) become a
// value when the chart can write them again exactly as celestra did: as
// command-line arguments of the app's container, or as one line per setting
// in a file of one of the app's ConfigMaps. Each form is recognised in the
// rendered objects and checked setting by setting; a configuration whose
// settings are rendered some other way (a nested YAML file, environment
// variables) keeps them as exported, and the value is not offered.

// argStyle is a way a server takes settings on its command line.
type argStyle struct {
	name  string
	items func(k, v string) []string
	// action writes the items of one setting, with $k and $v in scope.
	action []string
}

var argStyles = []argStyle{
	{"-c key=value", func(k, v string) []string { return []string{"-c", k + "=" + v} },
		[]string{`- "-c"`, `- {{ printf "%s=%s" $k $v | quote }}`}},
	{"--key=value", func(k, v string) []string { return []string{"--" + k + "=" + v} },
		[]string{`- {{ printf "--%s=%s" $k $v | quote }}`}},
	{"--key value", func(k, v string) []string { return []string{"--" + k, v} },
		[]string{`- {{ printf "--%s" $k | quote }}`, `- {{ quote $v }}`}},
}

// lineStyle is a configuration file format with one line per setting.
type lineStyle struct {
	name   string
	parse  func(line string) (k, v string, ok bool)
	format func(k, v string) string // what action writes, in Go
	action string                   // template expression of one line, $k and $v in scope
}

var settingKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

var lineStyles = []lineStyle{
	{
		// my.cnf: "key = value", or the bare key for an empty value.
		name: "key = value",
		parse: func(line string) (string, string, bool) {
			if k, v, ok := strings.Cut(line, " = "); ok {
				return k, v, settingKey.MatchString(k)
			}
			return line, "", settingKey.MatchString(line)
		},
		format: func(k, v string) string {
			if v == "" {
				return k
			}
			return k + " = " + v
		},
		action: `(ternary $k (printf "%s = %s" $k $v) (eq $v ""))`,
	},
	{
		// redis.conf: "key value".
		name: "key value",
		parse: func(line string) (string, string, bool) {
			k, v, ok := strings.Cut(line, " ")
			return k, v, ok && settingKey.MatchString(k)
		},
		format: func(k, v string) string { return k + " " + v },
		action: `(printf "%s %s" $k $v)`,
	},
	{
		// Flat YAML with JSON-quoted values (elasticsearch.yml).
		name: `key: "value"`,
		parse: func(line string) (string, string, bool) {
			k, rest, ok := strings.Cut(line, ": ")
			if !ok || !settingKey.MatchString(k) {
				return "", "", false
			}
			var v string
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				return "", "", false
			}
			return k, v, true
		},
		format: func(k, v string) string { return k + ": " + toJSON(v) },
		action: `(printf "%s: %s" $k (toJson $v))`,
	},
}

// toJSON is Helm's toJson for a string or a map of strings (encoding/json,
// HTML characters escaped).
func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (a *app) serverConfig(main *mapping, sts *object) error {
	if a.preset == "" {
		return nil
	}
	field := a.preset + "Config"
	settings := map[string]string{}
	if err := decodeIfExists(a.cue, field, &settings); err != nil {
		return fmt.Errorf("app %s: read %s: %w", a.name, field, err)
	}
	if len(settings) == 0 {
		return nil
	}
	inArgs, err := a.configArgs(main, field, settings)
	if err != nil {
		return fmt.Errorf("app %s: %s: %w", a.name, field, err)
	}
	inFile := false
	if !inArgs {
		if inFile, err = a.configFile(sts, field, settings); err != nil {
			return fmt.Errorf("app %s: %s: %w", a.name, field, err)
		}
	}
	var doc string
	switch {
	case inArgs:
		doc = fmt.Sprintf("%s are the server's settings, passed as %s arguments of its container.", field, a.configForm)
	case inFile:
		doc = fmt.Sprintf("%s are the server's settings, written as %s lines into %s. A change also changes the pods' celestra.dev/config-hash annotation, so they restart with it. Settings that the preset also reads elsewhere (for TLS or security switches, for example) belong in the CUE configuration.", field, a.configForm, a.configWhere)
	default:
		a.configNote = fmt.Sprintf("%s is not a value of this chart: the configuration renders it in a form the chart cannot write again. Change it in the CUE configuration and export again (settings rendered as environment variables are under env).", field)
		return nil
	}
	vals := map[string]any{}
	for k, v := range settings {
		vals[k] = v
	}
	a.schema.config = field
	a.values = append(a.values, valueEntry{field, doc, vals})
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// configArgs recognises the settings as consecutive arguments of the main
// container, in key order.
func (a *app) configArgs(main *mapping, field string, settings map[string]string) (bool, error) {
	raw, _ := main.get("args")
	list, _ := raw.([]any)
	args := make([]string, len(list))
	for i, x := range list {
		s, ok := x.(string)
		if !ok {
			return false, nil
		}
		args[i] = s
	}
	for _, style := range argStyles {
		var want []string
		for _, k := range sortedKeys(settings) {
			want = append(want, style.items(k, settings[k])...)
		}
		at := indexOf(args, want)
		if at < 0 {
			continue
		}
		before, after := list[:at], list[at+len(want):]
		var beforeText, afterText string
		var err error
		if len(before) > 0 {
			if beforeText, err = literalText(before); err != nil {
				return false, err
			}
		}
		if len(after) > 0 {
			if afterText, err = literalText(after); err != nil {
				return false, err
			}
		}
		action := style.action
		main.set("args", block{func(ind string) string {
			var b strings.Builder
			line := func(s string) { b.WriteString(ind + s + "\n") }
			if len(before)+len(after) == 0 {
				line(fmt.Sprintf("{{- if %s.%s }}", ref, field))
			}
			line("args:")
			b.WriteString(indentLines(beforeText, ind))
			line(fmt.Sprintf("{{- range $k, $v := %s.%s }}", ref, field))
			for _, l := range action {
				line(l)
			}
			line("{{- end }}")
			b.WriteString(indentLines(afterText, ind))
			if len(before)+len(after) == 0 {
				line("{{- end }}")
			}
			return b.String()
		}})
		a.configForm = fmt.Sprintf("%q", style.name)
		return true, nil
	}
	return false, nil
}

// configFile recognises the settings as a run of lines, sorted by key, in a
// file of one of the app's ConfigMaps. Lines of the run that the settings
// do not hold (the preset's own defaults) are kept, and a setting of the
// same key replaces them, as in the CUE configuration.
func (a *app) configFile(sts *object, field string, settings map[string]string) (bool, error) {
	for _, o := range a.objects {
		root := o.tree.(*mapping)
		if str(root, "kind") != "ConfigMap" {
			continue
		}
		data := path(root, "data")
		if data == nil {
			continue
		}
		for _, key := range data.keys {
			text, ok := data.vals[key].(string)
			if !ok {
				continue
			}
			for _, style := range lineStyles {
				run, ok := findRun(text, settings, style)
				if !ok {
					continue
				}
				b, err := fileBlock(key, field, run, style)
				if err != nil {
					return false, err
				}
				data.set(key, b)
				a.configForm = fmt.Sprintf("%q", style.name)
				a.configWhere = fmt.Sprintf("%s of ConfigMap %s", key, str(path(root, "metadata"), "name"))
				a.configHash(sts, field, settings)
				return true, nil
			}
		}
	}
	return false, nil
}

// lineRun is the part of a file the settings are written in.
type lineRun struct {
	prefix, suffix string
	fixed          map[string]string // lines of the run that are not settings
}

func findRun(text string, settings map[string]string, style lineStyle) (lineRun, bool) {
	lines := strings.SplitAfter(text, "\n")
	type parsed struct {
		k, v string
		ok   bool
	}
	p := make([]parsed, len(lines))
	for i, l := range lines {
		body, hasNL := strings.CutSuffix(l, "\n")
		if !hasNL {
			continue
		}
		k, v, ok := style.parse(body)
		if ok && style.format(k, v) == body {
			p[i] = parsed{k, v, true}
		}
	}
	lo, hi := len(lines), -1
	for k, v := range settings {
		at := -1
		for i := range p {
			if p[i].ok && p[i].k == k {
				if at >= 0 || p[i].v != v {
					return lineRun{}, false
				}
				at = i
			}
		}
		if at < 0 {
			return lineRun{}, false
		}
		lo, hi = min(lo, at), max(hi, at)
	}
	sortedRun := func(from, to int) bool {
		for i := from; i <= to; i++ {
			if !p[i].ok || (i > from && p[i-1].k >= p[i].k) {
				return false
			}
		}
		return true
	}
	if !sortedRun(lo, hi) {
		return lineRun{}, false
	}
	for lo > 0 && sortedRun(lo-1, hi) {
		lo--
	}
	for hi < len(lines)-1 && sortedRun(lo, hi+1) {
		hi++
	}
	run := lineRun{
		prefix: strings.Join(lines[:lo], ""),
		suffix: strings.Join(lines[hi+1:], ""),
		fixed:  map[string]string{},
	}
	for i := lo; i <= hi; i++ {
		if _, ok := settings[p[i].k]; !ok {
			run.fixed[p[i].k] = p[i].v
		}
	}
	return run, true
}

// fileBlock writes the file: its literal start, the merged settings in key
// order, its literal end.
func fileBlock(dataKey, field string, run lineRun, style lineStyle) (block, error) {
	key, err := inlineString(dataKey)
	if err != nil {
		return block{}, err
	}
	return block{func(ind string) string {
		var b strings.Builder
		line := func(format string, args ...any) { fmt.Fprintf(&b, ind+format+"\n", args...) }
		line("{{- $settings := fromJson %s }}", goString(toJSON(run.fixed)))
		line("{{- range $k, $v := %s.%s }}{{ $_ := set $settings $k $v }}{{ end }}", ref, field)
		line("{{- $text := %s }}", goString(run.prefix))
		line(`{{- range $k, $v := $settings }}{{ $text = print $text %s "\n" }}{{ end }}`, style.action)
		line("%s: {{ print $text %s | quote }}", key, goString(run.suffix))
		return b.String()
	}}, nil
}

// configHash: the pods' celestra.dev/config-hash stays as exported while
// the settings are those of the configuration, and becomes a hash of the
// settings when a value changes them, so that the pods restart.
func (a *app) configHash(sts *object, field string, settings map[string]string) {
	ann := path(sts.tree, "spec", "template", "metadata", "annotations")
	hash := str(ann, "celestra.dev/config-hash")
	if hash == "" {
		return
	}
	ann.set("celestra.dev/config-hash", inline{fmt.Sprintf(
		`{{ if eq (toJson %[1]s.%[2]s) %[3]s }}{{ %[4]s | quote }}{{ else }}{{ printf "%%s %%s" %[4]s (toJson %[1]s.%[2]s) | sha256sum | quote }}{{ end }}`,
		ref, field, goString(toJSON(settings)), goString(hash))})
}

func indexOf(list, sub []string) int {
	for i := 0; i+len(sub) <= len(list); i++ {
		match := true
		for j := range sub {
			if list[i+j] != sub[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}
