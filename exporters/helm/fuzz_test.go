package helm_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
)

// FuzzHelmStrings puts an arbitrary string into the user-text fields of a
// small configuration and requires either a clear refusal by the engine (a
// *engine.ConfigError) or a chart whose default render, by Helm's own
// engine, equals the YAML export object for object.
//
// Each input goes through the real engine, as a user's configuration does,
// so that the engine's rules decide what is refused: a mutated Result could
// hold strings no configuration can produce. Each input costs three loads,
// exports and renders, about 0.2 s (0.6 s with the fuzzer's coverage
// instrumentation, so a fuzzing run tries one or two inputs a second):
//   - the free-text fields, which Kubernetes takes any string in: an
//     annotation value, an env value (a value of values.yaml), ConfigMap and
//     Secret data values, the command and the arguments;
//   - the key fields, which share Kubernetes' qualified-name syntax: a label
//     key and value, an annotation key, ConfigMap and Secret data keys;
//   - the app's name (an RFC 1035 label).
//
// A string refused in one field so does not hide the other fields. The
// seed corpus (fuzzSeeds) is one or two strings of each kind of
// TestHostileStrings, which checks them all in bulk; with three loads each,
// all of them would add half a minute to every test run. Run the fuzzer for
// a bounded time, such as
//
//	go test ./exporters/helm -run '^$' -fuzz FuzzHelmStrings -fuzztime 30s
func FuzzHelmStrings(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	l := exporttest.NewLoader(f)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("CUE strings are Unicode text")
		}
		q := cueString(s)
		configs := []struct{ name, src string }{
			{"free text", "apps: web: " + plainApp(
				"annotations: note: "+q+
					"\n\tenv: FUZZ_VALUE: "+q+
					"\n\tconfigs: \"web-config\": {mountPath: \"/etc/web\", data: text: "+q+"}"+
					"\n\tsecrets: \"web-secret\": {mountPath: \"/etc/secret\", data: text: "+q+"}"+
					"\n\tcommand: [\"run\", "+q+"]"+
					"\n\targs: ["+q+", \"--flag\"]")},
			{"keys", "apps: web: " + plainApp(
				"labels: "+q+": "+q+
					"\n\tannotations: "+q+": \"x\""+
					"\n\tconfigs: \"web-config\": {mountPath: \"/etc/web\", data: "+q+": \"x\"}"+
					"\n\tsecrets: \"web-secret\": {mountPath: \"/etc/secret\", data: "+q+": \"x\"}")},
			{"app name", "apps: " + q + ": " + plainApp("")},
		}
		for _, c := range configs {
			src := "package fuzz\n\n" + c.src + "\n"
			r, err := loadSource(t, l, src)
			if err != nil {
				var refused *engine.ConfigError
				if !errors.As(err, &refused) {
					t.Fatalf("%s: the engine failed without a configuration error: %v\n%s", c.name, err, src)
				}
				continue
			}
			e := exportResult(t, r)
			got, err := e.render(nil)
			if err != nil {
				t.Fatalf("%s: render with default values: %v\n%s", c.name, err, src)
			}
			if diff := exporttest.DiffObjects(yamlExport(t, r), got); len(diff) > 0 {
				t.Fatalf("%s: the default render differs from the YAML export:\n%s\n%s", c.name, strings.Join(diff, "\n"), src)
			}
		}
	})
}

// fuzzSeeds are hostile strings of every kind: YAML 1.1 booleans, nulls,
// numbers and timestamps, indicators, spaces and line breaks, quotes,
// template text, the chart's placeholder prefix, characters YAML escapes.
var fuzzSeeds = []string{
	"y", "no", "off", "~", "", "0o17", "0x1F", "1_000", "1e3", ".inf", "012", "1:20", "2001-12-14",
	"<<", "=", "- x", "a: b", "#x", " leading", "trailing ", "multi\nline", "two\n\n", "\n", "crlf\r\nline",
	`"double"`, `back\slash`, "{{ .Release.Name }}", "}}", "__celestra_helm_hole_0000__",
	"emoji 😀", "next\u0085line", "del\x7f", "\ufeffbom", "nul\x00byte",
}
