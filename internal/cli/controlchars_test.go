package cli

import (
	"os"
	"path/filepath"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// controlCharsApp holds DEL, C0 and C1 control characters, a byte order
// mark and a line separator in an annotation and an env value.
const controlCharsApp = `package x

apps: web: {
	image: "registry.example/team/app:1.0"
	storage: size: "1Gi"
	annotations: note: "del\u007f nel\u0085 c1\u0080 ctl\u0001 bom\ufeff ls\u2028"
	env: NOTE: "del\u007f nel\u0085 c1\u0080 ctl\u0001 bom\ufeff ls\u2028"
}
`

// TestControlCharactersInYAMLAndHelm: --format yaml and --format helm write
// strings with control characters, and kubectl's reader reads the YAML back
// unchanged.
func TestControlCharactersInYAMLAndHelm(t *testing.T) {
	want := "del\u007f nel\u0085 c1\u0080 ctl\u0001 bom\ufeff ls\u2028"
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(controlCharsApp), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yaml", "helm"} {
		out := filepath.Join(dir, "out-"+format)
		if code, _, stderr := run(t, "export", dir, "--format", format, "-o", out); code != 0 {
			t.Fatalf("--format %s: exit %d:\n%s", format, code, stderr)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "out-yaml", "statefulset-web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var sts struct {
		Metadata struct{ Annotations map[string]string }
		Spec     struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Env []struct{ Name, Value string }
					}
				}
			}
		}
	}
	if err := sigsyaml.Unmarshal(raw, &sts); err != nil {
		t.Fatalf("kubectl's reader cannot read the StatefulSet: %v", err)
	}
	if got := sts.Metadata.Annotations["note"]; got != want {
		t.Errorf("annotation reads back as %q, want %q", got, want)
	}
	if env := sts.Spec.Template.Spec.Containers[0].Env; len(env) != 1 || env[0].Value != want {
		t.Errorf("env reads back as %q, want NOTE=%q", env, want)
	}
}

// TestRefusedByAFormat: what one format cannot carry is a configuration
// error for that format (and for --format all): exit 1, nothing written.
func TestRefusedByAFormat(t *testing.T) {
	assertRefused(t, controlCharsApp, "apps.web: StatefulSet web (statefulset-web.yaml): metadata.annotations.note holds the character U+007F, which kustomize cannot write")
	// (Compose's env_file names: CUE's rule on environment variable names
	// refuses every name Compose's env_file cannot hold, so the Compose
	// export refuses what it alone cannot carry: more pods than services.)
	assertRefused(t, `package x

apps: web: {
	image: "registry.example/team/app:1.0"
	storage: size: "1Gi"
	replicas: 101
}
`, `apps.web.replicas: app web: replicas 101 is more than the 100 services a Compose file holds for one app`)
}
