package presettest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/celestra-dev/celestra/internal/engine"
)

// esSettings parses the generated elasticsearch.yml.
func esSettings(t *testing.T, res *engine.Result, configMap string) map[string]any {
	t.Helper()
	var settings map[string]any
	if err := yaml.Unmarshal([]byte(dbConfigData(t, res, configMap)["elasticsearch.yml"]), &settings); err != nil {
		t.Fatalf("elasticsearch.yml is not YAML: %v", err)
	}
	return settings
}

// TestElasticsearchSingleNode: one replica is a single-node cluster with
// security on, the file mounted alone over the image's elasticsearch.yml.
func TestElasticsearchSingleNode(t *testing.T) {
	res := kmeLoadCase(t, "elasticsearch-single")
	s := esSettings(t, res, "search-config")
	for k, want := range map[string]any{
		"discovery.type":                   "single-node",
		"network.host":                     "0.0.0.0",
		"node.name":                        "${POD_NAME}",
		"cluster.name":                     "search",
		"xpack.security.enabled":           "true",
		"indices.memory.index_buffer_size": "20%",
	} {
		if s[k] != want {
			t.Errorf("%s = %v, want %v", k, s[k], want)
		}
	}
	for _, k := range []string{"discovery.seed_hosts", "cluster.initial_master_nodes", "xpack.security.transport.ssl.enabled"} {
		if _, ok := s[k]; ok {
			t.Errorf("a single node sets %s", k)
		}
	}
	sts := dbStatefulSet(t, res, "search")
	c := dbContainer(t, sts, "search")
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.MountPath == "/usr/share/elasticsearch/config/elasticsearch.yml" && m.SubPath == "elasticsearch.yml" {
			mounted = true
		}
	}
	if !mounted {
		t.Error("elasticsearch.yml is not mounted over the image's file")
	}
	if kmeEnvSource(c, "ELASTIC_PASSWORD") != "secret:search-secret/password" || kmeEnvSource(c, "POD_NAME") != "field:metadata.name" {
		t.Errorf("ELASTIC_PASSWORD from %q, POD_NAME from %q", kmeEnvSource(c, "ELASTIC_PASSWORD"), kmeEnvSource(c, "POD_NAME"))
	}
	sc := sts.Spec.Template.Spec.SecurityContext
	if sc == nil || *sc.RunAsUser != 1000 || *sc.RunAsGroup != 0 || *sc.FSGroup != 1000 {
		t.Errorf("security context %+v, want uid 1000, gid 0, fsGroup 1000", sc)
	}
	if kmeHasObject(res, "PodDisruptionBudget", "search") {
		t.Error("a single node gets a PodDisruptionBudget: it would block node drains")
	}
}

// TestElasticsearchCluster: three master-eligible nodes that find each
// other through the headless Service and bootstrap together, with transport
// TLS; bootstrapped: true removes the bootstrap list and rolls the pods.
func TestElasticsearchCluster(t *testing.T) {
	res := kmeLoadCase(t, "elasticsearch-cluster")
	s := esSettings(t, res, "logs-config")
	for k, want := range map[string]any{
		"discovery.seed_hosts":                           "logs-headless:9300",
		"cluster.initial_master_nodes":                   "logs-0,logs-1,logs-2",
		"network.host":                                   "0.0.0.0",
		"xpack.security.transport.ssl.enabled":           "true",
		"xpack.security.transport.ssl.certificate":       "certs/tls.crt",
		"xpack.security.transport.ssl.verification_mode": "certificate",
	} {
		if s[k] != want {
			t.Errorf("%s = %v, want %v", k, s[k], want)
		}
	}
	if _, ok := s["discovery.type"]; ok {
		t.Error("a cluster sets discovery.type")
	}
	sts := dbStatefulSet(t, res, "logs")
	if sts.Spec.PodManagementPolicy != "Parallel" {
		t.Errorf("podManagementPolicy %s: the masters must start together", sts.Spec.PodManagementPolicy)
	}
	certs := false
	for _, m := range dbContainer(t, sts, "logs").VolumeMounts {
		if m.MountPath == "/usr/share/elasticsearch/config/certs" {
			certs = true
		}
	}
	if !certs {
		t.Error("the transport certificate is not mounted in the config folder")
	}
	if pdb := kmePDB(t, res, "logs"); pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget %+v, want maxUnavailable 1", pdb.Spec)
	}

	// Once formed: no initial_master_nodes.
	formed := kmeMustLoadSource(t, `apps: logs: presets.#Elasticsearch & {
	namespace: "observability"
	replicas: 3
	bootstrapped: true
	storage: size: "1Gi"
	secrets: {"logs-secret": data: password: "pw", "logs-transport-tls": existing: true}
}`)
	if v, ok := esSettings(t, formed, "logs-config")["cluster.initial_master_nodes"]; ok {
		t.Errorf("bootstrapped: true still sets cluster.initial_master_nodes %v", v)
	}
}

