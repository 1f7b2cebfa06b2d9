package kustomize_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/cli"
)

// base is a valid configuration that environments build on: db leaves its
// replicas and storage size as defaults, q fixes its replicas.
const base = `package bad

import "github.com/celestra-dev/celestra/presets"

apps: db: presets.#Postgres & {
	storage: size: *"10Gi" | string
	secrets: "db-secret": data: {password: "x", "replication-password": "y"}
}
apps: q: {image: "x:1", replicas: 1}
`

// TestBadEnvironments checks that an environment with a wrong setting fails
// in CUE with a message naming the setting, and that nothing is written.
func TestBadEnvironments(t *testing.T) {
	for _, tc := range []struct{ name, env, want string }{
		{"unknown field on a preset app", `environments: production: db: replica: 3`,
			`environments.production.db: field not allowed: environment production sets "replica", which is not a setting of app db`},
		{"unknown field on a plain app", `environments: production: q: replica: 3`,
			`environments.production.q: field not allowed: environment production sets "replica", which is not a setting of app q`},
		{"unknown nested field", `environments: production: db: resources: cpus: "2"`,
			`environments.production.db.resources.cpus: field not allowed`},
		{"negative replicas", `environments: production: db: replicas: -1`,
			`environments.production.db.replicas: replicas -1 must be 0 or more`},
		{"storage size with a space", `environments: production: db: storage: size: "2 Gi"`,
			`environments.production.db.storage.size: "2 Gi" is not a Kubernetes quantity`},
		{"no such app", `environments: production: dbx: replicas: 3`,
			`there is no app "dbx" for environment production to change: environments.production may only name apps declared under apps (db, q)`},
		{"bad environment name", `environments: Production: db: replicas: 3`,
			`environment name "Production" is not valid`},
		{"conflict with a concrete value", `environments: production: q: replicas: 3`,
			`apps.q.replicas is fixed to 1 at `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "bad.cue")
			if err := os.WriteFile(file, []byte(base+tc.env+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			code := cli.Run([]string{"export", file, "--format", "kustomize", "-o", out}, &stdout, &stderr)
			if code != cli.ExitInvalidConfig {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, cli.ExitInvalidConfig, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("message lacks %q:\n%s", tc.want, stderr.String())
			}
			// The message points at the user's own line.
			if !strings.Contains(stderr.String(), "bad.cue:1") {
				t.Errorf("message lacks the position of the environment in bad.cue:\n%s", stderr.String())
			}
			if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
				t.Errorf("output written: %d entries in %s", len(entries), out)
			}
		})
	}
}

// TestConflictExplainsDefaults checks the whole message for an environment
// that changes a value the app fixes: it says why, and what to write.
func TestConflictExplainsDefaults(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.cue")
	if err := os.WriteFile(file, []byte(base+"environments: production: q: replicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Run([]string{"vet", file}, &stdout, &stderr); code != cli.ExitInvalidConfig {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{
		"bad.cue:10:", // the environment's line
		"environments.production.q.replicas: conflicting values",
		"apps.q.replicas is fixed to 1 at " + filepath.Join(dir, "bad.cue") + ":9:",
		"CUE never overrides a concrete value",
		"make it a default there: replicas: *1 | int",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message lacks %q:\n%s", want, stderr.String())
		}
	}
}
