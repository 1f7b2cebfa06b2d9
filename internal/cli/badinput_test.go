package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badInputs are configurations celestra must refuse, each with a fragment of
// the message the user must see. The source is a whole CUE file; {{app}}
// stands for a minimal valid app body to build on.
var badInputs = []struct {
	name, src, want string
}{
	{"bad app name", `apps: "Bad_Name": {image: "x:1"}`, `"Bad_Name" is not a valid name`},
	{"app name too long", `apps: "` + strings.Repeat("a", 53) + `": {image: "x:1"}`, "longer than 52 characters"},
	{"port out of range", `apps: q: {image: "x:1", ports: web: port: 70000}`, "port 70000 is out of range"},
	{"duplicate port number", `apps: q: {image: "x:1", ports: {a: port: 80, b: port: 80}}`, "ports must have unique numbers: a=80, b=80"},
	{"bad port name", `apps: q: {image: "x:1", ports: HTTP: port: 80}`, `port name "HTTP" is not valid`},
	{"storage size with a space", `apps: q: {image: "x:1", storage: size: "2 Gi"}`, `"2 Gi" is not a Kubernetes quantity`},
	{"cpu not a quantity", `apps: q: {image: "x:1", resources: cpu: "lots"}`, `"lots" is not a Kubernetes quantity`},
	{"cpu request above limit", `apps: q: {image: "x:1", resources: {cpu: "2", cpuLimit: "1500m"}}`, "cpu request 2 is more than cpuLimit 1500m"},
	{"memory request above limit", `apps: q: {image: "x:1", resources: {memory: "2Gi", memoryLimit: "1G"}}`, "memory request 2Gi is more than memoryLimit 1G"},
	{"bad cron", `apps: q: {image: "x:1", backup: {schedule: "every day", location: "s3://b/p"}}`, `"every day" is not a cron schedule`},
	{"cron hour out of range", `apps: q: {image: "x:1", backup: {schedule: "0 25 * * *", location: "s3://b/p"}}`, "invalid hour (0-23) field"},
	{"unknown field", `apps: q: {image: "x:1", replica: 3}`, "apps.q.replica: field not allowed"},
	{"misspelt nested field", `apps: q: {image: "x:1", storage: {size: "1Gi", mountpath: "/x"}}`, "apps.q.storage.mountpath: field not allowed"},
	{"misspelt field beside other errors", `apps: q: {image: "x:1", ports: web: {port: 70000, prot: "TCP"}}`, "apps.q.ports.web.prot: field not allowed"},
	{"misspelt field in a preset app", `import "github.com/celestra-dev/celestra/presets"
apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", replica: 3}`, "apps.db.replica: field not allowed"},
	{"unknown top-level field", `app: q: {image: "x:1"}
apps: r: {image: "x:1"}`, "app: field not allowed"},
	{"missing image", `apps: q: {ports: web: port: 80}`, "image or build is required"},
	{"image with white space", `apps: q: {image: "postgres 15"}`, "is not an image reference"},
	{"negative replicas", `apps: q: {image: "x:1", replicas: -1}`, "replicas -1 must be 0 or more"},
	{"replicas not a number", `apps: q: {image: "x:1", replicas: "3"}`, "apps.q.replicas"},
	{"quorum not a majority", `apps: q: {image: "x:1", replicas: 5, quorumSize: 2}`, "quorumSize 2 is not a majority of 5 replicas"},
	{"quorum above replicas", `apps: q: {image: "x:1", replicas: 3, quorumSize: 4}`, "quorumSize 4 is more than replicas (3)"},
	{"replication factor above replicas", `apps: q: {image: "x:1", replicas: 2, replicationFactor: 3}`, "replicationFactor 3 must be between 1 and replicas (2)"},
	{"server config on a plain app", `apps: q: {image: "x:1", postgresConfig: max_connections: "10"}`, "postgresConfig applies to presets.#Postgres only"},
	{"bad access mode", `apps: q: {image: "x:1", storage: {size: "1Gi", accessModes: ["ReadWriteSometimes"]}}`, `access mode "ReadWriteSometimes" is not one of`},
	{"volume with two sources", `apps: q: {image: "x:1", volumes: v: {mountPath: "/v", configMap: "a", secret: "b"}}`, "a volume needs exactly one source"},
	{"probe without handler", `apps: q: {image: "x:1", livenessProbe: periodSeconds: 5}`, "a probe needs exactly one of exec, http or tcp, found 0"},
	{"unknown RBAC verb", `apps: q: {image: "x:1", roles: r: rules: [{verbs: ["fetch"], resources: ["pods"]}]}`, `"fetch" is not a Kubernetes RBAC verb`},
	{"bad env var name", `apps: q: {image: "x:1", env: "1BAD": "x"}`, `environment variable name "1BAD" is not valid`},
	{"bad secret key", `apps: q: {image: "x:1", secrets: s: data: "a b": "x"}`, `key "a b" is not valid`},
	{"bad secret name", `apps: q: {image: "x:1", secrets: "S": data: a: "x"}`, `"S" is not a valid name`},
	{"rolling settings with on-delete", `apps: q: {image: "x:1", deploymentStrategy: "on-delete", rollingUpdate: partition: 1}`, `no effect with deploymentStrategy "on-delete"`},
	{"unknown deployment strategy", `apps: q: {image: "x:1", deploymentStrategy: "blue-green"}`, "apps.q.deploymentStrategy"},
	{"root user while non-root", `apps: q: {image: "x:1", security: runAsUser: 0}`, "runAsUser 0 is root"},
	{"bad namespace", `apps: q: {image: "x:1", namespace: "Prod"}`, `"Prod" is not a valid name`},
	{"postgres without password", `import "github.com/celestra-dev/celestra/presets"
apps: db: presets.#Postgres & {storage: size: "1Gi"}`, "Postgres needs a superuser password"},
	{"postgres with an HTTP health check", `import "github.com/celestra-dev/celestra/presets"
apps: db: presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", healthCheck: path: "/health"}`, "Postgres serves no HTTP endpoint"},
	{"no apps", `apps: {}`, "no apps defined"},
	{"syntax error", `apps: q: {image: "x:1"`, "bad.cue:"},
}

