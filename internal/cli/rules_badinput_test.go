package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// long returns an app name of n characters.
func long(n int) string { return strings.Repeat("a", n) }

// mib is a value just over a Secret's or ConfigMap's 1 MiB limit.
var mib = strings.Repeat("x", 1<<20+1)

// rulesBadInputs are configurations Kubernetes would refuse (or whose pods it
// would refuse), each with the message celestra gives first. app names a
// valid app of opsApps to add src to, or is "" when src is the whole file
// below the package clause (the presets are always imported). name, when
// set, replaces the app name "db".
var rulesBadInputs = []struct {
	name, app, appName, src, want string
}{
	// Preset shortcuts obey the plain fields' rules, on every preset.
	{"postgres port", "pg", "", `port: 70000`, "port 70000 is out of range"},
	{"mysql port", "mysql", "", `port: 70000`, "port 70000 is out of range"},
	{"mysql xPort", "mysql", "", `xPort: 0`, "port 0 is out of range"},
	{"mongodb port", "mongo", "", `port: 70000`, "port 70000 is out of range"},
	{"redis port", "redis", "", `port: 70000`, "port 70000 is out of range"},
	{"kafka port", "kafka", "", `port: 70000`, "port 70000 is out of range"},
	{"kafka controllerPort", "kafka", "", `controllerPort: 65536`, "port 65536 is out of range"},
	{"elasticsearch port", "es", "", `port: 70000`, "port 70000 is out of range"},
	{"elasticsearch transportPort", "es", "", `transportPort: -1`, "port -1 is out of range"},
	{"postgres image", "pg", "", `image: "postgres 16"`, `image "postgres 16" is not an image reference`},
	{"mysql image", "mysql", "", `image: "mysql 8"`, `image "mysql 8" is not an image reference`},
	{"mongodb image", "mongo", "", `image: "mongo 8"`, `image "mongo 8" is not an image reference`},
	{"redis image", "redis", "", `image: "redis 8"`, `image "redis 8" is not an image reference`},
	{"kafka image", "kafka", "", `image: "kafka 4"`, `image "kafka 4" is not an image reference`},
	{"elasticsearch image", "es", "", `image: "es 9"`, `image "es 9" is not an image reference`},
	{"postgres replicas above int32", "pg", "", `replicas: 3000000000`, "replicas 3000000000 is more than 2147483647"},
	{"mysql negative replicas", "mysql", "", `replicas: -2`, "replicas -2 must be 0 or more"},
	{"postgres root user", "pg", "", `security: runAsUser: 0`, "runAsUser 0 is root"},
	{"redis zero storage", "", "", `apps: db: presets.#Redis & {storage: size: "0", secrets: "db-secret": data: password: "x"}`, `size "0" must be more than 0`},
	{"mongodb relative data path", "mongo", "", `storage: mountPath: "data/db"`, `apps.db.storage.mountPath: mount path "data/db" is not absolute`},
	{"postgres replication user", "pg", "", `replication: user: "Repl-User"`, `replication.user "Repl-User" is not a plain PostgreSQL role name`},
	{"mysql replication user", "mysql", "", `replication: user: "repl user"`, `replication.user "repl user" is not a plain MySQL user name`},
	{"mysql password secret name", "mysql", "", `password: secret: "DB_Secret"`, `"DB_Secret" is not a valid name`},
	{"mongodb replica set name", "mongo", "", `replicaSetName: "rs 0"`, `replicaSetName "rs 0" is not valid`},
	{"mongodb even voting members", "mongo", "", `replicas: 5, votingMembers: 4, secrets: "db-secret": data: keyfile: "c2VjcmV0a2V5"`, "votingMembers 4 is even"},
	{"mongodb too many members", "mongo", "", `replicas: 51, secrets: "db-secret": data: keyfile: "c2VjcmV0a2V5"`, "a MongoDB replica set has at most 50 members"},
	{"elasticsearch two nodes", "es", "", `replicas: 2, secrets: "db-transport-tls": existing: true`, "replicas 2 cannot keep an Elasticsearch cluster available"},
	{"postgres clusterMode", "pg", "", `clusterMode: true`, "clusterMode does not apply to Postgres"},
	{"redis quorum of one", "redis", "", `replicas: 3, quorumSize: 1`, "quorumSize 1 is not a majority of 3 replicas"},
	{"preset config map key", "mysql", "", `configs: "db-server-config": data: "..": "x"`, `key ".." is not valid`},
	{"existing secret with data", "pg", "", `secrets: "db-secret": existing: true`, "an existing Secret is managed outside celestra"},
	{"backup resources above limits", "pg", "", `backup: {schedule: "0 2 * * *", location: "s3://b/p", resources: {cpu: "2", cpuLimit: "1"}}`, "cpu request 2 is more than cpuLimit 1"},

	// App names: the longest name each preset's objects allow.
	{"postgres name with backup", "pg", long(46), `backup: {schedule: "0 2 * * *", location: "s3://b/p"}, secrets: "` + long(46) + `-secret": data: password: "x"`, "may be at most 45 characters"},
	{"mysql name", "mysql", long(43), `secrets: "` + long(43) + `-secret": data: password: "x"`, "may be at most 42 characters"},
	{"redis name", "redis", long(43), `secrets: "` + long(43) + `-secret": data: password: "x"`, "may be at most 42 characters"},
	{"postgres replicated name", "pg", long(49), `replicas: 2, secrets: "` + long(49) + `-secret": data: {password: "x", "replication-password": "y"}`, "may be at most 48 characters"},
	{"elasticsearch cluster name", "es", long(43), `replicas: 3, secrets: "` + long(43) + `-secret": data: password: "x", secrets: "` + long(43) + `-transport-tls": existing: true`, "may be at most 42 characters"},
	{"invalid name on postgres", "", "", `apps: "Bad_Name!": presets.#Postgres & {storage: size: "1Gi", secrets: "s": data: password: "x", password: secret: "s"}`, `"Bad_Name!" is not a valid name`},
	{"upper-case name on mysql", "", "", `apps: UPPER: presets.#MySQL & {storage: size: "1Gi", secrets: "s": data: password: "x", password: secret: "s"}`, `"UPPER" is not a valid name`},
	{"underscore name on mongodb", "", "", `apps: bad_name: presets.#MongoDB & {storage: size: "1Gi", secrets: "s": data: password: "x", password: secret: "s"}`, `"bad_name" is not a valid name`},
	{"long name on redis", "", "", `apps: ` + long(53) + `: presets.#Redis & {storage: size: "1Gi", secrets: "s": data: password: "x", password: secret: "s"}`, "may be at most 42 characters"},
	{"invalid name on elasticsearch", "", "", `apps: "Bad_Name!": presets.#Elasticsearch & {storage: size: "1Gi", secrets: "s": data: password: "x", password: secret: "s"}`, `"Bad_Name!" is not a valid name`},
	{"mounted secret name too long", "plain", "", `secrets: "` + long(57) + `": {data: a: "x", mountPath: "/s"}`, "is too long to mount"},

	// Labels, annotations and selectors.
	{"label key with a space", "plain", "", `labels: "a b": "x"`, `label key "a b" is not valid`},
	{"label value of 64 characters", "plain", "", `labels: team: "` + long(64) + `"`, "is not a valid label value"},
	{"label key with a bad prefix", "plain", "", `labels: "Example.com/team": "x"`, `label key "Example.com/team" is not valid`},
	{"annotation key with two slashes", "plain", "", `annotations: "a/b/c": "x"`, `annotation key "a/b/c" is not valid`},
	{"annotations over 256 KiB", "plain", "", `annotations: note: "` + strings.Repeat("x", 256<<10) + `"`, "annotations hold 262148 bytes"},
	{"empty node selector key", "plain", "", `nodeSelector: "": "x"`, `label key "" is not valid`},
	{"network policy label value", "plain", "", `networkPolicies: p: allowPodsWithLabels: app: "a b"`, `"a b" is not a valid label value`},
	{"service selector key", "plain", "", `services: s: selector: "role?": "x"`, `label key "role?" is not valid`},
	{"service annotation key", "plain", "", `expose: annotations: "a b": "x"`, `annotation key "a b" is not valid`},

	// Environment variable names in every container.
	{"sidecar env name", "plain", "", `sidecars: s: {image: "x:1", env: "1BAD": "x"}`, `environment variable name "1BAD" is not valid`},
	{"init container env name", "plain", "", `initContainers: i: env: "A=B": "x"`, `environment variable name "A=B" is not valid`},
	{"fieldEnv name", "plain", "", `fieldEnv: "POD NAME": "metadata.name"`, `environment variable name "POD NAME" is not valid`},
	{"sidecar fieldEnv name", "plain", "", `sidecars: s: fieldEnv: "9POD": "metadata.name"`, `environment variable name "9POD" is not valid`},
	{"secret env name", "plain", "", `secrets: s: {data: k: "v", env: "A B": "k"}`, `environment variable name "A B" is not valid`},
	{"config env name", "plain", "", `configs: c: {data: k: "v", env: "": "k"}`, `environment variable name "" is not valid`},

	// Secret and ConfigMap data.
	{"data key dot", "plain", "", `configs: c: data: ".": "x"`, `key "." is not valid`},
	{"data key dot dot", "plain", "", `secrets: s: data: "..": "x"`, `key ".." is not valid`},
	{"data key ..data", "plain", "", `configs: c: data: "..data": "x"`, `key "..data" is not valid`},
	{"config map over 1 MiB", "plain", "", `configs: c: data: big: "` + mib + `"`, "ConfigMap c holds 1048577 bytes"},
	{"secret over 1 MiB", "plain", "", `secrets: s: data: big: "` + mib + `"`, "Secret s holds 1048577 bytes"},
	{"TLS secret without key", "plain", "", `secrets: tls: {type: "kubernetes.io/tls", data: "tls.crt": "c"}`, `a kubernetes.io/tls Secret needs the keys tls.crt and tls.key (missing: tls.key)`},
	{"basic-auth secret without user or password", "plain", "", `secrets: s: {type: "kubernetes.io/basic-auth", data: user: "u"}`, "a kubernetes.io/basic-auth Secret needs username or password"},
	{"secret env names a missing key", "plain", "", `secrets: s: {data: pass: "x", env: DB_PASSWORD: "password"}`, `secrets.s.env.DB_PASSWORD names key "password", which Secret s does not have (it has: pass)`},
	{"config env names a missing key", "plain", "", `configs: c: {data: mode: "x", env: MODE: "mod"}`, `configs.c.env.MODE names key "mod", which ConfigMap c does not have (it has: mode)`},

	// Cron schedules, as the CronJob's parser reads them.
	{"cron step zero", "pg", "", `backup: {schedule: "*/0 * * * *", location: "s3://b/p"}`, `invalid minute (0-59) field "*/0": its step is 0`},
	{"cron range backwards", "pg", "", `backup: {schedule: "30-10 * * * *", location: "s3://b/p"}`, `invalid minute (0-59) field "30-10": the range runs backwards`},
	{"cron day-of-week 7", "pg", "", `backup: {schedule: "0 0 * * 7", location: "s3://b/p"}`, `invalid day-of-week (0-6) field "7": 7 is out of range 0-6`},
	{"cron day-of-month 0", "pg", "", `backup: {schedule: "0 0 0 * *", location: "s3://b/p"}`, `invalid day-of-month (1-31) field "0": 0 is out of range 1-31`},
	{"cron time zone in schedule", "pg", "", `backup: {schedule: "TZ=UTC 0 2 * * *", location: "s3://b/p"}`, "set backup.timeZone instead"},
	{"cron bad every", "pg", "", `backup: {schedule: "@every 1x", location: "s3://b/p"}`, `"@every 1x" is not a cron schedule`},
	{"cron reboot", "pg", "", `backup: {schedule: "@reboot", location: "s3://b/p"}`, `"@reboot" is not a cron schedule`},
	{"cron six fields", "pg", "", `backup: {schedule: "0 0 2 * * *", location: "s3://b/p"}`, `"0 0 2 * * *" is not a cron schedule`},

	// Quantities.
	{"volume claim of zero", "plain", "", `volumes: v: {mountPath: "/v", persistentVolumeClaim: size: "0Gi"}`, `apps.db.volumes.v.persistentVolumeClaim.size: size "0Gi" must be more than 0`},
	{"memory beyond range", "plain", "", `resources: memory: "1e400"`, `"1e400" is larger than Kubernetes can hold`},

	// Probes.
	{"probe on port 0", "plain", "", `livenessProbe: tcp: port: 0`, "port 0 is out of range"},
	{"probe on a port the app lacks", "plain", "", `readinessProbe: http: {path: "/", port: "web"}`, `apps.db.readinessProbe.http.port: the probe names port "web", which the container does not have (it has: amqp)`},
	{"health check on a port the app lacks", "plain", "", `healthCheck: {path: "/health", port: "web"}`, `healthCheck names port "web", which the container does not have (it has: amqp)`},

	// Mounts.
	{"two volumes at one path", "plain", "", `volumes: {a: {mountPath: "/x", emptyDir: {}}, b: {mountPath: "/x", emptyDir: {}}}`, `apps.db.volumes.b.mountPath: mount path "/x" is used by volumes.a and volumes.b`},
	{"secret mounted over the data", "plain", "", `storage: size: "1Gi", secrets: s: {data: a: "x", mountPath: "/data"}`, `apps.db.storage.mountPath: mount path "/data" is used by secrets.s and storage`},
	{"subPath climbing out", "plain", "", `volumes: c: {mountPath: "/etc/x.conf", configMap: "c", subPath: "../x"}`, `subPath "../x" must be a relative path without '..'`},
	{"absolute subPath", "plain", "", `volumes: c: {mountPath: "/etc/x.conf", configMap: "c", subPath: "/x"}`, `subPath "/x" must be a relative path without '..'`},

	// Services.
	{"service named like the headless one", "plain", "", `services: "db-headless": type: "ClusterIP"`, `services."db-headless" has the name of the app's headless Service`},
	{"service named like the client one", "plain", "", `expose: {}, services: db: type: "NodePort"`, `services.db has the name of the app's client Service`},

	// Scale.
	{"redis cluster of a million nodes", "redis", "", `clusterMode: true, replicas: 1000000`, "more than the 1000 nodes Redis Cluster supports"},
	{"compose cap", "plain", "", `replicas: 101`, "app db: replicas 101 is more than the 100 services"},
}

