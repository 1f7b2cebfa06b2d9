package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"cuelang.org/go/cue/literal"

	"github.com/celestra-dev/celestra/exporters/compose"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
)

// FuzzUserText is strict by default on its seed corpus (the inputs go test
// runs without -fuzz, as CI's go test ./... does): a string the engine
// accepts must pass the Kubernetes validation gate, so that CUE's rules are
// the messenger and the gate only a safety net. While fuzzing, a refusal by
// the gate counts as a clear refusal (it names the app and the field, exit
// 1, nothing written), since a random input the rules miss is not a broken
// promise; -cuefirst makes fuzzing strict too, and -gatelenient makes the
// seed corpus lenient.
var (
	cueFirst    = flag.Bool("cuefirst", false, "FuzzUserText: while fuzzing too, fail when the gate refuses what the engine accepted")
	gateLenient = flag.Bool("gatelenient", false, "FuzzUserText: count the gate's refusal of what the engine accepted as a clear refusal, on the seed corpus too")
)

// gateMustAgree tells whether FuzzUserText fails when the gate refuses what
// the engine accepted (see cueFirst).
func gateMustAgree() bool {
	if *gateLenient {
		return false
	}
	fuzz := flag.Lookup("test.fuzz")
	return *cueFirst || fuzz == nil || fuzz.Value.String() == ""
}

// userTextField is one field of a configuration that takes user text.
type userTextField struct {
	name string
	// src is the configuration with the fuzzed string, as a CUE literal, at
	// each "Q".
	src string
	// path is where a refusal must point: a prefix of one diagnostic's path.
	path string
	// secret says the string is a value of a Secret's data, which no message
	// may show.
	secret bool
}

// webApp is a plain app named web with extra fields.
func webApp(extra string) string {
	return `apps: web: {
	image: "registry.example/team/app:1.0"
	ports: http: port: 8080
	storage: size: "1Gi"
	` + extra + `
}
`
}

