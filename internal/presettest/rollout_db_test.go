package presettest

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestDBConfigChangesRollPods checks that a change of server settings
// changes the pod template, so the StatefulSet rolls its pods: the generated
// redis.conf and .cnf files are ConfigMaps covered by the config-hash
// annotation, and Postgres settings are container arguments.
func TestDBConfigChangesRollPods(t *testing.T) {
	for _, c := range []struct {
		name, app, a, b, annotation string
	}{
		{"postgres", `presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", postgresConfig: work_mem: "%s"}`, "4MB", "8MB", ""},
		{"mysql", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: max_connections: "%s"}`, "100", "200", "celestra.dev/config-hash"},
		{"mysql replicated", `presets.#MySQL & {replicas: 2, storage: size: "1Gi", secrets: "db-secret": data: {password: "x", "replication-password": "y"}, mysqlConfig: max_connections: "%s"}`, "100", "200", "celestra.dev/config-hash"},
		{"redis", `presets.#Redis & {secrets: "db-secret": data: password: "x", redisConfig: maxmemory: "%s"}`, "100mb", "200mb", "celestra.dev/config-hash"},
	} {
		t.Run(c.name, func(t *testing.T) {
			template := func(value string) (string, map[string]string) {
				res, err := loadDBSource(t, dbAppSource(fmt.Sprintf(c.app, value)))
				if err != nil {
					t.Fatal(err)
				}
				tpl := dbStatefulSet(t, res, "db").Spec.Template
				raw, err := json.Marshal(tpl)
				if err != nil {
					t.Fatal(err)
				}
				return string(raw), tpl.Annotations
			}
			a1, annA := template(c.a)
			a2, _ := template(c.a)
			b, annB := template(c.b)
			if a1 != a2 {
				t.Errorf("the same settings give two pod templates")
			}
			if a1 == b {
				t.Errorf("changing the setting from %s to %s leaves the pod template as it was: the pods would not roll", c.a, c.b)
			}
			if c.annotation != "" && (annA[c.annotation] == "" || annA[c.annotation] == annB[c.annotation]) {
				t.Errorf("%s: %q then %q, want two different hashes", c.annotation, annA[c.annotation], annB[c.annotation])
			}
		})
	}
}