// TestRulesBadInputs exports each configuration in every format into a
// folder that holds a file of the user's: exit 1, the message, and the
// folder left as it was.
func TestRulesBadInputs(t *testing.T) {
	if len(rulesBadInputs) < 40 {
		t.Fatalf("the table must keep at least 40 cases, has %d", len(rulesBadInputs))
	}
	for _, tc := range rulesBadInputs {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, rulesSource(t, tc.app, tc.appName, tc.src), tc.want)
		})
	}
}

// rulesSource builds a whole configuration from a row of the tables here.
func rulesSource(t *testing.T, app, appName, src string) string {
	t.Helper()
	out := "package bad\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\n_presets: presets.#Postgres\n\n"
	if app == "" {
		return out + src + "\n"
	}
	base, ok := opsApps[app]
	if !ok {
		t.Fatalf("unknown app %q", app)
	}
	name := "db"
	if appName != "" {
		name = appName
		base = strings.ReplaceAll(base, `secrets: "db-secret": data: password: "x", `, "")
	}
	return out + "apps: " + name + ": " + base + src + "}\n"
}

// rulesAccepted are settings Kubernetes accepts: celestra exports them in
// every format.
var rulesAccepted = []struct {
	name, app, appName, src string
}{
	{"hourly schedule", "pg", "", `backup: {schedule: "@hourly", location: "s3://b/p"}`},
	{"every hour", "pg", "", `backup: {schedule: "@every 1h", location: "s3://b/p"}`},
	{"every 90 minutes", "mysql", "", `backup: {schedule: "@every 1h30m", location: "s3://b/p"}`},
	{"day names and steps", "pg", "", `backup: {schedule: "*/15 2-6/2 ? JAN-MAR mon,sun", location: "s3://b/p"}`},
	{"day-of-week 0 to 6", "pg", "", `backup: {schedule: "0 0 * * 0-6", location: "s3://b/p"}`},
	{"nano quantity", "plain", "", `resources: {cpu: "1n", cpuLimit: "1u"}`},
	{"exponent quantity", "plain", "", `resources: {memory: "1e3", memoryLimit: "1E6"}`},
	{"same port on TCP and UDP", "plain", "", `ports: {dns: port: 53, "dns-udp": {port: 53, protocol: "UDP"}}`},
	{"postgres name of 45 with backup", "pg", long(45), `backup: {schedule: "0 2 * * *", location: "s3://b/p"}, secrets: "` + long(45) + `-secret": data: password: "x"`},
	{"mysql name of 42", "mysql", long(42), `secrets: "` + long(42) + `-secret": data: password: "x"`},
	{"plain name of 52", "plain", long(52), ``},
	{"prefixed label key", "plain", "", `labels: {"example.com/team": "data", empty: ""}, annotations: "example.com/note": "any value at all"`},
	{"data keys with dots", "plain", "", `configs: c: data: {".hidden": "x", "a..b": "y", "app.conf": "z"}`},
	{"TLS secret", "plain", "", `secrets: tls: {type: "kubernetes.io/tls", data: {"tls.crt": "c", "tls.key": "k"}}`},
	{"secret env naming a key of an existing Secret", "plain", "", `secrets: s: {existing: true, env: TOKEN: "token"}`},
	{"probe on a named port", "plain", "", `readinessProbe: tcp: port: "amqp"`},
	{"compose cap", "plain", "", `replicas: 100`},
}

