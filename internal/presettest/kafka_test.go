package presettest

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// kafkaEnvToKey is the image's decoding of a KAFKA_* variable into a
// server setting, as the reference states it (confluent-docker-utils
// env_to_props, shared by apache/kafka): strip KAFKA_, lower-case, then
// "___" -> "-", "__" -> "_", "_" -> ".".
func kafkaEnvToKey(env string) string {
	raw := strings.ToLower(strings.TrimPrefix(env, "KAFKA_"))
	dash := strings.Join(strings.Split(raw, "___"), "-")
	under := strings.Join(strings.Split(dash, "__"), "\x00")
	dot := strings.ReplaceAll(under, "_", ".")
	return strings.ReplaceAll(dot, "\x00", "_")
}

// TestKafkaEnvEscaping exports kafkaConfig keys and checks the variables
// of the StatefulSet against the reference's escaping rules, and that the
// image's decoding gives the keys back.
func TestKafkaEnvEscaping(t *testing.T) {
	want := map[string]string{
		"log.retention.hours":                    "KAFKA_LOG_RETENTION_HOURS",
		"a_b":                                    "KAFKA_A__B",
		"abc-def":                                "KAFKA_ABC___DEF",
		"num.partitions":                         "KAFKA_NUM_PARTITIONS",
		"listener.name.internal.ssl.key-pass_wd": "KAFKA_LISTENER_NAME_INTERNAL_SSL_KEY___PASS__WD",
		"log.cleaner.io.max.bytes.per.second":    "KAFKA_LOG_CLEANER_IO_MAX_BYTES_PER_SECOND",
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cfg strings.Builder
	for i, k := range keys {
		fmt.Fprintf(&cfg, "\t\t%q: %q\n", k, "v"+strconv.Itoa(i))
	}
	res := kmeMustLoadSource(t, `apps: k: presets.#Kafka & {
	storage: size: "1Gi"
	kafkaConfig: {
`+cfg.String()+`	}
}`)
	env := kmeEnv(dbContainer(t, dbStatefulSet(t, res, "k"), "k"))
	for i, k := range keys {
		name := want[k]
		if got, ok := env[name]; !ok {
			t.Errorf("kafkaConfig %q: no %s in the StatefulSet", k, name)
		} else if got != "v"+strconv.Itoa(i) {
			t.Errorf("%s = %q, want %q", name, got, "v"+strconv.Itoa(i))
		}
		if back := kafkaEnvToKey(name); back != k {
			t.Errorf("the image decodes %s as %q, not %q", name, back, k)
		}
	}
	// Every KAFKA_* server variable must decode to a setting the preset
	// means: the ones it sets itself and the user's.
	preset := map[string]bool{
		"log.dirs": true, "listener.security.protocol.map": true, "controller.listener.names": true,
		"inter.broker.listener.name": true, "default.replication.factor": true, "min.insync.replicas": true,
		"offsets.topic.replication.factor": true, "transaction.state.log.replication.factor": true,
		"transaction.state.log.min.isr": true,
	}
	for name := range env {
		if !strings.HasPrefix(name, "KAFKA_") {
			continue
		}
		if key := kafkaEnvToKey(name); !preset[key] && want[key] == "" {
			t.Errorf("unexpected variable %s (setting %q)", name, key)
		}
	}
}

// kafkaRunScript runs the container's start script with the container's
// literal environment and the pod's identity, and returns the environment
// it hands to the image's run script.
func kafkaRunScript(t *testing.T, script string, static map[string]string, pod, namespace string) map[string]string {
	t.Helper()
	script = kmeReplaceOnce(t, script, "exec /etc/kafka/docker/run", "exec env")
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "POD_NAME=" + pod, "POD_NAMESPACE=" + namespace}
	for k, v := range static {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("start script of %s: %v\n%s", pod, err, out)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env
}

// kafkaVoter is one entry of controller.quorum.voters: id@host:port.
var kafkaVoter = regexp.MustCompile(`^([0-9]+)@([a-z0-9.-]+):([0-9]+)$`)

// checkKafkaVoters checks a static quorum string against the reference's
// rules: id@host:port entries, ids 0..n-1 (node.id = ordinal), n in {1,3,5},
// each host the pod's DNS name under the headless Service, the controller
// port.
func checkKafkaVoters(t *testing.T, voters, app, namespace string, n, port int) {
	t.Helper()
	entries := strings.Split(voters, ",")
	if len(entries) != n {
		t.Fatalf("voters %q: %d entries, want %d", voters, len(entries), n)
	}
	if n != 1 && n != 3 && n != 5 {
		t.Fatalf("a controller quorum of %d", n)
	}
	for i, e := range entries {
		m := kafkaVoter.FindStringSubmatch(e)
		if m == nil {
			t.Fatalf("voter %q is not id@host:port", e)
		}
		if m[1] != strconv.Itoa(i) {
			t.Errorf("voter %q: id %s, want the ordinal %d", e, m[1], i)
		}
		if host := fmt.Sprintf("%s-%d.%s-headless.%s.svc", app, i, app, namespace); m[2] != host {
			t.Errorf("voter %q: host %s, want %s", e, m[2], host)
		}
		if m[3] != strconv.Itoa(port) {
			t.Errorf("voter %q: port %s, want the controller port %d", e, m[3], port)
		}
	}
}

// TestKafkaQuorum runs the generated start script of the 3-node case as
// each pod and checks node ids, roles, listeners and the quorum string.
func TestKafkaQuorum(t *testing.T) {
	res := kmeLoadCase(t, "kafka-cluster")
	sts := dbStatefulSet(t, res, "events")
	if sts.Spec.PodManagementPolicy != "Parallel" {
		t.Errorf("podManagementPolicy %s: the controllers must start together", sts.Spec.PodManagementPolicy)
	}
	c := dbContainer(t, sts, "events")
	script := kmeShellScript(t, c)
	kmeShellSyntax(t, "kafka start script", script)
	for _, v := range []string{"POD_NAME", "POD_NAMESPACE"} {
		if src := kmeEnvSource(c, v); src == "" {
			t.Errorf("%s does not come from the pod", v)
		}
	}
	static := kmeEnv(c)
	if static["KAFKA_LOG_DIRS"] != "/var/lib/kafka/data" {
		t.Errorf("KAFKA_LOG_DIRS = %q", static["KAFKA_LOG_DIRS"])
	}
	for i := 0; i < 3; i++ {
		pod := fmt.Sprintf("events-%d", i)
		env := kafkaRunScript(t, script, static, pod, "streaming")
		if env["KAFKA_NODE_ID"] != strconv.Itoa(i) {
			t.Errorf("%s: KAFKA_NODE_ID = %q", pod, env["KAFKA_NODE_ID"])
		}
		if env["KAFKA_PROCESS_ROLES"] != "broker,controller" {
			t.Errorf("%s: KAFKA_PROCESS_ROLES = %q", pod, env["KAFKA_PROCESS_ROLES"])
		}
		if env["KAFKA_LISTENERS"] != "PLAINTEXT://:9092,CONTROLLER://:9093" {
			t.Errorf("%s: KAFKA_LISTENERS = %q", pod, env["KAFKA_LISTENERS"])
		}
		if want := "PLAINTEXT://" + pod + ".events-headless.streaming.svc:9092"; env["KAFKA_ADVERTISED_LISTENERS"] != want {
			t.Errorf("%s: KAFKA_ADVERTISED_LISTENERS = %q, want %q", pod, env["KAFKA_ADVERTISED_LISTENERS"], want)
		}
		checkKafkaVoters(t, env["KAFKA_CONTROLLER_QUORUM_VOTERS"], "events", "streaming", 3, 9093)
		// The static part of the environment reaches the image unchanged.
		if env["CLUSTER_ID"] != static["CLUSTER_ID"] {
			t.Errorf("%s: CLUSTER_ID %q, the StatefulSet sets %q", pod, env["CLUSTER_ID"], static["CLUSTER_ID"])
		}
	}
}

// TestKafkaBrokersBeyondQuorum: with 7 brokers, pods 0-4 are the controller
// quorum and pods 5-6 are brokers only, without a controller listener.
func TestKafkaBrokersBeyondQuorum(t *testing.T) {
	res := kmeMustLoadSource(t, `apps: big: presets.#Kafka & {replicas: 7, controllerPort: 9193, storage: size: "1Gi"}`)
	c := dbContainer(t, dbStatefulSet(t, res, "big"), "big")
	script := kmeShellScript(t, c)
	kmeShellSyntax(t, "kafka start script", script)
	for i := 0; i < 7; i++ {
		pod := fmt.Sprintf("big-%d", i)
		env := kafkaRunScript(t, script, kmeEnv(c), pod, "default")
		checkKafkaVoters(t, env["KAFKA_CONTROLLER_QUORUM_VOTERS"], "big", "default", 5, 9193)
		roles, listeners := "broker,controller", "PLAINTEXT://:9092,CONTROLLER://:9193"
		if i >= 5 {
			roles, listeners = "broker", "PLAINTEXT://:9092"
		}
		if env["KAFKA_PROCESS_ROLES"] != roles || env["KAFKA_LISTENERS"] != listeners {
			t.Errorf("%s: roles %q listeners %q, want %q %q", pod, env["KAFKA_PROCESS_ROLES"], env["KAFKA_LISTENERS"], roles, listeners)
		}
	}
}

// TestKafkaClusterID: the derived id is what kafka-storage.sh accepts (a
// 16-byte UUID in URL-safe base64), stable, and different per app.
func TestKafkaClusterID(t *testing.T) {
	id := func(src string) string {
		res := kmeMustLoadSource(t, src)
		for _, o := range res.Objects {
			if o.Kind == "StatefulSet" {
				return kmeEnv(dbContainer(t, dbStatefulSet(t, res, o.Name), o.Name))["CLUSTER_ID"]
			}
		}
		t.Fatal("no StatefulSet")
		return ""
	}
	a := id(`apps: a: presets.#Kafka & {storage: size: "1Gi"}`)
	raw, err := base64.RawURLEncoding.Strict().DecodeString(a)
	if err != nil || len(raw) != 16 || len(a) != 22 {
		t.Fatalf("cluster id %q is not a URL-safe base64 UUID: %v (%d bytes)", a, err, len(raw))
	}
	if again := id(`apps: a: presets.#Kafka & {storage: size: "1Gi"}`); again != a {
		t.Errorf("cluster id changed between exports: %q then %q", a, again)
	}
	if b := id(`apps: b: presets.#Kafka & {storage: size: "1Gi"}`); b == a {
		t.Errorf("apps a and b share the cluster id %q", a)
	}
	if ns := id(`apps: a: presets.#Kafka & {namespace: "other", storage: size: "1Gi"}`); ns == a {
		t.Errorf("the same app in another namespace has the same cluster id %q", a)
	}
	const own = "MkU3OEVBNTcwNTJENDM2Qk"
	if got := id(`apps: a: presets.#Kafka & {clusterId: "` + own + `", storage: size: "1Gi"}`); got != own {
		t.Errorf("clusterId %q exported as %q", own, got)
	}
}

// TestKafkaReplicationDefaults: the internal topics' settings follow the
// number of brokers, so that a 1-broker cluster works and a 3-broker one
// survives the loss of a broker.
func TestKafkaReplicationDefaults(t *testing.T) {
	for _, c := range []struct {
		replicas          int
		rf, isr, off, txr string
		txisr             string
	}{
		{1, "1", "1", "1", "1", "1"},
		{2, "2", "1", "2", "2", "1"},
		{3, "3", "2", "3", "3", "2"},
		{6, "3", "2", "3", "3", "2"},
	} {
		res := kmeMustLoadSource(t, fmt.Sprintf(`apps: k: presets.#Kafka & {replicas: %d, storage: size: "1Gi"}`, c.replicas))
		env := kmeEnv(dbContainer(t, dbStatefulSet(t, res, "k"), "k"))
		got := []string{env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"], env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"], env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]}
		want := []string{c.rf, c.isr, c.off, c.txr, c.txisr}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("replicas %d: replication %v, want %v", c.replicas, got, want)
		}
		if c.replicas > 1 {
			if pdb := kmePDB(t, res, "k"); pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
				t.Errorf("replicas %d: the PodDisruptionBudget must let exactly one broker down", c.replicas)
			}
		} else if kmeHasObject(res, "PodDisruptionBudget", "k") {
			t.Error("a single broker gets a PodDisruptionBudget: it would block node drains")
		}
	}
	// replicationFactor (the seed's replication_factor) sets the topics'
	// factor.
	res := kmeMustLoadSource(t, `apps: k: presets.#Kafka & {replicas: 5, replicationFactor: 2, storage: size: "1Gi"}`)
	env := kmeEnv(dbContainer(t, dbStatefulSet(t, res, "k"), "k"))
	if env["KAFKA_DEFAULT_REPLICATION_FACTOR"] != "2" || env["KAFKA_MIN_INSYNC_REPLICAS"] != "1" {
		t.Errorf("replicationFactor 2: RF %s, min ISR %s", env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"])
	}
}

