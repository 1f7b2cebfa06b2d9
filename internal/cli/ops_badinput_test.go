package cli

import (
	"strings"
	"testing"
)

// opsBadInputs are backup, restore, security and observability settings
// celestra must refuse, each with a fragment of the message the user sees.
// {{pg}}, {{mysql}}, ... stand for a valid app of that preset to add to.
var opsBadInputs = []struct {
	name, app, src, want string
}{
	{"unknown backup location scheme", "pg", `backup: {schedule: "0 2 * * *", location: "ftp://backups/pg"}`, `backup location "ftp://backups/pg" has an unknown scheme "ftp"`},
	{"backup location without scheme", "pg", `backup: {schedule: "0 2 * * *", location: "my-backups/pg"}`, `backup location "my-backups/pg" is not a location`},
	{"backup location without bucket", "pg", `backup: {schedule: "0 2 * * *", location: "s3:///pg"}`, "needs a bucket (or claim) name after the scheme"},
	{"retention zero", "pg", `backup: {schedule: "0 2 * * *", location: "s3://b/pg", retention: 0}`, "backup retention 0 must be at least 1 day"},
	{"retention negative", "pg", `backup: {schedule: "0 2 * * *", location: "s3://b/pg", retention: -3}`, "backup retention -3 must be at least 1 day"},
	{"point-in-time recovery on MongoDB", "mongo", `backup: {schedule: "0 2 * * *", location: "s3://b/m", pointInTimeRecovery: true}`, "pointInTimeRecovery is not supported by presets.#MongoDB"},
	{"point-in-time recovery on Redis", "redis", `backup: {schedule: "0 2 * * *", location: "s3://b/r", pointInTimeRecovery: true}`, "pointInTimeRecovery is not supported by presets.#Redis"},
	{"point-in-time recovery on Elasticsearch", "es", `backup: {schedule: "0 2 * * *", location: "s3://b/e", pointInTimeRecovery: true}`, "pointInTimeRecovery is not supported by presets.#Elasticsearch"},
	{"point-in-time recovery to a claim", "pg", `backup: {schedule: "0 2 * * *", location: "pvc://claim/pg", pointInTimeRecovery: true}`, "pointInTimeRecovery needs an object store location"},
	{"backup on Kafka", "kafka", `backup: {schedule: "0 2 * * *", location: "s3://b/k"}`, "backup is not available for presets.#Kafka: Kafka has no dump tool"},
	{"backup on a plain app", "plain", `backup: {schedule: "0 2 * * *", location: "s3://b/q"}`, "backup needs a preset that knows the database's dump tool"},
	{"backup on a Redis Cluster", "redis", `clusterMode: true, replicas: 6, backup: {schedule: "0 2 * * *", location: "s3://b/r"}`, "backup is not available for a Redis Cluster"},
	{"Redis restore from a claim", "redis", `backup: {schedule: "0 2 * * *", location: "pvc://claim/r", restore: from: "r.rdb"}`, "backup.restore from a pvc:// location is not available for Redis"},
	{"Elasticsearch snapshots to a claim", "es", `backup: {schedule: "0 2 * * *", location: "pvc://claim/e"}`, "Elasticsearch writes snapshots to a repository on every node"},
	{"Elasticsearch credentials Secret", "es", `backup: {schedule: "0 2 * * *", location: "s3://b/e", credentialsSecret: "s3"}`, "backup.credentialsSecret is not used by Elasticsearch"},
	{"credentials for a claim", "pg", `backup: {schedule: "0 2 * * *", location: "pvc://claim/pg", credentialsSecret: "s3"}`, "credentialsSecret has no use with a pvc:// backup location"},
	{"restore from a path", "pg", `backup: {schedule: "0 2 * * *", location: "s3://b/pg", restore: from: "2026/db.pgdump"}`, `restore.from "2026/db.pgdump" is not a backup name`},
	{"restore target time without PITR", "pg", `backup: {schedule: "0 2 * * *", location: "s3://b/pg", restore: {from: "db.pgdump", targetTime: "2026-11-20 10:00:00+00"}}`, "restore.targetTime needs pointInTimeRecovery: true"},
	{"restore target time without zone", "pg", `backup: {schedule: "0 2 * * *", location: "s3://b/pg", pointInTimeRecovery: true, restore: {from: "db.base.tar.gz", targetTime: "yesterday"}}`, `restore.targetTime "yesterday" is not a time with a zone`},
	{"MySQL target time not in UTC", "mysql", `backup: {schedule: "0 2 * * *", location: "s3://b/my", pointInTimeRecovery: true, restore: {from: "db.sql.gz", targetTime: "2026-11-20 10:00:00+02"}}`, "is not in UTC: MySQL replays binary logs up to a UTC time"},
	{"unknown RBAC verb", "pg", `roles: r: rules: [{verbs: ["get", "fetch"], resources: ["pods"]}]`, `"fetch" is not a Kubernetes RBAC verb`},
	{"ServiceMonitor without metrics", "pg", `observability: serviceMonitor: true`, "observability.serviceMonitor needs metrics: true"},
	{"metrics on a plain app without a metrics port", "plain", `observability: metrics: true`, `observability.metrics on a plain StatefulApp needs a port named "metrics"`},
	{"bad scrape interval", "pg", `observability: {metrics: true, scrapeInterval: "30 seconds"}`, "scrapeInterval"},
	{"JSON logs on Postgres 14", "pg", `image: "postgres:14", observability: logging: true`, "observability.logging needs PostgreSQL 15 or later"},
	{"JSON logs on Kafka", "kafka", `observability: logging: true`, "observability.logging is not available for presets.#Kafka"},
	{"JSON logs on Redis", "redis", `observability: logging: true`, "observability.logging is not available for presets.#Redis"},
	{"JSON logs on MariaDB", "mysql", `image: "mariadb:11.4", observability: logging: true`, "observability.logging is not available for MariaDB"},
	{"JSON logs on a plain app", "plain", `observability: logging: true`, "observability.logging needs a preset"},
}

// opsApps are the valid apps the cases above build on.
var opsApps = map[string]string{
	"pg":    `presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", `,
	"mysql": `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", `,
	"mongo": `presets.#MongoDB & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", `,
	"redis": `presets.#Redis & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", `,
	"es":    `presets.#Elasticsearch & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", `,
	"kafka": `presets.#Kafka & {storage: size: "1Gi", `,
	"plain": `{image: "ghcr.io/acme/queue:1", ports: amqp: port: 5672, `,
}

// TestOpsBadInputs exports each bad configuration into an empty folder: it
// must exit with the configuration error, show the message, and write
// nothing.
func TestOpsBadInputs(t *testing.T) {
	for _, tc := range opsBadInputs {
		t.Run(tc.name, func(t *testing.T) {
			base, ok := opsApps[tc.app]
			if !ok {
				t.Fatalf("unknown app %q", tc.app)
			}
			src := "package bad\n\n"
			if strings.Contains(base, "presets.") {
				src += "import \"github.com/celestra-dev/celestra/presets\"\n\n"
			}
			src += "apps: db: " + base + tc.src + "}\n"
			assertRefused(t, src, tc.want)
		})
	}
}
