package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// robustPresets are the presets, by the name `celestra init --preset` takes.
var robustPresets = []string{"postgres", "mysql", "mongodb", "redis", "kafka", "elasticsearch"}

// presetApp is a minimal valid app of a preset, named name (its Secret is
// named after it, as the preset expects).
func presetApp(preset, name string) string {
	secret := fmt.Sprintf(`secrets: %q: data: password: "pw-%s"`, name+"-secret", name)
	switch preset {
	case "postgres":
		return `presets.#Postgres & {storage: size: "1Gi", ` + secret + `}`
	case "mysql":
		return `presets.#MySQL & {storage: size: "1Gi", ` + secret + `}`
	case "mongodb":
		return `presets.#MongoDB & {storage: size: "1Gi", ` + secret + `}`
	case "redis":
		return `presets.#Redis & {storage: size: "1Gi", ` + secret + `}`
	case "kafka":
		return `presets.#Kafka & {storage: size: "1Gi"}`
	case "elasticsearch":
		return `presets.#Elasticsearch & {storage: size: "1Gi", ` + secret + `}`
	}
	panic("unknown preset " + preset)
}

// noLeaks are fragments no message may show: the generated embedding file,
// paths inside rendered objects, and the signs of a crash.
var noLeaks = []string{"celestra-config.gen.cue", `kubernetes."`, ": kubernetes.", ": overlays.", "goroutine ", "panic:"}

func assertNoLeaks(t *testing.T, stderr string) {
	t.Helper()
	for _, bad := range noLeaks {
		if strings.Contains(stderr, bad) {
			t.Errorf("message shows %q:\n%s", bad, stderr)
		}
	}
}

// TestAllPresetPairsWithEnvironment exports every pair of presets (a preset
// with itself included) beside environments that change one app, the other,
// or nothing, in every format. A Postgres and a MySQL app with any
// environment used to run for minutes and die of a stack overflow.
func TestAllPresetPairsWithEnvironment(t *testing.T) {
	// A runaway is caught by each export's own bound (--timeout), not by
	// timing the test.
	for i, a := range robustPresets {
		for _, b := range robustPresets[i:] {
			t.Run(a+"+"+b, func(t *testing.T) {
				src := fmt.Sprintf(`package pair

import "github.com/celestra-dev/celestra/presets"

apps: first:  %s
apps: second: %s

environments: {
	production: first: labels: tier: "production"
	staging: second: labels: tier: "staging"
	qa: {}
}
`, presetApp(a, "first"), presetApp(b, "second"))
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "pair.cue"), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(dir, "out")
				code, _, stderr := run(t, "export", dir, "--format", "all", "--timeout", "30s", "-o", out)
				if code != ExitOK {
					t.Fatalf("exit %d:\n%s", code, stderr)
				}
				for file, want := range map[string]string{
					"kustomize/overlays/production/statefulset-first.patch.yaml": "production",
					"kustomize/overlays/staging/statefulset-second.patch.yaml":   "staging",
					"kustomize/overlays/qa/kustomization.yaml":                   "../../base",
					"yaml/statefulset-first.yaml":                                "name: first",
					"yaml/statefulset-second.yaml":                               "name: second",
				} {
					data, err := os.ReadFile(filepath.Join(out, file))
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(string(data), want) {
						t.Errorf("%s lacks %q", file, want)
					}
				}
			})
		}
	}
}

