package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prodBadInputs are production-readiness refusals (issue 11, items 5 and
// 6): server settings the image's version removed or renamed, HTTP probes
// on database presets, an HTTP probe whose port cannot be defaulted. app is
// a preset name of presetApp, or "plain"; src is added inside the app.
var prodBadInputs = []struct {
	name, app, src, want string
}{
	// Item 5: settings removed or renamed by the server's version.
	{"MySQL 8.4 query cache (the seed's own example)", "mysql", `mysqlConfig: query_cache_size: "16M"`, "mysqlConfig.query_cache_size was removed in MySQL 8.0.3 (this app runs mysql:8.4): the query cache was removed; remove it"},
	{"MySQL 8.0 query cache type", "mysql", `image: "mysql:8.0", mysqlConfig: query_cache_type: "1"`, "mysqlConfig.query_cache_type was removed in MySQL 8.0.3 (this app runs mysql:8.0)"},
	{"MySQL option with dashes", "mysql", `mysqlConfig: "query-cache-limit": "1M"`, "mysqlConfig.query-cache-limit was removed in MySQL 8.0.3"},
	{"MySQL 8.4 expire_logs_days", "mysql", `mysqlConfig: expire_logs_days: "7"`, "mysqlConfig.expire_logs_days was removed in MySQL 8.2.0 (this app runs mysql:8.4): set binlog_expire_logs_seconds instead"},
	{"MySQL 8.2 expire_logs_days", "mysql", `image: "mysql:8.2.0", mysqlConfig: expire_logs_days: "7"`, "mysqlConfig.expire_logs_days was removed in MySQL 8.2.0 (this app runs mysql:8.2.0)"},
	{"MySQL 8.4 default_authentication_plugin", "mysql", `image: "mysql:8.4.3-oracle", mysqlConfig: default_authentication_plugin: "mysql_native_password"`, "mysqlConfig.default_authentication_plugin was removed in MySQL 8.4.0 (this app runs mysql:8.4.3-oracle): set authentication_policy instead"},
	{"MySQL tx_isolation", "mysql", `mysqlConfig: tx_isolation: "READ-COMMITTED"`, "mysqlConfig.tx_isolation was removed in MySQL 8.0.3 (this app runs mysql:8.4): set transaction_isolation instead"},
	{"MySQL log_warnings", "mysql", `image: "mysql:8", mysqlConfig: log_warnings: "2"`, "mysqlConfig.log_warnings was removed in MySQL 8.0.3 (this app runs mysql:8): set log_error_verbosity instead"},
	{"MySQL with a digest after the tag", "mysql", `image: "mysql:8.4@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", mysqlConfig: query_cache_size: "0"`, "mysqlConfig.query_cache_size was removed in MySQL 8.0.3"},
	{"Postgres 17 wal_keep_segments", "postgres", `postgresConfig: wal_keep_segments: "64"`, "postgresConfig.wal_keep_segments was removed in PostgreSQL 13 (this app runs postgres:17): set wal_keep_size instead"},
	{"Postgres 16 promote_trigger_file", "postgres", `image: "postgres:16-alpine", postgresConfig: promote_trigger_file: "/tmp/promote"`, "postgresConfig.promote_trigger_file was removed in PostgreSQL 16 (this app runs postgres:16-alpine): set pg_ctl promote or pg_promote() instead"},
	{"Postgres 16 vacuum_defer_cleanup_age", "postgres", `image: "postgres:16", postgresConfig: vacuum_defer_cleanup_age: "0"`, "postgresConfig.vacuum_defer_cleanup_age was removed in PostgreSQL 16 (this app runs postgres:16): use hot_standby_feedback or replication slots; remove it"},
	{"Postgres checkpoint_segments", "postgres", `postgresConfig: checkpoint_segments: "32"`, "postgresConfig.checkpoint_segments was removed in PostgreSQL 9.5 (this app runs postgres:17): set max_wal_size (and min_wal_size) instead"},
	{"Postgres 16 force_parallel_mode", "postgres", `postgresConfig: force_parallel_mode: "on"`, "set debug_parallel_query instead"},
	{"MongoDB 8 journal switch", "mongodb", `mongodbConfig: "storage.journal.enabled": "true"`, "mongodbConfig.storage.journal.enabled was removed in MongoDB 6.1 (this app runs mongo:8.0): journaling is always on; remove it"},
	{"MongoDB MMAPv1 option", "mongodb", `mongodbConfig: "storage.mmapv1.smallFiles": "true"`, "mongodbConfig.storage.mmapv1.smallFiles was removed in MongoDB 4.2"},
	{"Kafka 4 ZooKeeper connect", "kafka", `kafkaConfig: "zookeeper.connect": "zk:2181"`, "kafkaConfig.zookeeper.connect was removed in Kafka 4.0 (this app runs apache/kafka:4.1.0): Kafka 4 runs in KRaft mode only"},
	{"Kafka 4 timestamp difference", "kafka", `kafkaConfig: "log.message.timestamp.difference.max.ms": "1000"`, "set log.message.timestamp.before.max.ms and log.message.timestamp.after.max.ms instead"},
	{"Elasticsearch 9 zen discovery", "elasticsearch", `elasticsearchConfig: "discovery.zen.minimum_master_nodes": "2"`, "elasticsearchConfig.discovery.zen.minimum_master_nodes was removed in Elasticsearch 8.0.0 (this app runs docker.elastic.co/elasticsearch/elasticsearch:9.1.0): set discovery.seed_hosts and cluster.initial_master_nodes"},
	{"Elasticsearch 8 tcp_no_delay", "elasticsearch", `image: "docker.elastic.co/elasticsearch/elasticsearch:8.15.0", elasticsearchConfig: "http.tcp_no_delay": "true"`, "set http.tcp.no_delay instead"},

	// Item 6: HTTP probes on database presets.
	{"HTTP liveness probe on Postgres", "postgres", `livenessProbe: http: path: "/health"`, "livenessProbe.http: Postgres serves no HTTP endpoint: the preset probes the server itself with pg_isready"},
	{"HTTP readiness probe on MySQL", "mysql", `readinessProbe: http: {path: "/health", port: 3306}`, "readinessProbe.http: MySQL serves no HTTP endpoint: the preset probes the server itself"},
	{"HTTP startup probe on MongoDB", "mongodb", `startupProbe: http: {path: "/", port: "mongodb"}`, "startupProbe.http: MongoDB serves no HTTP endpoint"},
	{"HTTP liveness probe on Redis", "redis", `livenessProbe: http: {path: "/", port: "redis"}`, "livenessProbe.http: Redis serves no HTTP endpoint"},
	{"HTTP liveness probe on Kafka", "kafka", `livenessProbe: http: {path: "/", port: "client"}`, "livenessProbe.http: Kafka serves no HTTP endpoint"},
	{"HTTP readiness probe on secured Elasticsearch", "elasticsearch", `readinessProbe: http: {path: "/", port: "http"}`, "readinessProbe.http: Elasticsearch answers HTTP only with the elastic user's credentials"},

	// Item 6: the plain app's HTTP probe without a port.
	{"HTTP probe without port, two ports", "plain", `ports: admin: port: 9090, livenessProbe: http: path: "/health"`, "http.port: the HTTP probe needs a port: the app has 2 ports (admin, amqp), so none is taken by default: set port to one of them"},
	{"HTTP probe without port, no ports", "noports", `readinessProbe: http: path: "/health"`, "http.port: the HTTP probe needs a port, and the app has no ports to default to: set port"},
	// Item 6: a build-only app in the Kubernetes formats.
	{"build-only app", "build", `ports: web: port: 8080`, "apps.db.image: app db has build but no image, and the helm export needs one: Kubernetes pulls images from a registry and cannot build them; set image to the registry path the build pushes to"},
	{"sidecar HTTP probe without port", "plain", `sidecars: s: {image: "busybox:1.37", livenessProbe: http: path: "/health"}`, "http.port: the HTTP probe needs a port: set port (a port name or number)"},
}

// prodApp is the app a prodBadInputs or prodAccepted row builds on.
func prodApp(app, src string) string {
	head := "package bad\n\n"
	switch app {
	case "plain":
		return head + `apps: db: {image: "ghcr.io/acme/queue:1", ports: amqp: port: 5672, ` + src + "}\n"
	case "noports":
		return head + `apps: db: {image: "ghcr.io/acme/queue:1", ` + src + "}\n"
	case "build":
		return head + `apps: db: {build: {context: "."}, storage: size: "1Gi", ` + src + "}\n"
	}
	base := presetApp(app, "db")
	return head + "import \"github.com/celestra-dev/celestra/presets\"\n\napps: db: " + strings.TrimSuffix(base, "}") + ", " + src + "}\n"
}

// TestProdBadInputs exports each configuration into a folder: each must be
// refused with its message, and nothing written.
func TestProdBadInputs(t *testing.T) {
	for _, tc := range prodBadInputs {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, prodApp(tc.app, tc.src), tc.want)
		})
	}
}

