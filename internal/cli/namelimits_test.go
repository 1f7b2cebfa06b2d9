package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
)

// presetNameLimits are, for every preset, the settings that change the
// longest app name it allows (schemas/kubernetes.cue and the presets'
// #nameLimits), with that limit. In src, N stands for the app name; each
// src holds what the app needs to be valid with a name of its limit.
var presetNameLimits = []struct {
	preset, settings, src string
	limit                 int
}{
	{"Postgres", "defaults", `secrets: "N-secret": data: password: "x"`, 52},
	{"Postgres", "backup", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 45},
	{"Postgres", "replicas", `secrets: "N-secret": data: {password: "x", "replication-password": "y"}, replicas: 2`, 48},
	{"Postgres", "replicas and backup", `secrets: "N-secret": data: {password: "x", "replication-password": "y"}, replicas: 2, backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 45},
	{"Postgres", "point-in-time recovery", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p", pointInTimeRecovery: true}`, 45},
	{"MySQL", "defaults", `secrets: "N-secret": data: password: "x"`, 42},
	{"MySQL", "backup", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 42},
	{"MySQL", "replicas", `secrets: "N-secret": data: {password: "x", "replication-password": "y"}, replicas: 2`, 42},
	{"MySQL", "mysqlConfig", `secrets: "N-secret": data: password: "x", mysqlConfig: max_connections: "200"`, 42},
	{"MongoDB", "defaults", `secrets: "N-secret": data: password: "x"`, 52},
	{"MongoDB", "backup", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 45},
	{"MongoDB", "replica set", `secrets: "N-secret": data: {password: "x", keyfile: "c2VjcmV0a2V5"}, replicas: 3`, 49},
	{"MongoDB", "single-member replica set", `secrets: "N-secret": data: {password: "x", keyfile: "c2VjcmV0a2V5"}, replicaSet: true`, 49},
	{"MongoDB", "mongodbConfig", `secrets: "N-secret": data: password: "x", mongodbConfig: "operationProfiling.mode": "slowOp"`, 49},
	{"MongoDB", "replica set with its own Secret", `secrets: keys: data: {password: "x", keyfile: "c2VjcmV0a2V5"}, replicas: 3, password: secret: "keys", keyFile: secret: "keys"`, 52},
	{"Redis", "defaults", `secrets: "N-secret": data: password: "x"`, 42},
	{"Redis", "backup", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 42},
	{"Redis", "replicas", `secrets: "N-secret": data: password: "x", replicas: 3`, 42},
	{"Kafka", "defaults", ``, 52},
	{"Kafka", "replicas", `replicas: 3`, 52},
	{"Elasticsearch", "defaults", `secrets: "N-secret": data: password: "x"`, 52},
	{"Elasticsearch", "backup", `secrets: "N-secret": data: password: "x", backup: {schedule: "0 2 * * *", location: "s3://b/p"}`, 45},
	{"Elasticsearch", "secured cluster", `secrets: "N-secret": data: password: "x", secrets: "N-transport-tls": existing: true, replicas: 3`, 42},
	{"Elasticsearch", "secured cluster with its own certificate", `secrets: "N-secret": data: password: "x", secrets: certs: existing: true, transportTLS: secret: "certs", replicas: 3`, 52},
	{"Elasticsearch", "cluster without security", `elasticsearchConfig: "xpack.security.enabled": "false", replicas: 3`, 52},
}

// nameLimitSource is a configuration of one app of the preset, named name.
func nameLimitSource(preset, src, name string) string {
	body := strings.ReplaceAll(src, `"N-`, `"`+name+`-`)
	if body != "" {
		body = ", " + body
	}
	return "package names\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\n" +
		"apps: " + name + ": presets.#" + preset + ` & {storage: size: "1Gi"` + body + "}\n"
}

// TestPresetNameLimits gives every preset, with each of the settings that
// lower its limit, an app name one character over the limit: exit 1,
// nothing written, and the first message is the app-name rule stating the
// limit (not a consequence such as a volume name derived from it). A name
// of exactly the limit passes CUE and the Kubernetes validation gate, and
// exports in every format as FuzzUserText requires (the Helm render equal
// to the YAML export, compose-go and krusty accept theirs).
func TestPresetNameLimits(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range presetNameLimits {
		t.Run(fmt.Sprintf("%s/%s/%d+1", tc.preset, tc.settings, tc.limit), func(t *testing.T) {
			name := long(tc.limit + 1)
			stderr := assertRefused(t, nameLimitSource(tc.preset, tc.src, name),
				fmt.Sprintf("may be at most %d characters", tc.limit))
			lines := strings.Split(stderr, "\n")
			want := fmt.Sprintf("apps.%s: app name %q is longer than %d characters (%d): for presets.#%s with these settings it may be at most %d characters, since ",
				name, name, tc.limit, tc.limit+1, tc.preset, tc.limit)
			if len(lines) < 2 || !strings.Contains(lines[1], want) {
				t.Errorf("the first message is not the app name's, %q:\n%s", want, stderr)
			}
		})
		t.Run(fmt.Sprintf("%s/%s/%d", tc.preset, tc.settings, tc.limit), func(t *testing.T) {
			name := long(tc.limit)
			src := nameLimitSource(tc.preset, tc.src, name)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "ok.cue"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			result, err := loader.Load(dir)
			if err != nil {
				t.Fatalf("a name of %d characters is refused:\n%v\n%s", tc.limit, err, src)
			}
			if err := checkWithKubernetes(result); err != nil {
				t.Fatalf("the Kubernetes validation gate refuses a name of %d characters:\n%v\n%s", tc.limit, err, src)
			}
			checkUserText(t, loader, userTextField{name: "app name", path: "apps."}, name, src)
			if code, _, stderr := run(t, "export", dir, "--format", "all", "-o", t.TempDir()); code != ExitOK {
				t.Fatalf("export: exit %d:\n%s", code, stderr)
			}
		})
	}
}