// TestBadInputs checks that each bad configuration exits 1 with its message,
// and that the output folder is left exactly as it was: no partial output,
// nothing removed.
func TestBadInputs(t *testing.T) {
	if len(badInputs) < 25 {
		t.Fatalf("the table must keep at least 25 cases, has %d", len(badInputs))
	}
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, "package bad\n\n"+tc.src+"\n", tc.want)
		})
	}
}

// assertRefused exports src into an output folder that holds a file of the
// user's: the export must exit with the configuration error and show want,
// and the folder must be left exactly as it was (no partial output, nothing
// removed). It returns the messages, for further checks.
func assertRefused(t *testing.T, src, want string) string {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.cue")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run([]string{"export", file, "--format", "all", "-o", out}, &stdout, &stderr)
	if code != ExitInvalidConfig {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitInvalidConfig, stderr.String())
	}
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("message lacks %q:\n%s", want, stderr.String())
	}
	assertNoLeaks(t, stderr.String())
	assertNoSecretValues(t, src, stderr.String())
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "keep.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output folder changed: %v", names)
	}
	return stderr.String()
}

// TestErrorPointsAtUserFile checks that a rule's message carries the
// position of the user's field, not only the schema's.
func TestErrorPointsAtUserFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.cue")
	src := "package p\n\napps: q: {\n\timage: \"x:1\"\n\tports: web: port: 70000\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"vet", file}, &stdout, &stderr); code != ExitInvalidConfig {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "app.cue:5:") {
		t.Errorf("no user position app.cue:5 in:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "rule: celestra@") {
		t.Errorf("no rule position in:\n%s", stderr.String())
	}
}