// robustInputs are refused configurations whose messages must name the
// user's field in the user's words: no panic, no path the user never wrote,
// no follow-on noise first, no secret value.
var robustInputs = []struct {
	name, src string
	// want are fragments of the first message.
	want []string
	// never are fragments that must not appear anywhere.
	never []string
}{
	{"numeric password",
		`apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: 31415926}`,
		[]string{`apps.db.secrets."db-secret".data.password: conflicting values`, "mismatched types int and string"},
		[]string{"31415926"}},
	{"password set twice",
		`apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "hunter2-first"}
apps: db: secrets: "db-secret": data: password: "hunter2-second"`,
		[]string{`apps.db.secrets."db-secret".data.password: conflicting values`},
		[]string{"hunter2", "needs a superuser password"}},
	{"environment changes a password",
		`apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "hunter2-app"}
environments: prod: db: secrets: "db-secret": data: password: "hunter2-prod"`,
		[]string{`environments.prod.db.secrets."db-secret".data.password: conflicting values`, "is a fixed value in the app"},
		[]string{"hunter2", "needs a superuser password"}},
	{"two apps declare one Secret",
		`apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "hunter2-db"}
apps: q: {image: "x:1", secrets: "db-secret": data: {password: "hunter2-q", token: "s3cr3t-token"}}`,
		[]string{`apps.q.secrets."db-secret": apps "db" and "q" both render the Secret "db-secret" (secret-db-secret.yaml)`},
		[]string{"hunter2", "s3cr3t-token", "aHVudGVy", "conflicting values"}},
	{"short secret values in a conflict",
		`apps: q: {image: "x:1", secrets: s: data: {a: "pw1", b: 4242}}
apps: q: secrets: s: data: {a: "pw2", b: 4343}`,
		[]string{`apps.q.secrets.s.data.`, "conflicting values"},
		[]string{`"pw1"`, `"pw2"`, "4242", "4343"}},
	{"a Secret key is no secret",
		`apps: q: {image: "x:1", secrets: s: data: "a b": "hunter2-value"}`,
		[]string{`apps.q.secrets.s.data."a b": key "a b" is not valid`},
		[]string{"hunter2"}},
	{"mysqlConfig port is managed",
		`apps: db: presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: port: "1"}`,
		[]string{"apps.db.mysqlConfig.port: mysqlConfig.port is managed by the preset"},
		[]string{"list.Concat", "_cnf"}},
	{"memory beyond float64 over its limit",
		`apps: q: {image: "x:1", resources: {memory: "1e400", memoryLimit: "2Gi"}}`,
		[]string{`apps.q.resources.memory: "1e400" is larger than Kubernetes can hold`},
		[]string{"strconv.ParseFloat", "error in call"}},
	{"a port that is only a type",
		`apps: q: {image: "x:1", ports: web: port: int}`,
		[]string{"apps.q.ports.web.port: is not set to a value (only constrained to int): give it a concrete value"},
		[]string{"incomplete value", "non-concrete", "containerPort"}},
	{"a size that is only a type",
		`apps: q: {image: "x:1", storage: size: string}`,
		[]string{"apps.q.storage.size: is not set to a value (only constrained to string)"},
		[]string{"A.storage", "incomplete value", "non-concrete"}},
	{"an app made from two presets",
		`apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x"}
apps: db: presets.#MySQL`,
		[]string{`apps.db: app "db" is made from 2 presets, presets.#Postgres (`, "and presets.#MySQL (", "an app starts from one preset"},
		nil},
	{"an environment of an app with an invalid name",
		`apps: "Bad_Name!": {image: "x:1"}
environments: prod: "Bad_Name!": replicas: 2`,
		[]string{`apps."Bad_Name!".name: "Bad_Name!"`, "use lower-case letters, digits and '-'"},
		[]string{"there is no app", "_appNames"}},
	{"a preset password rule names its field",
		`apps: db: presets.#Postgres & {storage: size: "1Gi"}`,
		[]string{"apps.db.password: Postgres needs a superuser password"},
		[]string{"#rule"}},
}