// TestKafkaBadInputs: every rule refuses its bad input with a message that
// names the setting and the rule.
func TestKafkaBadInputs(t *testing.T) {
	app := func(body string) string {
		return `apps: k: presets.#Kafka & {storage: size: "1Gi", ` + body + `}`
	}
	kmeCheckBadInputs(t, []kmeBadInput{
		{"min ISR above RF", app(`replicas: 3, kafkaConfig: {"min.insync.replicas": "3", "default.replication.factor": "2"}`),
			"kafkaConfig min.insync.replicas 3 is more than the replication factor 2 (default.replication.factor)"},
		{"min ISR zero", app(`replicas: 3, kafkaConfig: "min.insync.replicas": "0"`),
			"kafkaConfig min.insync.replicas 0 must be at least 1"},
		{"RF above brokers", app(`replicas: 1, kafkaConfig: "default.replication.factor": "3"`),
			"kafkaConfig default.replication.factor 3 is more than the 1 brokers (replicas)"},
		{"offsets RF above brokers", app(`replicas: 2, kafkaConfig: "offsets.topic.replication.factor": "3"`),
			"kafkaConfig offsets.topic.replication.factor 3 is more than the 2 brokers (replicas)"},
		{"transaction min ISR above its RF", app(`replicas: 3, kafkaConfig: {"transaction.state.log.min.isr": "3", "transaction.state.log.replication.factor": "2"}`),
			"kafkaConfig transaction.state.log.min.isr 3 is more than transaction.state.log.replication.factor 2"},
		{"transaction RF above brokers", app(`replicas: 2, kafkaConfig: "transaction.state.log.replication.factor": "3"`),
			"kafkaConfig transaction.state.log.replication.factor 3 is more than the 2 brokers (replicas)"},
		{"replication setting not a number", app(`kafkaConfig: "min.insync.replicas": "two"`),
			`kafkaConfig min.insync.replicas "two" must be a whole number`},
		{"quorum of 4", app(`replicas: 6, controllers: 4`),
			"controllers 4 is not a valid KRaft controller quorum: use 1, 3 or 5"},
		{"quorum above replicas", app(`replicas: 2, controllers: 3`),
			"controllers 3 is more than replicas (2)"},
		{"key the escaping cannot carry", app(`kafkaConfig: "Log.Retention_.hours": "1"`),
			`kafkaConfig key "Log.Retention_.hours" cannot be passed to the apache/kafka image`},
		{"preset-owned setting", app(`kafkaConfig: "advertised.listeners": "PLAINTEXT://x:9092"`),
			"kafkaConfig advertised.listeners is set by presets.#Kafka"},
		{"JVM option as a setting", app(`kafkaConfig: "heap.opts": "-Xmx1g"`),
			"kafkaConfig heap.opts would become KAFKA_HEAP_OPTS"},
		{"cluster id", app(`clusterId: "not-an-id"`),
			`clusterId "not-an-id" is not a Kafka cluster id`},
		{"two replication factors", app(`replicas: 3, replicationFactor: 2, kafkaConfig: "default.replication.factor": "3"`),
			"replicationFactor 2 disagrees with kafkaConfig default.replication.factor 3"},
		{"HTTP health check", app(`healthCheck: path: "/health"`),
			"Kafka serves no HTTP endpoint"},
		{"config on the wrong preset", `apps: k: presets.#Kafka & {storage: size: "1Gi", mongodbConfig: "a.b": "1"}`,
			"mongodbConfig applies to presets.#MongoDB only"},
	})
}