// TestRulesAccepted exports each accepted configuration in every format.
func TestRulesAccepted(t *testing.T) {
	for _, tc := range rulesAccepted {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "ok.cue")
			if err := os.WriteFile(file, []byte(rulesSource(t, tc.app, tc.appName, tc.src)), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := run(t, "export", file, "--format", "all", "-o", filepath.Join(dir, "out"))
			if code != ExitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
		})
	}
}

// TestPresetBadNames gives every preset the app names that once made CUE's
// evaluator panic (the preset's Secret names derive from the app name): each
// must be refused with the name rule's message.
func TestPresetBadNames(t *testing.T) {
	names := map[string]string{
		`"Bad_Name!"`: `"Bad_Name!" is not a valid name`,
		`UPPER`:       `"UPPER" is not a valid name`,
		`bad_name`:    `"bad_name" is not a valid name`,
		long(53):      "characters (53)",
	}
	for _, preset := range []string{"Postgres", "MySQL", "MongoDB", "Redis", "Kafka", "Elasticsearch"} {
		for name, want := range names {
			t.Run(preset+"/"+strings.Trim(name, `"`), func(t *testing.T) {
				src := "apps: " + name + ": presets.#" + preset + ` & {storage: size: "1Gi"}`
				assertRefused(t, rulesSource(t, "", "", src), want)
			})
		}
	}
}

