package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
)

// gateRule is how a diagnostic of the Kubernetes validation gate names its
// rule.
const gateRule = "(rule: Kubernetes v1.36.3 API server validation)"

// TestGateRefusesWhatCUEAccepts: configurations CUE's rules let through but
// the Kubernetes API server refuses (an object, or the Jobs a CronJob
// creates, or an environment's object) exit 1 with the gate's message, and
// nothing is written, in every format; vet refuses them too.
func TestGateRefusesWhatCUEAccepts(t *testing.T) {
	// (CUE's rules refuse a label value of 64 characters now: these are
	// what they still let through.)
	const fieldRef = `spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: "a b": error converting fieldPath: field label not supported: a b `
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{
			"fieldEnv of a field the downward API lacks",
			`apps: q: {image: "x:1", fieldEnv: POD: "a b"}`,
			[]string{`apps.q: StatefulSet q (statefulset-q.yaml): ` + fieldRef + gateRule},
		},
		{
			// The StatefulSet is accepted; the Pods its controller
			// creates are refused.
			"sidecar image with a trailing line break",
			`apps: q: {image: "x:1", sidecars: s: image: "x:1\n"}`,
			[]string{`apps.q: StatefulSet q (statefulset-q.yaml): pod q-0: spec.containers[1].image: Invalid value: "x:1\n": must not have leading or trailing whitespace ` + gateRule},
		},
		{
			// The CronJob is accepted; each Job it creates is refused
			// because its pods' labels no longer match the Job's selector.
			"backup Jobs refused",
			`import "github.com/celestra-dev/celestra/presets"
apps: db: presets.#Postgres & {
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "x"
	labels: "batch.kubernetes.io/controller-uid": "mine"
	backup: {schedule: "0 2 * * *", location: "s3://b/db"}
}`,
			[]string{`apps.db: CronJob db-backup (cronjob-db-backup.yaml): job db-backup-29453880: spec.template.metadata.labels: Invalid value: `, "`selector` does not match template `labels` " + gateRule},
		},
		{
			"environment's fieldEnv of a field the downward API lacks",
			`apps: q: {image: "x:1"}
environments: production: q: fieldEnv: POD: "a b"`,
			[]string{`environments.production.q: StatefulSet q (statefulset-q.yaml): ` + fieldRef + gateRule},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "package bad\n\n" + tc.src + "\n"
			// CUE accepts it: only the gate stands between it and the files.
			dir := t.TempDir()
			file := filepath.Join(dir, "ok.cue")
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			loader, err := engine.NewLoader()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := loader.Load(file); err != nil {
				t.Fatalf("CUE refuses this input now; pick one only the gate refuses:\n%v", err)
			}
			for _, want := range tc.want {
				assertRefused(t, src, want)
			}
			code, _, stderr := run(t, "vet", file)
			if code != ExitInvalidConfig || !strings.Contains(stderr, tc.want[len(tc.want)-1]) {
				t.Errorf("vet: exit %d, want %d with %q:\n%s", code, ExitInvalidConfig, tc.want[len(tc.want)-1], stderr)
			}
		})
	}
}

// TestGateReportsBaseProblemsOnce: an environment that keeps a refused
// object of the base does not repeat its diagnostics.
func TestGateReportsBaseProblemsOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.cue")
	src := "package bad\n\napps: q: {image: \"x:1\", fieldEnv: POD: \"a b\"}\nenvironments: production: {}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "vet", file)
	if code != ExitInvalidConfig || !strings.Contains(stderr, "apps.q: StatefulSet q (statefulset-q.yaml): spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "environments.production") {
		t.Errorf("the environment repeats the base's diagnostics:\n%s", stderr)
	}
}
