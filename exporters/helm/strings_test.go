package helm_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"cuelang.org/go/cue/literal"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
)

// hostileStrings are strings that YAML 1.1 (which Helm reads values,
// Chart.yaml and rendered templates with, through sigs.k8s.io/yaml) would
// not read back as the same string when written plain, or that Go's
// template engine would run if written literally into a template.
var hostileStrings = []string{
	// Booleans and nulls of YAML 1.1.
	"y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
	"true", "True", "TRUE", "false", "False", "FALSE", "~", "null", "Null", "NULL", "",
	// Numbers in every YAML 1.1 and Go notation.
	"0", "-0", "+12", "012", "0777", "08", "0o17", "0O17", "0x1F", "0X1f", "0b101", "1_000", "1__0", "0x_1",
	"1e3", "1E3", "1.5", ".5", "1.", "-1.5e-3", ".inf", "-.inf", "+.INF", ".Inf", ".nan", ".NaN", ".NAN",
	"1:20", "190:20:30.15", "-1:30",
	// Timestamps.
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14T21:59:43Z",
	// Indicators and syntax.
	"<<", "=", "!", "!!str", "!!binary x", "&a", "*a", "%TAG", "@x", "`x", "|", "> x", "-", "- x", "?", "? x",
	"[a]", "{a: b}", "{", "}", ",", "a, b", "---", "...", "--- x",
	"a: b", "a:b", "key:", ":x", "a #b", "#x", "x#", "a\t#b",
	// Spaces and line breaks.
	" leading", "trailing ", " ", "  both  ", "multi\nline", "trailing newline\n", "\n", "\n\n", "two\n\n",
	" \nindented", "carriage\rreturn", "crlf\r\nline", "tab\tin", "\ttab", "trailing tab\t",
	// Quotes and escapes.
	"'quoted'", `"double"`, "it's", `back\slash`, `\n`, `\"`, `\u0041`, `%s`, `%!s(bool=true)`,
	// Template text: Helm must write it, not run it.
	"{{", "}}", "{{ .Release.Name }}", `{{- fail "x" }}`, "{{/* c */}}", "a{{b}}c", "{{{", "}}}", "{{ {{ }} }}",
	"__celestra_helm_hole_0000__", "__celestra_helm_hole_",
	// Unicode and control characters.
	"unicode é ü 漢字", "emoji 😀", "\u00a0nbsp", "line\u2028separator", "para\u2029separator", "next\u0085line",
	"\ufeffbom", "del\x7f", "ctl\x01", "bell\a", "nul\x00byte", "\ufffd",
}

var (
	// labelValuePattern is a valid label value, and the name part of a
	// qualified name (label and annotation keys), as Kubernetes checks them.
	labelValuePattern = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	dnsLabelPattern   = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	dataKeyPattern    = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	envNamePattern    = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)
	settingPattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
)

// hostile returns the hostile strings that are valid where ok says so.
func hostile(ok func(string) bool) []string {
	var out []string
	for _, s := range hostileStrings {
		if ok(s) {
			out = append(out, s)
		}
	}
	return out
}

func qualifiedName(s string) bool { return s != "" && len(s) <= 63 && labelValuePattern.MatchString(s) }

// envName is an environment variable name Kubernetes accepts: not ".", not
// starting with "..".
func envName(s string) bool {
	return envNamePattern.MatchString(s) && s != "." && !strings.HasPrefix(s, "..")
}

func dataKey(s string) bool {
	return dataKeyPattern.MatchString(s) && s != "." && s != ".." && !strings.HasPrefix(s, "..")
}

// cueString is s as a CUE string literal.
func cueString(s string) string { return literal.String.Quote(s) }

// cueMap writes the keys and values as a CUE struct.
func cueMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "\t\t%s: %s\n", cueString(k), cueString(m[k]))
	}
	b.WriteString("\t}")
	return b.String()
}