// TestRobustMessages runs robustInputs through the bad-input runner: exit 1,
// nothing written, and the first message is the cause.
func TestRobustMessages(t *testing.T) {
	for _, tc := range robustInputs {
		t.Run(tc.name, func(t *testing.T) {
			src := "package bad\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\n_uses: presets.#Postgres\n\n" + tc.src + "\n"
			stderr := assertRefused(t, src, tc.want[0])
			first := firstMessage(stderr)
			for _, w := range tc.want {
				if !strings.Contains(first, w) {
					t.Errorf("first message lacks %q:\n%s", w, stderr)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(stderr, n) {
					t.Errorf("messages show %q:\n%s", n, stderr)
				}
			}
			assertNoLeaks(t, stderr)
		})
	}
}

// firstMessage is the first problem of a refusal: the line after the
// "invalid configuration" heading.
func firstMessage(stderr string) string {
	lines := strings.Split(stderr, "\n")
	if len(lines) < 2 {
		return stderr
	}
	return lines[1]
}

// TestInvalidNamesOnPresets: an invalid app name on a preset used to panic
// inside CUE's evaluator (a default Secret name interpolating the name).
func TestInvalidNamesOnPresets(t *testing.T) {
	long := strings.Repeat("a", 53)
	for _, preset := range robustPresets {
		for _, name := range []string{"Bad_Name!", "UPPER", "bad_name", long} {
			t.Run(preset+"/"+name[:min(len(name), 10)], func(t *testing.T) {
				src := fmt.Sprintf("package bad\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\napps: %q: %s\n", name, presetApp(preset, name))
				want := "use lower-case letters, digits and '-'"
				if name == long {
					want = "characters"
				}
				stderr := assertRefused(t, src, want)
				if first := firstMessage(stderr); !strings.Contains(first, fmt.Sprintf("apps.%q", name)) && !strings.Contains(first, "apps."+name) {
					t.Errorf("first message does not name apps.%s:\n%s", name, stderr)
				}
				if !strings.Contains(stderr, fmt.Sprintf("%q", name)) {
					t.Errorf("messages do not quote the name:\n%s", stderr)
				}
				assertNoLeaks(t, stderr)
			})
		}
	}
}

// TestRolesWithoutServiceAccount: roles bind to a ServiceAccount named after
// the app when none is given (it used to fail with "cannot reference
// optional field: serviceAccount").
func TestRolesWithoutServiceAccount(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\napps: q: {image: \"x:1\", roles: r: rules: [{verbs: [\"get\"], resources: [\"pods\"]}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "export", dir, "-o", "-")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"kind: ServiceAccount\nmetadata:", "kind: RoleBinding", "serviceAccountName: q"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// TestEvaluatorPanicIsAnError: a configuration that still makes CUE's
// evaluator panic (the idiom the presets no longer use, written by the user)
// gets an ordinary error: exit 1, no stack trace, nothing written.
func TestEvaluatorPanicIsAnError(t *testing.T) {
	src := `package bad

#N: S={
	string
	if !(S =~ "^[a-z]+$") {error("\(S) is not a valid name")}
}
apps: q: {image: "x:1", labels: tier: *"\((#N & "Bad"))-x" | #N}
`
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.cue")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "export", file, "-o", out)
	if code != ExitInvalidConfig {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitInvalidConfig, stderr)
	}
	want := "celestra's evaluator failed on the configuration " + file + " while evaluating: "
	if !strings.HasPrefix(stderr, want) {
		t.Errorf("message does not start with %q:\n%s", want, stderr)
	}
	assertNoLeaks(t, stderr)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output folder written: %v", err)
	}
}

// TestBoundsOnARealConfiguration: with a tiny bound, the bundled example
// stops with a message naming the configuration and the phase, exit 1,
// nothing written.
func TestBoundsOnARealConfiguration(t *testing.T) {
	for name, tc := range map[string]struct {
		flags []string
		want  *regexp.Regexp
	}{
		"memory": {[]string{"--max-memory", "1Ki"}, regexp.MustCompile(
			`^celestra stopped evaluating the configuration \.\./\.\./examples/postgres while [a-z ]+: ` +
				`its memory reached [0-9.]+[KMG]i, over --max-memory 1Ki; `)},
		"time": {[]string{"--timeout", "1ns"}, regexp.MustCompile(
			`^celestra stopped evaluating the configuration \.\./\.\./examples/postgres while [a-z ]+: ` +
				`it took longer than 1ns \(--timeout\)`)},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"export", "../../examples/postgres", "--format", "all", "-o", out}, tc.flags...)
			code, _, stderr := run(t, args...)
			if code != ExitInvalidConfig {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			if !tc.want.MatchString(stderr) || !strings.Contains(stderr, "nothing was written") {
				t.Errorf("message does not match %s:\n%s", tc.want, stderr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output folder written: %v", err)
			}
		})
	}
	// The bounds are flags of export and vet, and bad values are usage errors.
	for _, args := range [][]string{
		{"vet", "../../examples/postgres", "--max-memory", "lots"},
		{"export", "../../examples/postgres", "-o", t.TempDir(), "--timeout", "-1s"},
	} {
		if code, _, stderr := run(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d:\n%s", args, code, ExitUsage, stderr)
		}
	}
	code, stdout, _ := run(t, "export", "--help")
	if code != ExitOK || !strings.Contains(stdout, "--max-memory") || !strings.Contains(stdout, "--timeout") || !strings.Contains(stdout, "Evaluation is bounded") {
		t.Errorf("export --help does not document the bounds:\n%s", stdout)
	}
}

// runawayEnv makes the test binary run celestra itself (see
// TestRunawayChild), so that a runaway evaluation dies with its process.
const runawayEnv = "CELESTRA_TEST_RUN_ARGS"