// userTextFields are every field a user writes text into, one fuzzed string
// at a time, so that a refusal names the field that holds it.
var userTextFields = []userTextField{
	{name: "app name", src: `apps: Q: {image: "registry.example/team/app:1.0", storage: size: "1Gi"}`, path: "apps."},
	{name: "namespace", src: webApp(`namespace: Q`), path: "apps.web.namespace"},
	{name: "image", src: `apps: web: {image: Q, storage: size: "1Gi"}`, path: "apps.web.image"},
	{name: "label key", src: webApp(`labels: Q: "x"`), path: "apps.web.labels"},
	{name: "label value", src: webApp(`labels: tier: Q`), path: "apps.web.labels"},
	{name: "annotation key", src: webApp(`annotations: Q: "x"`), path: "apps.web.annotations"},
	{name: "annotation value", src: webApp(`annotations: note: Q`), path: "apps.web.annotations"},
	{name: "node selector key", src: webApp(`nodeSelector: Q: "x"`), path: "apps.web.nodeSelector"},
	{name: "node selector value", src: webApp(`nodeSelector: disk: Q`), path: "apps.web.nodeSelector"},
	{name: "toleration key", src: webApp(`tolerations: [{key: Q, operator: "Exists"}]`), path: "apps.web.tolerations"},
	{name: "env name", src: webApp(`env: Q: "x"`), path: "apps.web.env"},
	{name: "env value", src: webApp(`env: FUZZ: Q`), path: "apps.web.env"},
	{name: "fieldEnv name", src: webApp(`fieldEnv: Q: "metadata.name"`), path: "apps.web.fieldEnv"},
	{name: "fieldEnv field", src: webApp(`fieldEnv: POD: Q`), path: "apps.web.fieldEnv"},
	{name: "command", src: webApp(`command: ["run", Q]`), path: "apps.web.command"},
	{name: "args", src: webApp(`args: [Q, "--flag"]`), path: "apps.web.args"},
	{name: "port name", src: webApp(`ports: Q: port: 9090`), path: "apps.web.ports"},
	{name: "storage class", src: webApp(`storage: storageClass: Q`), path: "apps.web.storage"},
	{name: "storage mount path", src: webApp(`storage: mountPath: Q`), path: "apps.web.storage"},
	{name: "volume name", src: webApp(`volumes: Q: {mountPath: "/scratch", emptyDir: {}}`), path: "apps.web.volumes"},
	{name: "volume mount path", src: webApp(`volumes: scratch: {mountPath: Q, emptyDir: {}}`), path: "apps.web.volumes"},
	{name: "volume subPath", src: webApp(`volumes: scratch: {mountPath: "/scratch", subPath: Q, emptyDir: {}}`), path: "apps.web.volumes"},
	{name: "configmap name", src: webApp(`configs: Q: {mountPath: "/etc/web", data: a: "x"}`), path: "apps.web.configs"},
	{name: "configmap key", src: webApp(`configs: "web-config": {mountPath: "/etc/web", data: Q: "x"}`), path: "apps.web.configs"},
	{name: "configmap value", src: webApp(`configs: "web-config": {mountPath: "/etc/web", data: text: Q}`), path: "apps.web.configs"},
	{name: "configmap mount path", src: webApp(`configs: "web-config": {mountPath: Q, data: text: "x"}`), path: "apps.web.configs"},
	{name: "configmap env name", src: webApp(`configs: "web-config": {data: text: "x", env: Q: "text"}`), path: "apps.web.configs"},
	{name: "secret name", src: webApp(`secrets: Q: {mountPath: "/etc/secret", data: a: "x"}`), path: "apps.web.secrets"},
	{name: "secret key", src: webApp(`secrets: "web-secret": {mountPath: "/etc/secret", data: Q: "x"}`), path: "apps.web.secrets"},
	{name: "secret value", src: webApp(`secrets: "web-secret": {mountPath: "/etc/secret", data: text: Q}`), path: "apps.web.secrets", secret: true},
	{name: "secret env name", src: webApp(`secrets: "web-secret": {data: password: "x", env: Q: "password"}`), path: "apps.web.secrets"},
	{name: "secret env key", src: webApp(`secrets: "web-secret": {data: password: "x", env: PASSWORD: Q}`), path: "apps.web.secrets"},
	{name: "sidecar name", src: webApp(`sidecars: Q: command: ["sleep", "1"]`), path: "apps.web.sidecars"},
	{name: "sidecar image", src: webApp(`sidecars: helper: image: Q`), path: "apps.web.sidecars"},
	{name: "sidecar env name", src: webApp(`sidecars: helper: env: Q: "x"`), path: "apps.web.sidecars"},
	{name: "sidecar env value", src: webApp(`sidecars: helper: env: FUZZ: Q`), path: "apps.web.sidecars"},
	{name: "sidecar fieldEnv name", src: webApp(`sidecars: helper: fieldEnv: Q: "metadata.name"`), path: "apps.web.sidecars"},
	{name: "sidecar command", src: webApp(`sidecars: helper: command: [Q]`), path: "apps.web.sidecars"},
	{name: "init container name", src: webApp(`initContainers: Q: command: ["true"]`), path: "apps.web.initContainers"},
	{name: "init container env name", src: webApp(`initContainers: setup: env: Q: "x"`), path: "apps.web.initContainers"},
	{name: "init container env value", src: webApp(`initContainers: setup: env: FUZZ: Q`), path: "apps.web.initContainers"},
	{name: "init container args", src: webApp(`initContainers: setup: args: [Q]`), path: "apps.web.initContainers"},
	{name: "service name", src: webApp(`services: Q: {}`), path: "apps.web.services"},
	{name: "service annotation value", src: webApp(`services: public: annotations: note: Q`), path: "apps.web.services"},
	{name: "service selector value", src: webApp(`services: primary: selector: "statefulset.kubernetes.io/pod-name": Q`), path: "apps.web.services"},
	{name: "expose annotation value", src: webApp(`expose: annotations: note: Q`), path: "apps.web.expose"},
	{name: "service account name", src: webApp(`serviceAccount: name: Q`), path: "apps.web.serviceAccount"},
	{name: "environment env value", src: webApp(`env: FUZZ: *"base" | string`) + `environments: production: web: env: FUZZ: Q`, path: "environments.production"},
	{name: "postgres setting", src: `apps: db: presets.#Postgres & {
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "change-me"
	postgresConfig: work_mem: Q
}`, path: "apps.db.postgresConfig"},
}