// prodAccepted are the neighbours of the refusals that must still export,
// each with a fragment the export must hold.
var prodAccepted = []struct {
	name, app, src, file, want string
}{
	{"MariaDB keeps its query cache", "mysql", `image: "mariadb:11.4", mysqlConfig: query_cache_size: "16M"`, "configmap-db-server-config.yaml", "query_cache_size = 16M"},
	{"MySQL before 8.0.3 had the query cache", "mysql", `image: "mysql:8.0.2", mysqlConfig: query_cache_size: "16M"`, "configmap-db-server-config.yaml", "query_cache_size = 16M"},
	{"MySQL 8.1 still has expire_logs_days", "mysql", `image: "mysql:8.1", mysqlConfig: expire_logs_days: "7"`, "configmap-db-server-config.yaml", "expire_logs_days = 7"},
	{"MySQL redo log size is deprecated, not removed", "mysql", `mysqlConfig: innodb_log_file_size: "256M"`, "configmap-db-server-config.yaml", "innodb_log_file_size = 256M"},
	{"unknown version (digest only): nothing checked", "mysql", `image: "mysql@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", mysqlConfig: query_cache_size: "0"`, "configmap-db-server-config.yaml", "query_cache_size = 0"},
	{"unknown version (latest): nothing checked", "mysql", `image: "mysql:latest", mysqlConfig: query_cache_size: "0"`, "configmap-db-server-config.yaml", "query_cache_size = 0"},
	{"Postgres 12 keeps wal_keep_segments", "postgres", `image: "postgres:12", postgresConfig: wal_keep_segments: "64"`, "statefulset-db.yaml", "wal_keep_segments=64"},
	{"Postgres 15 keeps vacuum_defer_cleanup_age", "postgres", `image: "postgres:15.8", postgresConfig: vacuum_defer_cleanup_age: "0"`, "statefulset-db.yaml", "vacuum_defer_cleanup_age=0"},
	{"Elasticsearch without security takes an HTTP probe", "elasticsearch", `elasticsearchConfig: "xpack.security.enabled": "false", readinessProbe: http: {path: "/", port: "http"}`, "statefulset-db.yaml", "httpGet:"},
	{"exec probe on Postgres", "postgres", `livenessProbe: exec: ["pg_isready"]`, "statefulset-db.yaml", "- pg_isready"},
	{"HTTP probe without port takes the single port", "plain", `livenessProbe: http: path: "/health"`, "statefulset-db.yaml", "httpGet:\n            path: /health\n            port: amqp"},
	{"HTTP probe with a port among several", "plain", `ports: admin: port: 9090, livenessProbe: http: {path: "/health", port: "admin"}`, "statefulset-db.yaml", "port: admin"},
}

