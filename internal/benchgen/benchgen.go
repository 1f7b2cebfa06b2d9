// Package benchgen writes synthetic celestra configurations of any size,
// for the benchmarks and for scripts/bench.sh.
package benchgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Write writes a configuration of n apps into dir: alternately a
// plain StatefulApp and a Postgres preset, each with storage, resources,
// probes and a Secret, so every part of the renderer runs.
func Write(dir string, n int) error {
	var b strings.Builder
	b.WriteString("package bench\n\n")
	if n > 1 {
		b.WriteString("import \"github.com/celestra-dev/celestra/presets\"\n\n")
	}
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, `apps: "app-%d": {
	image: "ghcr.io/example/queue:1.%d.0"
	ports: {amqp: port: 5672, metrics: port: 9419}
	storage: size: "%dGi"
	replicas: 3
	resources: {cpu: "500m", memory: "1Gi", cpuLimit: "1", memoryLimit: "2Gi"}
	security: {runAsUser: 1000, fsGroup: 1000}
	readinessProbe: tcp: port: "amqp"
	secrets: "app-%d-token": {data: token: "t-%d", mountPath: "/etc/token"}
	expose: {}
}
`, i, i, 1+i%50, i, i)
		} else {
			fmt.Fprintf(&b, `apps: "db-%d": presets.#Postgres & {
	storage: size: "%dGi"
	resources: {cpu: "1", memory: "2Gi"}
	secrets: "db-%d-secret": data: password: "p-%d"
	postgresConfig: max_connections: "%d"
}
`, i, 1+i%50, i, i, 100+i)
		}
	}
	return os.WriteFile(filepath.Join(dir, "bench.cue"), []byte(b.String()), 0o644)
}