// userTextSeeds are strings of every kind the exporters must write
// faithfully: YAML 1.1 booleans, nulls and numbers, indicators, white space
// and line breaks, quotes, template text, control characters (C0, DEL, C1),
// Unicode separators and the byte order mark, and strings that are valid
// names, so that the exporters see each field.
var userTextSeeds = []string{
	"web-extra", "y", "no", "~", "", "0o17", "1e3", "a: b", "- x", "#x", " leading", "multi\nline\n",
	`"quoted"`, `back\slash`, "{{ .Release.Name }}", "del\x7f", "nel\u0085", "ctl\x01", "\ufeffbom",
	"line\u2028sep", "FUZZ_NAME", "example.com/key", "/var/lib/x", "a b",
}

// FuzzUserText puts an arbitrary string into one user-text field of a
// configuration (every field of userTextFields in turn) and requires what
// `celestra export` promises: either a clear refusal, or files that every
// format's own tool reads as the same deployment.
//
// A refusal is an *engine.ConfigError with a diagnostic at the field's path;
// a value of a Secret's data appears in no message. An accepted
// configuration passes the Kubernetes validation gate (the CLI's
// checkWithKubernetes, environments included; see cueFirst), exports in
// every format, and then:
//   - the YAML export, read back by kubectl's reader, is the engine's
//     objects;
//   - the Helm chart's default render, by Helm's engine, equals the YAML
//     export;
//   - compose-go loads the Compose file with validation and consistency
//     checks on;
//   - kustomize's krusty builds the base, equal to the YAML export, and each
//     overlay.
//
// An evaluation that panics fails the test (the fuzzer records the input
// under testdata/fuzz). Each input costs one load and every export: about a
// quarter of a second (more with the fuzzer's coverage instrumentation).
// The seed corpus is each field with a few strings, within about 20 s. Run
// the fuzzer for a bounded time, as CI does:
//
//	go test ./internal/cli -run '^$' -fuzz '^FuzzUserText$' -fuzztime 60s
func FuzzUserText(f *testing.F) {
	for i := range userTextFields {
		for j := range 3 {
			f.Add(uint8(i), userTextSeeds[(3*i+j)%len(userTextSeeds)])
		}
	}
	loader, err := engine.NewLoader()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		if !utf8.ValidString(s) {
			t.Skip("CUE strings are Unicode text")
		}
		field := userTextFields[int(which)%len(userTextFields)]
		src := "package fuzz\n\n"
		if strings.Contains(field.src, "presets.") {
			src += "import \"github.com/celestra-dev/celestra/presets\"\n\n"
		}
		src += strings.ReplaceAll(field.src, "Q", literal.String.Quote(s)) + "\n"
		checkUserText(t, loader, field, s, src)
	})
}