// TestProdAccepted exports each configuration in every format and looks
// for the fragment in the YAML export.
func TestProdAccepted(t *testing.T) {
	for _, tc := range prodAccepted {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "ok.cue")
			if err := os.WriteFile(file, []byte(prodApp(tc.app, tc.src)), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			if code, _, stderr := run(t, "export", file, "--format", "all", "-o", out); code != ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			data, err := os.ReadFile(filepath.Join(out, "yaml", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tc.want) {
				t.Errorf("%s lacks %q:\n%s", tc.file, tc.want, data)
			}
		})
	}
}

// TestBuildOnlyApp: an app with build and no image still exports as a
// Compose file, which builds its image; each Kubernetes format refuses it,
// naming the field (-o - too), and nothing is written.
func TestBuildOnlyApp(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.cue")
	if err := os.WriteFile(file, []byte(prodApp("build", `ports: web: port: 8080`)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "compose")
	if code, _, stderr := run(t, "export", file, "--format", "compose", "-o", out); code != ExitOK {
		t.Fatalf("compose export: exit %d:\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "build:") {
		t.Errorf("docker-compose.yaml does not build the image:\n%s", data)
	}
	for _, format := range []string{"yaml", "helm", "kustomize"} {
		target := filepath.Join(dir, format)
		code, _, stderr := run(t, "export", file, "--format", format, "-o", target)
		if code != ExitInvalidConfig || !strings.Contains(stderr, "apps.db.image: app db has build but no image, and the "+format+" export needs one") {
			t.Errorf("--format %s: exit %d, want %d with the image message:\n%s", format, code, ExitInvalidConfig, stderr)
		}
		if _, err := os.Stat(target); !os.IsNotExist(err) {
			t.Errorf("--format %s wrote %s", format, target)
		}
	}
	code, stdout, stderr := run(t, "export", file, "-o", "-")
	if code != ExitInvalidConfig || stdout != "" || !strings.Contains(stderr, "apps.db.image: app db has build but no image") {
		t.Errorf("-o -: exit %d, stdout %q:\n%s", code, stdout, stderr)
	}
}