func cueList(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = cueString(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// numbered maps prefix<i> to the i-th string.
func numbered(prefix string, list []string) map[string]string {
	m := map[string]string{}
	for i, s := range list {
		m[fmt.Sprintf("%s%03d", prefix, i)] = s
	}
	return m
}

// identity maps each string to itself.
func identity(list []string) map[string]string {
	m := map[string]string{}
	for _, s := range list {
		m[s] = s
	}
	return m
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// loadSource writes a configuration into a new folder and loads it.
func loadSource(t testing.TB, l *engine.Loader, src string) (*engine.Result, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return l.Load(dir)
}

// plainApp is a small app without a preset, with extra fields.
func plainApp(extra string) string {
	return `{
	image: "registry.example/team/app:1.0"
	ports: http: port: 8080
	storage: size: "1Gi"
	` + extra + `
}`
}

// TestHostileStrings puts strings that YAML 1.1 or Go templates would
// misread into every field that takes user text, each where Kubernetes
// accepts it, and requires the chart to be lint-clean and its default
// render to equal the YAML export object for object.
func TestHostileStrings(t *testing.T) {
	l := exporttest.NewLoader(t)
	// Settings written one per line into my.cnf, where a line break in a
	// value would start another setting.
	mysqlSettings := merge(numbered("hostile_", hostile(func(s string) bool { return !strings.ContainsAny(s, "\n\r") })), identity(hostile(settingPattern.MatchString)))
	labels := cueMap(identity(hostile(qualifiedName)))
	prefixed := map[string]string{}
	for _, s := range hostile(qualifiedName) {
		prefixed["example.com/"+s] = s
	}
	for _, c := range []struct {
		name string
		src  string
		// values, when set, are values.yaml entries that Helm must read
		// back as they are: app -> value -> what it holds.
		values map[string]map[string]any
		// chart, when set, is the chart's name, as Helm reads Chart.yaml.
		chart string
	}{
		{
			name: "app names",
			src: func() string {
				var b strings.Builder
				for _, n := range hostile(func(s string) bool { return dnsLabelPattern.MatchString(s) && len(s) <= 30 }) {
					fmt.Fprintf(&b, "apps: %s: %s\n", cueString(n), plainApp(""))
				}
				b.WriteString(`apps: "off": presets.#Postgres & {storage: size: "1Gi", secrets: "off-secret": data: password: "no"}` + "\n")
				return b.String()
			}(),
			chart: "celestra-false",
		},
		{
			name:  "labels",
			src:   "apps: y: " + plainApp("labels: "+labels),
			chart: "y",
		},
		{
			name: "annotations",
			src:  "apps: n: " + plainApp("annotations: "+cueMap(merge(numbered("hostile-", hostileStrings), identity(hostile(qualifiedName)), prefixed))),
		},
		{
			name:   "env",
			src:    "apps: web: " + plainApp("env: "+cueMap(merge(numbered("HOSTILE_", hostileStrings), identity(hostile(envName))))),
			values: map[string]map[string]any{"web": {"env": anyMap(merge(numbered("HOSTILE_", hostileStrings), identity(hostile(envName))))}},
		},
		{
			name: "configmap and secret data",
			src: "apps: web: " + plainApp(
				`configs: "web-config": {mountPath: "/etc/web", data: `+cueMap(merge(numbered("hostile-", hostileStrings), identity(hostile(dataKey))))+`}
	secrets: "web-secret": {mountPath: "/etc/secret", data: `+cueMap(merge(numbered("hostile-", hostileStrings), identity(hostile(dataKey))))+`}`),
		},
		{
			name: "command and args",
			// The last command precedes the env block, whose first action
			// trims the white space before it.
			src: "apps: web: " + plainApp("command: "+cueList(append(hostileStrings, "ends with a blank line\n\n"))+"\n\targs: "+cueList(hostileStrings)),
		},
		{
			name: "postgres settings",
			src: `apps: db: presets.#Postgres & {
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "yes"
	postgresConfig: ` + cueMap(merge(numbered("hostile_", hostileStrings), identity(hostile(settingPattern.MatchString)))) + `
}
`,
			values: map[string]map[string]any{"db": {"postgresConfig": anyMap(merge(numbered("hostile_", hostileStrings), identity(hostile(settingPattern.MatchString))))}},
		},
		{
			name: "mysql settings",
			src: `apps: shop: presets.#MySQL & {
	storage: size: "1Gi"
	secrets: "shop-secret": data: password: "on"
	mysqlConfig: ` + cueMap(mysqlSettings) + `
}
`,
			values: map[string]map[string]any{"shop": {"mysqlConfig": anyMap(mysqlSettings)}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := "package hostile\n\n" + c.src
			if strings.Contains(c.src, "presets.") {
				src = "package hostile\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\n" + c.src
			}
			r, err := loadSource(t, l, src)
			if err != nil {
				t.Fatalf("load: %v\n%s", err, src)
			}
			e := exportResult(t, r)
			lintStrict(t, e.dir)
			got, err := e.render(nil)
			if err != nil {
				t.Fatalf("render with default values: %v", err)
			}
			if diff := exporttest.DiffObjects(yamlExport(t, r), got); len(diff) > 0 {
				t.Fatalf("the default render differs from the YAML export:\n%s", strings.Join(diff, "\n"))
			}
			if c.chart != "" && e.chart.Metadata.Name != c.chart {
				t.Errorf("Helm reads the chart's name as %q, want %q", e.chart.Metadata.Name, c.chart)
			}
			for app, vals := range c.values {
				for key, want := range vals {
					if got := e.chart.Values[app].(map[string]any)[key]; !reflect.DeepEqual(got, want) {
						t.Errorf("values.yaml: Helm reads %s.%s as\n%#v\nwant\n%#v", app, key, got, want)
					}
				}
			}
		})
	}
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