// TestElasticsearchReadiness runs the readiness script with a fake curl:
// it asks for the cluster's health until that succeeds once, and then only
// for the node itself, with the elastic user's credentials.
func TestElasticsearchReadiness(t *testing.T) {
	for _, c := range []struct{ name, app, status string }{
		{"elasticsearch-single", "search", "yellow"},
		{"elasticsearch-cluster", "logs", "green"},
	} {
		res := kmeLoadCase(t, c.name)
		container := dbContainer(t, dbStatefulSet(t, res, c.app), c.app)
		if container.ReadinessProbe == nil || container.ReadinessProbe.Exec == nil {
			t.Fatalf("%s: no exec readiness probe", c.name)
		}
		cmd := container.ReadinessProbe.Exec.Command
		if len(cmd) != 3 || cmd[0] != "sh" {
			t.Fatalf("%s: readiness %q", c.name, cmd)
		}
		if container.LivenessProbe == nil || container.LivenessProbe.TCPSocket == nil {
			t.Errorf("%s: liveness is not a TCP check", c.name)
		}
		kmeShellSyntax(t, c.name+" readiness", cmd[2])
		bin, state := t.TempDir(), t.TempDir()
		kmeFakeCommand(t, bin, "curl", `printf '%s\n' "$*" >> "$STATE/calls"; [ ! -f "$STATE/down" ]`)
		script := kmeReplaceOnce(t, cmd[2], "/tmp/.elasticsearch-ready-once", filepath.Join(state, "ready-once"))
		run := func() error {
			sh := exec.Command("sh", "-c", script)
			sh.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "STATE=" + state, "ELASTIC_PASSWORD=s3cret"}
			return sh.Run()
		}
		// The cluster is not healthy yet: not ready, and asked again.
		if err := os.WriteFile(filepath.Join(state, "down"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if run() == nil {
			t.Errorf("%s: ready while the health check fails", c.name)
		}
		os.Remove(filepath.Join(state, "down"))
		for i := 0; i < 3; i++ {
			if err := run(); err != nil {
				t.Errorf("%s: run %d not ready: %v", c.name, i, err)
			}
		}
		calls, _ := os.ReadFile(filepath.Join(state, "calls"))
		lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
		health := "-u elastic:s3cret http://127.0.0.1:9200/_cluster/health?wait_for_status=" + c.status + "&timeout=1s"
		if len(lines) != 4 || !strings.HasSuffix(lines[0], health) || !strings.HasSuffix(lines[1], health) ||
			!strings.HasSuffix(lines[2], "-u elastic:s3cret http://127.0.0.1:9200/") || lines[3] != lines[2] {
			t.Errorf("%s: curl calls:\n%s", c.name, calls)
		}
	}
}

// TestElasticsearchBadInputs: every rule refuses its bad input with its
// message.
func TestElasticsearchBadInputs(t *testing.T) {
	const secrets = `secrets: {"e-secret": data: password: "pw", "e-transport-tls": existing: true}`
	app := func(body string) string {
		return `apps: e: presets.#Elasticsearch & {storage: size: "1Gi", ` + body + `}`
	}
	kmeCheckBadInputs(t, []kmeBadInput{
		{"two master-eligible nodes", app(`replicas: 2, ` + secrets), "replicas 2 cannot keep an Elasticsearch cluster available"},
		{"even master-eligible nodes", app(`replicas: 4, ` + secrets), "replicas 4 is an even number of master-eligible nodes"},
		{"no password", app(`replicas: 1`), "Elasticsearch needs a password for the elastic user"},
		{"cluster without transport certificate", app(`replicas: 3, secrets: "e-secret": data: password: "pw"`),
			"an Elasticsearch cluster with security needs a transport certificate shared by its nodes"},
		{"certificate without its key", app(`replicas: 3, secrets: {"e-secret": data: password: "pw", "e-transport-tls": data: {"tls.crt": "x", "ca.crt": "y"}}`),
			"(missing: tls.key)"},
		{"preset-owned setting", app(secrets + `, elasticsearchConfig: "discovery.seed_hosts": "a,b"`),
			"elasticsearchConfig discovery.seed_hosts is set by presets.#Elasticsearch"},
		{"network.host kept", app(secrets + `, elasticsearchConfig: "network.host": "_site_"`),
			"elasticsearchConfig network.host is set by presets.#Elasticsearch"},
		{"bad setting name", app(secrets + `, elasticsearchConfig: "Node Name": "x"`),
			`elasticsearchConfig key "Node Name" is not an Elasticsearch setting name`},
		{"HTTP health check", app(secrets + `, healthCheck: path: "/_cluster/health"`),
			"the preset already probes Elasticsearch"},
	})
	// Security off: no password, no certificate needed.
	res := kmeMustLoadSource(t, app(`replicas: 3, elasticsearchConfig: "xpack.security.enabled": "false"`))
	if s := esSettings(t, res, "e-config"); s["xpack.security.enabled"] != "false" || s["xpack.security.transport.ssl.enabled"] != nil {
		t.Errorf("security off: %v", s)
	}
}