// TestRunawayChild is celestra's main when the test binary is started by
// runCelestraProcess; otherwise it does nothing.
func TestRunawayChild(t *testing.T) {
	args := os.Getenv(runawayEnv)
	if args == "" {
		t.Skip("runs only as the child of TestRunawayEvaluationIsStopped")
	}
	os.Exit(Run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
}

// TestRunawayEvaluationIsStopped: a configuration whose evaluation grows
// without end (a user's comprehension of millions of fields) stops at the
// memory bound, or at the time bound, with a message, in a process of its
// own so the runaway dies with it. A million Compose services, once a
// runaway of the exporter, are refused before any is built.
func TestRunawayEvaluationIsStopped(t *testing.T) {
	dir := t.TempDir()
	cueRunaway := filepath.Join(dir, "cue.cue")
	src := "package x\n\nimport \"list\"\n\napps: q: {image: \"x:1\", env: {for i in list.Range(0, 50000000, 1) {\"V\\(i)\": \"x\"}}}\n"
	if err := os.WriteFile(cueRunaway, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	composeRunaway := filepath.Join(dir, "compose.cue")
	if err := os.WriteFile(composeRunaway, []byte("package x\n\napps: q: {image: \"x:1\", replicas: 1000000}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"cue": {[]string{"vet", cueRunaway, "--max-memory", "256Mi", "--timeout", "100s"},
			"celestra stopped evaluating the configuration " + cueRunaway + " while evaluating: its memory reached "},
		"timeout": {[]string{"vet", cueRunaway, "--timeout", "2s"},
			"celestra stopped evaluating the configuration " + cueRunaway + " while evaluating: it took longer than 2s"},
	} {
		args := tc.args
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRunawayChild$")
			cmd.Env = append(os.Environ(), runawayEnv+"="+strings.Join(args, "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			exit, ok := err.(*exec.ExitError)
			if !ok || exit.ExitCode() != ExitInvalidConfig {
				t.Fatalf("err %v, want exit %d:\n%s", err, ExitInvalidConfig, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), tc.want) {
				t.Errorf("message does not start with %q:\n%s", tc.want, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("output folder written: %v", err)
			}
			assertNoLeaks(t, stderr.String())
		})
	}
	// A million Compose services used to grow until the memory bound
	// stopped them; the Compose exporter now refuses more than
	// compose.MaxServicesPerApp pods of an app before expanding any.
	t.Run("compose", func(t *testing.T) {
		start := time.Now()
		code, _, stderr := run(t, "export", composeRunaway, "--format", "compose", "-o", filepath.Join(dir, "out"), "--max-memory", "256Mi")
		if code != ExitInvalidConfig || !strings.Contains(stderr, "apps.q.replicas: app q: replicas 1000000 is more than the 100 services") {
			t.Fatalf("exit %d:\n%s", code, stderr)
		}
		if elapsed := time.Since(start); elapsed > 30*time.Second {
			t.Errorf("the refusal took %v", elapsed)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
			t.Errorf("output folder written: %v", err)
		}
	})
}

// TestReadmeErrorSampleIsRealOutput runs the configuration of the README's
// "Errors" section and compares the output with the README's text.
func TestReadmeErrorSampleIsRealOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "### Errors")
	if start < 0 {
		t.Fatal("README has no Errors section")
	}
	section = section[start:]
	if end := strings.Index(section[1:], "\n#"); end >= 0 {
		section = section[:end+1]
	}
	blocks := regexp.MustCompile("(?s)```(cue|text)\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 2 || blocks[0][1] != "cue" || blocks[1][1] != "text" {
		t.Fatalf("the Errors section should hold a cue block and a text block, found %d blocks", len(blocks))
	}
	config, transcript := blocks[0][2], blocks[1][2]
	command, want, ok := strings.Cut(transcript, "\n")
	if !ok || !strings.HasPrefix(command, "$ celestra ") {
		t.Fatalf("the text block should start with the command: %q", command)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "shop"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shop", "app.cue"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := run(t, strings.Fields(strings.TrimPrefix(command, "$ celestra "))...)
	if code != ExitInvalidConfig {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if got := stdout + stderr; got != want {
		t.Errorf("README's sample differs from the real output.\nREADME:\n%s\nreal:\n%s", want, got)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("output folder written: %v", err)
	}
}

// TestOneMessagePerRuleAndField: a rule CUE raises twice for one field (once
// through a preset's reference to the field, with the message's
// interpolations left unevaluated) is reported once, with its values.
func TestOneMessagePerRuleAndField(t *testing.T) {
	src := `package bad

import "github.com/celestra-dev/celestra/presets"

apps: db: presets.#Postgres & {
	image: "postgres 16"
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "x"
}
`
	stderr := assertRefused(t, src, `apps.db.image: image "postgres 16" is not an image reference`)
	if n := strings.Count(stderr, "apps.db.image:"); n != 1 {
		t.Errorf("%d messages about apps.db.image, want 1:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "strconv.Quote") {
		t.Errorf("a message shows an unevaluated rule:\n%s", stderr)
	}
}
