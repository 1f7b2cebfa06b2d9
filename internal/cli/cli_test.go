package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown flag":    {"export", "--colour"},
		"too many paths":  {"vet", "a", "b"},
		"unknown format":  {"export", "../../examples/postgres", "--format", "terraform", "-o", t.TempDir()},
		"missing output":  {"export", "../../examples/postgres"},
		"stream non-yaml": {"export", "../../examples/postgres", "--format", "all", "-o", "-"},
		"missing path":    {"vet", filepath.Join(t.TempDir(), "missing")},
		"unknown preset":  {"explain", "oracle"},
		"explain no args": {"explain"},
		"unknown command": {"deploy"},
		"init bad preset": {"init", "--preset", "oracle", t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, ExitUsage, stderr)
			}
		})
	}
}

func TestExportToStdoutIsOneStream(t *testing.T) {
	code, stdout, stderr := run(t, "export", "../../examples/postgres", "-o", "-")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	docs := strings.Split(stdout, "\n---\n")
	if len(docs) < 5 {
		t.Fatalf("%d documents", len(docs))
	}
	// Identities before the workload that uses them.
	sa := strings.Index(stdout, "kind: ServiceAccount")
	sts := strings.Index(stdout, "kind: StatefulSet")
	if sa < 0 || sts < 0 || sa > sts {
		t.Errorf("ServiceAccount at %d, StatefulSet at %d", sa, sts)
	}
}

// Every starter `celestra init` writes validates, for every preset.
func TestInitWritesAValidStarter(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	presets, err := loader.Presets()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{""}
	for _, p := range presets {
		names = append(names, strings.ToLower(p.Name))
	}
	for _, preset := range names {
		t.Run("preset="+preset, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"init", dir}
			if preset != "" {
				args = append(args, "--preset", preset)
			}
			if code, _, stderr := run(t, args...); code != ExitOK {
				t.Fatalf("init exited %d: %s", code, stderr)
			}
			if code, _, stderr := run(t, "vet", dir); code != ExitOK {
				src, _ := os.ReadFile(filepath.Join(dir, ConfigFileName))
				t.Fatalf("starter does not validate: %s\n%s", stderr, src)
			}
			if code, _, _ := run(t, args...); code != ExitUsage {
				t.Errorf("second init exited %d, want %d (no overwrite)", code, ExitUsage)
			}
		})
	}
}

func TestPresetsAndExplain(t *testing.T) {
	code, stdout, _ := run(t, "presets")
	if code != ExitOK || !strings.Contains(stdout, "presets.#Postgres") {
		t.Fatalf("presets: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr := run(t, "explain", "postgres")
	if code != ExitOK {
		t.Fatalf("explain: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"presets.#Postgres", "Defaults", "image: postgres:", "Rules:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, stdout, _ := run(t, "version")
	if code != ExitOK || !strings.Contains(stdout, engine.ModuleVersion) {
		t.Errorf("version: exit %d: %s", code, stdout)
	}
	code, stdout, _ = run(t, "completion", "bash")
	if code != ExitOK || !strings.Contains(stdout, "celestra") {
		t.Errorf("completion: exit %d", code)
	}
}