// presetBases are valid apps of every preset, without storage, to add a
// shortcut to; replicated holds what a preset needs for replicas: 3.
var presetBases = map[string]struct{ base, replicated string }{
	"Postgres":      {`secrets: "db-secret": data: password: "x"`, `secrets: "db-secret": data: "replication-password": "y"`},
	"MySQL":         {`secrets: "db-secret": data: password: "x"`, `secrets: "db-secret": data: "replication-password": "y"`},
	"MongoDB":       {`secrets: "db-secret": data: password: "x"`, `secrets: "db-secret": data: keyfile: "c2VjcmV0a2V5"`},
	"Redis":         {`secrets: "db-secret": data: password: "x"`, ``},
	"Kafka":         {``, ``},
	"Elasticsearch": {`secrets: "db-secret": data: password: "x"`, `secrets: "db-transport-tls": existing: true`},
}

// presetShortcuts are settings every preset has (most of them preset
// defaults the user overrides), each with the message of the plain field's
// rule. replicated adds what replicas: 3 needs.
var presetShortcuts = []struct {
	name, src, want string
	replicated      bool
}{
	{"port", `port: 70000`, "port 70000 is out of range", false},
	{"image", `image: "db 1"`, `image "db 1" is not an image reference`, false},
	{"negative replicas", `replicas: -1`, "replicas -1 must be 0 or more", false},
	{"replicas above int32", `replicas: 3000000000`, "replicas 3000000000 is more than", false},
	{"zero storage", `storage: size: "0"`, `size "0" must be more than 0`, false},
	{"relative storage path", `storage: {size: "1Gi", mountPath: "var/data"}`, `mount path "var/data" is not absolute`, false},
	{"root user", `security: runAsUser: 0`, "runAsUser 0 is root", false},
	{"negative grace period", `terminationGracePeriodSeconds: -1`, "terminationGracePeriodSeconds", false},
	{"requests above limits", `resources: {cpu: "2", cpuLimit: "1"}`, "cpu request 2 is more than cpuLimit 1", false},
	{"memory out of range", `resources: memory: "1e400"`, `"1e400" is larger than Kubernetes can hold`, false},
	{"env name", `env: "1BAD": "x"`, `environment variable name "1BAD" is not valid`, false},
	{"label key", `labels: "a b": "x"`, `label key "a b" is not valid`, false},
	{"config map key", `configs: extra: data: "..": "x"`, `key ".." is not valid`, false},
	{"quorum not a majority", `replicas: 3, quorumSize: 1`, "quorumSize 1 is not a majority of 3 replicas", true},
	{"probe port", `livenessProbe: tcp: port: 0`, "port 0 is out of range", false},
}

