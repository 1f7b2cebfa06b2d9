package presettest

import (
	"errors"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
)

// dbRuleCases are configurations the Postgres, MySQL and Redis presets must
// refuse, each with a fragment of the message the user must see.
var dbRuleCases = []struct {
	name, app, want string
}{
	// Postgres.
	{"postgres without password", `presets.#Postgres & {storage: size: "1Gi"}`, `Postgres needs a superuser password: add secrets: "db-secret": data: "password": "..."`},
	{"postgres replicas without replication password", `presets.#Postgres & {replicas: 2, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		`Postgres with replicas > 1 needs a replication password: add secrets: "db-secret": data: "replication-password": "..."`},
	{"postgres clusterMode", `presets.#Postgres & {clusterMode: true, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode does not apply to Postgres: replicas > 1 already gives one primary (pod 0) and streaming read replicas"},
	{"postgres port in postgresConfig", `presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", postgresConfig: port: "5433"}`,
		"postgresConfig.port is managed by the preset: set port on the app instead"},
	{"postgres too few WAL senders", `presets.#Postgres & {replicas: 3, storage: size: "1Gi", secrets: "db-secret": data: {password: "x", "replication-password": "y"}, postgresConfig: max_wal_senders: "1"}`,
		"postgresConfig.max_wal_senders 1 is less than the 2 standbys of replicas: 3"},
	{"postgres bad replication user", `presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", replication: user: "Repl-User"}`,
		`replication.user "Repl-User" is not a plain PostgreSQL role name`},

	// MySQL.
	{"mysql without password", `presets.#MySQL & {storage: size: "1Gi"}`, "MySQL needs a root password"},
	{"mysql replicas without replication password", `presets.#MySQL & {replicas: 2, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"MySQL with replicas > 1 needs a replication password"},
	{"mysql clusterMode", `presets.#MySQL & {clusterMode: true, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode (Group Replication / InnoDB Cluster) is not supported by presets.#MySQL"},
	{"mysql datadir in mysqlConfig", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: datadir: "/tmp"}`,
		"mysqlConfig.datadir is managed by the preset"},
	{"mysql server-id in mysqlConfig", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: "server-id": "7"}`,
		"mysqlConfig.server-id is managed by the preset"},
	{"mysql value with a line break", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: sql_mode: "A\nB"}`,
		"mysqlConfig.sql_mode holds a line break"},
	{"mysql bad option name", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", mysqlConfig: "max connections": "10"}`,
		`mysqlConfig key "max connections" is not a server option name`},
	{"mysql HTTP health check", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", healthCheck: path: "/health"}`,
		"MySQL serves no HTTP endpoint"},
	{"mysql bad replication user", `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x", replication: user: "repl-user"}`,
		`replication.user "repl-user" is not a plain MySQL user name`},

	// Redis.
	{"redis without password", `presets.#Redis & {}`, `Redis needs a password: add secrets: "db-secret": data: "password": "..."`},
	{"redis cluster at the default replicas", `presets.#Redis & {clusterMode: true, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode needs at least 6 nodes (replicas is 1)"},
	{"redis cluster of 3", `presets.#Redis & {replicas: 3, clusterMode: true, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode needs at least 6 nodes (replicas is 3)"},
	{"redis cluster without replicas of masters", `presets.#Redis & {replicas: 6, clusterMode: true, replicationFactor: 1, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode needs replicationFactor 2 or more"},
	{"redis cluster too small for its factor", `presets.#Redis & {replicas: 6, clusterMode: true, replicationFactor: 3, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"clusterMode with replicationFactor 3 needs at least 9 nodes for 3 masters, replicas is 6"},
	{"redis cluster without storage", `presets.#Redis & {replicas: 6, clusterMode: true, secrets: "db-secret": data: password: "x"}`,
		"clusterMode needs storage"},
	{"redis replicationFactor without cluster", `presets.#Redis & {replicas: 3, replicationFactor: 2, secrets: "db-secret": data: password: "x"}`,
		"replicationFactor applies to clusterMode only"},
	{"redis requirepass in redisConfig", `presets.#Redis & {secrets: "db-secret": data: password: "x", redisConfig: requirepass: "x"}`,
		"redisConfig.requirepass is managed by the preset"},
	{"redis value with a line break", `presets.#Redis & {secrets: "db-secret": data: password: "x", redisConfig: save: "900 1\nrequirepass x"}`,
		"redisConfig.save holds a line break"},
	{"redis bad directive name", `presets.#Redis & {secrets: "db-secret": data: password: "x", redisConfig: MaxMemory: "1gb"}`,
		`redisConfig key "MaxMemory" is not a Redis configuration directive`},
	{"redis HTTP health check", `presets.#Redis & {secrets: "db-secret": data: password: "x", healthCheck: path: "/health"}`,
		"Redis serves no HTTP endpoint"},
}

// TestDBPresetRules loads each bad configuration with the engine and
// expects a configuration error carrying the rule's message.
func TestDBPresetRules(t *testing.T) {
	for _, tc := range dbRuleCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadDBSource(t, dbAppSource(tc.app))
			if err == nil {
				t.Fatalf("accepted; want an error with %q", tc.want)
			}
			var cfgErr *engine.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("error is %T, want *engine.ConfigError: %v", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("message does not contain %q:\n%v", tc.want, err)
			}
		})
	}
}

// TestDBPresetAccepts loads configurations that are valid (the minimal
// forms of each preset and of its clustered variants): the rules above
// must not fire on them.
func TestDBPresetAccepts(t *testing.T) {
	for name, app := range map[string]string{
		"postgres":            `presets.#Postgres & {storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"postgres replicated": `presets.#Postgres & {replicas: 2, storage: size: "1Gi", secrets: "db-secret": data: {password: "x", "replication-password": "y"}}`,
		"postgres existing":   `presets.#Postgres & {replicas: 2, storage: size: "1Gi", secrets: "db-secret": existing: true}`,
		"postgres 18":         `presets.#Postgres & {image: "postgres:18", storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"mysql":               `presets.#MySQL & {storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"mariadb replicated":  `presets.#MySQL & {image: "mariadb:11.4", replicas: 3, storage: size: "1Gi", secrets: "db-secret": data: {password: "x", "replication-password": "y"}}`,
		"redis":               `presets.#Redis & {secrets: "db-secret": data: password: "x"}`,
		"redis without auth":  `presets.#Redis & {auth: false}`,
		"redis replicated":    `presets.#Redis & {replicas: 3, secrets: "db-secret": data: password: "x"}`,
		"redis cluster":       `presets.#Redis & {replicas: 9, clusterMode: true, replicationFactor: 3, storage: size: "1Gi", secrets: "db-secret": data: password: "x"}`,
		"user affinity wins":  `presets.#Redis & {replicas: 2, secrets: "db-secret": data: password: "x", affinity: nodeAffinity: requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorTerms: [{matchExpressions: [{key: "disk", operator: "In", values: ["ssd"]}]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadDBSource(t, dbAppSource(app)); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func dbAppSource(app string) string {
	return "import \"github.com/celestra-dev/celestra/presets\"\n\napps: db: " + app
}