// checkUserText evaluates src, which holds s in field, and checks the
// promise of FuzzUserText.
func checkUserText(t *testing.T, loader *engine.Loader, field userTextField, s, src string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fuzz.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	result, err := loader.Load(dir)
	if err != nil {
		checkRefusal(t, field, s, src, "the engine", err)
		t.Logf("%s: %q refused by the engine", field.name, s)
		return
	}
	if err := checkWithKubernetes(result); err != nil {
		if gateMustAgree() {
			t.Fatalf("%s: the engine accepts %q, the Kubernetes validation gate refuses it:\n%v\n%s", field.name, s, err, src)
		}
		checkRefusal(t, field, s, src, "the gate", err)
		t.Logf("%s: %q refused by the gate:\n%v", field.name, s, err)
		return
	}

	want, err := exporttest.EngineObjects(result)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := exporttest.YAMLExport(result)
	if err != nil {
		t.Fatalf("%s: YAML export of %q: %v\n%s", field.name, s, err, src)
	}
	if diff := exporttest.DiffObjects(want, exported); len(diff) > 0 {
		t.Fatalf("%s: the YAML export of %q reads back changed:\n%s\n%s", field.name, s, strings.Join(diff, "\n"), src)
	}
	for _, name := range formatNames() {
		files, err := formats()[name].Export(result)
		if errors.As(err, new(*engine.ConfigError)) {
			// What the format cannot carry: characters kustomize cannot
			// print, names Compose's env_file cannot hold.
			checkRefusal(t, field, s, src, "the "+name+" exporter", err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %s export of %q: %v\n%s", field.name, name, s, err, src)
		}
		switch name {
		case "helm":
			_, chart := exporttest.LoadChart(t, files)
			rendered, err := exporttest.RenderChartIn(chart, nil, exporttest.ReleaseNamespace(exported))
			if err != nil {
				t.Fatalf("%s: Helm render of %q with default values: %v\n%s", field.name, s, err, src)
			}
			if diff := exporttest.DiffObjects(exported, rendered); len(diff) > 0 {
				t.Fatalf("%s: the default render of %q differs from the YAML export:\n%s\n%s", field.name, s, strings.Join(diff, "\n"), src)
			}
		case "compose":
			if _, err := exporttest.LoadCompose(exporttest.WriteTree(t, files), compose.FileName); err != nil {
				t.Fatalf("%s: compose-go refuses the Compose file of %q: %v\n%s\n%s", field.name, s, err, src, files[compose.FileName])
			}
		case "kustomize":
			checkKustomizeBuilds(t, result, files, exported, field, s, src)
		}
	}
}

// checkRefusal requires err to be a configuration error pointing at the
// field, and showing no Secret value.
func checkRefusal(t *testing.T, field userTextField, s, src, by string, err error) {
	t.Helper()
	var refused *engine.ConfigError
	if !errors.As(err, &refused) {
		t.Fatalf("%s: %s fails on %q without a configuration error: %v\n%s", field.name, by, s, err, src)
	}
	if !slices.ContainsFunc(refused.Diagnostics, func(d engine.Diagnostic) bool {
		return strings.HasPrefix(d.Path, field.path) ||
			// The gate and the exporters name the app, and the object's
			// field in Kubernetes' terms.
			by != "the engine" && strings.HasPrefix(field.path, d.Path+".")
	}) {
		t.Fatalf("%s: %s refuses %q without naming %s:\n%v\n%s", field.name, by, s, field.path, err, src)
	}
	// A value of 6 characters or more is long enough not to appear in a
	// message by chance.
	if field.secret && len(s) >= 6 && strings.Contains(err.Error(), s) {
		t.Fatalf("%s: %s shows the Secret value %q:\n%v", field.name, by, s, err)
	}
}

// checkKustomizeBuilds builds the base and every overlay with krusty; the
// base must build to the YAML export.
func checkKustomizeBuilds(t *testing.T, result *engine.Result, files map[string][]byte, exported exporttest.Objects, field userTextField, s, src string) {
	t.Helper()
	dirs := []string{"base"}
	for _, env := range result.Environments {
		dirs = append(dirs, "overlays/"+env.Name)
	}
	for _, d := range dirs {
		built, err := exporttest.KustomizeBuild(files, d)
		if err != nil {
			t.Fatalf("%s: %q: %v\n%s", field.name, s, err, src)
		}
		if d != "base" {
			continue
		}
		got := exporttest.Objects{}
		for _, raw := range built {
			var obj map[string]any
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatal(err)
			}
			got[exporttest.ObjectKey(obj)] = obj
		}
		if diff := exporttest.DiffObjects(exported, got); len(diff) > 0 {
			t.Fatalf("%s: kustomize builds the base of %q unlike the YAML export:\n%s\n%s", field.name, s, strings.Join(diff, "\n"), src)
		}
	}
}

// TestUserTextFieldsAreDistinct: each field's configuration holds the fuzzed
// string exactly where the table says, once.
func TestUserTextFieldsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range userTextFields {
		if seen[f.name] {
			t.Errorf("field %q listed twice", f.name)
		}
		seen[f.name] = true
		if n := strings.Count(f.src, "Q"); n != 1 {
			t.Errorf("%s: %d places for the string, want 1", f.name, n)
		}
	}
	if len(userTextFields) > 256 {
		t.Errorf("%d fields: a uint8 selects one", len(userTextFields))
	}
}