// TestPresetShortcuts applies every shortcut to every preset: each must be
// refused with the plain field's message.
func TestPresetShortcuts(t *testing.T) {
	for preset, b := range presetBases {
		for _, sc := range presetShortcuts {
			t.Run(preset+"/"+sc.name, func(t *testing.T) {
				body := []string{sc.src}
				if b.base != "" {
					body = append(body, b.base)
				}
				if sc.replicated && b.replicated != "" {
					body = append(body, b.replicated)
				}
				if !strings.Contains(sc.src, "storage:") {
					body = append(body, `storage: size: "1Gi"`)
				}
				src := "apps: db: presets.#" + preset + " & {" + strings.Join(body, ", ") + "}"
				assertRefused(t, rulesSource(t, "", "", src), sc.want)
			})
		}
	}
}

// cronSchedules are schedules with what Kubernetes does with them: the
// CronJob validation parses them with github.com/robfig/cron/v3's
// ParseStandard (results recorded from v3.0.1) and refuses TZ= or CRON_TZ=
// when the CronJob sets timeZone, as celestra's always do.
var cronSchedules = []struct {
	schedule string
	ok       bool
}{
	{"0 2 * * *", true}, {"*/15 * * * *", true}, {"0 0 ? * *", true}, {"0 0 * jan mon", true},
	{"0 0 * JAN-MAR MON-FRI", true}, {"5/10 * * * *", true}, {"0 0 1-31/40 * *", true},
	{"*/5,1-3 * * * *", true}, {",5 * * * *", true}, {"00 02 * * *", true}, {"+5 * * * *", true},
	{"0 0 * * sun-sat", true}, {"  0 0 * * *", true}, {"0  0 * * *", true}, {"0 0 * * */1", true},
	{"0 0 * * 6/2", true}, {"0 0 * dec/2 *", true}, {"*/60 * * * *", true}, {"0 0 * * 0", true},
	{"0 0 * * 6", true}, {"@hourly", true}, {"@daily", true}, {"@midnight", true}, {"@weekly", true},
	{"@monthly", true}, {"@yearly", true}, {"@annually", true}, {"@every 1h", true},
	{"@every 90s", true}, {"@every 1h30m", true}, {"@every 1.5h", true}, {"@every 500ms", true},
	{"@every 0s", true},
	{"*/0 * * * *", false}, {"0/0 * * * *", false}, {"30-10 * * * *", false}, {"0 0 * * 5-1", false},
	{"0 0 * * 7", false}, {"0 0 * * 7/1", false}, {"0 0 0 * *", false}, {"0 0 * 0 *", false},
	{"60 * * * *", false}, {"0 24 * * *", false}, {"0 25 * * *", false}, {"* * * * * *", false},
	{"1-2-3 * * * *", false}, {"1/2/3 * * * *", false}, {"0 0 L * *", false}, {"5- * * * *", false},
	{"-5 * * * *", false}, {"@reboot", false}, {"@every 1x", false}, {"@every ", false},
	{"@every 1h ", false}, {"every day", false}, {"TZ=UTC 0 0 * * *", false},
	{"CRON_TZ=UTC 0 0 * * *", false},
}

// TestCronSchedulesAsKubernetesReadsThem checks the schedule rule against
// what Kubernetes accepts, case by case.
func TestCronSchedulesAsKubernetesReadsThem(t *testing.T) {
	for _, tc := range cronSchedules {
		t.Run(tc.schedule, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cron.cue")
			src := rulesSource(t, "pg", "", `backup: {schedule: "`+tc.schedule+`", location: "s3://b/p"}`)
			if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := run(t, "vet", file)
			switch {
			case tc.ok && code != ExitOK:
				t.Errorf("Kubernetes accepts %q, celestra refuses it:\n%s", tc.schedule, stderr)
			case !tc.ok && code != ExitInvalidConfig:
				t.Errorf("Kubernetes refuses %q, celestra exits %d:\n%s", tc.schedule, code, stderr)
			case !tc.ok && !strings.Contains(stderr, "backup.schedule"):
				t.Errorf("the message does not name backup.schedule:\n%s", stderr)
			}
		})
	}
}
