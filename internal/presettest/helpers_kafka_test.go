package presettest

// Helpers of the Kafka, MongoDB and Elasticsearch preset tests. Their names
// start with kme so that they cannot collide with the helpers of the other
// presets' tests in this package.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/celestra-dev/celestra/internal/engine"
)

// kmeCasesDir holds the golden configurations, one folder per case.
const kmeCasesDir = "../../testdata/cases"

var (
	kmeLoaderOnce sync.Once
	kmeLoader     *engine.Loader
	kmeLoaderErr  error
)

func kmeNewLoader(t *testing.T) *engine.Loader {
	t.Helper()
	kmeLoaderOnce.Do(func() { kmeLoader, kmeLoaderErr = engine.NewLoader() })
	if kmeLoaderErr != nil {
		t.Fatalf("new loader: %v", kmeLoaderErr)
	}
	return kmeLoader
}

// kmeLoadCase loads testdata/cases/<name> as `celestra export` does.
func kmeLoadCase(t *testing.T, name string) *engine.Result {
	t.Helper()
	res, err := kmeNewLoader(t).Load(filepath.Join(kmeCasesDir, name))
	if err != nil {
		t.Fatalf("load case %s: %v", name, err)
	}
	return res
}

// kmeLoadSource loads a configuration written to a temporary folder; src
// is the body of the file after its package clause and the presets import.
func kmeLoadSource(t *testing.T, src string) (*engine.Result, error) {
	t.Helper()
	dir := t.TempDir()
	text := "package app\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\n" + src + "\n"
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return kmeNewLoader(t).Load(dir)
}

// kmeMustLoadSource is kmeLoadSource for configurations that must be valid.
func kmeMustLoadSource(t *testing.T, src string) *engine.Result {
	t.Helper()
	res, err := kmeLoadSource(t, src)
	if err != nil {
		t.Fatalf("load:\n%s\nerror: %v", src, err)
	}
	return res
}

// kmeBadInput is a configuration that must be refused with a message.
type kmeBadInput struct {
	name, src, want string
}

// kmeCheckBadInputs loads each configuration and expects an error holding
// its message fragment.
func kmeCheckBadInputs(t *testing.T, cases []kmeBadInput) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := kmeLoadSource(t, c.src)
			if err == nil {
				t.Fatalf("accepted:\n%s", c.src)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error does not say %q:\n%v", c.want, err)
			}
		})
	}
}

// kmeHasObject tells whether an object of the given kind and name exists.
func kmeHasObject(res *engine.Result, kind, name string) bool {
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			return true
		}
	}
	return false
}

// kmePDB is the app's PodDisruptionBudget.
func kmePDB(t *testing.T, res *engine.Result, name string) *policyv1.PodDisruptionBudget {
	t.Helper()
	pdb, ok := dbObject(t, res, "PodDisruptionBudget", name).Typed.(*policyv1.PodDisruptionBudget)
	if !ok {
		t.Fatalf("PodDisruptionBudget %s is not a *policyv1.PodDisruptionBudget", name)
	}
	return pdb
}

// kmeEnv is a container's literal environment, by name.
func kmeEnv(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			out[e.Name] = e.Value
		}
	}
	return out
}

// kmeEnvSource is how a container's variable gets its value: "field:<path>",
// "secret:<name>/<key>", or "" for a literal or an unknown variable.
func kmeEnvSource(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name != name || e.ValueFrom == nil {
			continue
		}
		switch {
		case e.ValueFrom.FieldRef != nil:
			return "field:" + e.ValueFrom.FieldRef.FieldPath
		case e.ValueFrom.SecretKeyRef != nil:
			return "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
	}
	return ""
}

// kmeShellScript is the script of a container started as sh -c SCRIPT.
func kmeShellScript(t *testing.T, c corev1.Container) string {
	t.Helper()
	if len(c.Command) < 3 || c.Command[0] != "sh" || c.Command[1] != "-c" {
		t.Fatalf("container %s does not run sh -c: %q", c.Name, c.Command)
	}
	return c.Command[2]
}

// kmeShellSyntax checks a generated script with `sh -n` (dash here, as
// strict as the shells of the images) and with bash -n.
func kmeShellSyntax(t *testing.T, name, script string) {
	t.Helper()
	for _, sh := range []string{"sh", "bash"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: %s not checked with it", sh, name)
			continue
		}
		cmd := exec.Command(path, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n %s: %v\n%s\n%s", sh, name, err, out, script)
		}
	}
}

// kmeFakeCommand writes an executable shell script named name into dir.
func kmeFakeCommand(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// kmeReplaceOnce replaces old by new in s, which must hold old exactly once:
// a test that rewires a generated script must not silently miss.
func kmeReplaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("expected %q once in the script, found it %d times:\n%s", old, n, s)
	}
	return strings.Replace(s, old, new, 1)
}
