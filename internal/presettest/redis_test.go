package presettest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestRedisScriptsSyntax checks every generated script with sh -n.
func TestRedisScriptsSyntax(t *testing.T) {
	for _, c := range []struct{ caseName, app string }{{"redis-single", "cache"}, {"redis-replicated", "cache"}, {"redis-cluster", "sessions"}} {
		for name, script := range dbConfigData(t, loadDBCase(t, c.caseName), c.app+"-scripts") {
			shellSyntax(t, c.caseName+"/"+name, script, "sh", "bash")
		}
	}
}

// redisNode is one redis-server started through the generated start script.
type redisNode struct {
	host string
	port int
}

// redisSetup holds what the tests take from an exported Redis case.
type redisSetup struct {
	u        dbUser
	cli      string
	dir      string
	password string
	main     corev1.Container
	conf     string // the generated redis.conf
	settings map[string]string
}

func newRedisSetup(t *testing.T, caseName, app string) *redisSetup {
	t.Helper()
	lookDBBinary(t, "redis-server", "redis-server")
	cli := lookDBBinary(t, "redis-cli", "redis-tools")
	u := unprivileged(t, "redis")
	res := loadDBCase(t, caseName)
	s := &redisSetup{u: u, cli: cli, dir: u.workDir(t, "celestra-redis-")}
	s.main = dbContainer(t, dbStatefulSet(t, res, app), app)
	s.password = dbSecretValue(t, res, app+"-secret", "password")
	dbAppField(t, res, app, "redisConfig", &s.settings)
	s.conf = dbConfigData(t, res, app+"-server-config")["redis.conf"]
	for name, script := range dbConfigData(t, res, app+"-scripts") {
		u.writeFile(t, filepath.Join(s.dir, "scripts", name), script, 0o555)
	}
	if len(s.main.Command) < 3 || !strings.HasSuffix(s.main.Command[1], "/start.sh") {
		t.Fatalf("the container does not run the start script: %v", s.main.Command)
	}
	return s
}

// start runs the generated start script as the container does, with the
// app's environment (overrides replace variables of the same name) and
// the test's own port and data folder appended to redis-server's arguments.
func (s *redisSetup) start(t *testing.T, host string, port int, overrides map[string]string, extra ...string) redisNode {
	t.Helper()
	env := []string{"HOSTNAME=" + host, "REDIS_PASSWORD=" + s.password}
	for _, e := range s.main.Env {
		if _, over := overrides[e.Name]; !over && e.ValueFrom == nil {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	env = append(env, envList(overrides)...)
	// redis-server changes to the dir of redis.conf as it reads it: the
	// test's copy points dir at the node's own folder.
	data := filepath.Join(s.dir, host)
	s.u.writeFile(t, filepath.Join(data, ".keep"), "", 0o644)
	dirLine := regexp.MustCompile(`(?m)^dir .*$`)
	if !dirLine.MatchString(s.conf) {
		t.Fatalf("redis.conf sets no dir:\n%s", s.conf)
	}
	conf := filepath.Join(data, "redis.conf")
	s.u.writeFile(t, conf, dirLine.ReplaceAllLiteralString(s.conf, "dir "+data), 0o444)
	args := append([]string{filepath.Join(s.dir, "scripts", "start.sh"), conf, "--port", fmt.Sprint(port)}, extra...)
	s.u.start(t, host, syscall.SIGTERM, env, "sh", args...)
	n := redisNode{host: host, port: port}
	eventually(t, host+" up", 30*time.Second, func() error {
		out, err := s.redis(t, n, "ping")
		if err != nil || out != "PONG" {
			return fmt.Errorf("ping: %q %v", out, err)
		}
		return nil
	})
	return n
}

// redis runs redis-cli against a node with the password.
func (s *redisSetup) redis(t *testing.T, n redisNode, args ...string) (string, error) {
	t.Helper()
	out, err := s.u.run(t, []string{"REDISCLI_AUTH=" + s.password}, s.cli, append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(n.port)}, args...)...)
	return strings.TrimSpace(strings.ReplaceAll(out, "\r", "")), err
}

// probe runs one of the container's exec probes against a node (the probe's
// port replaced with the node's) and returns its error.
func (s *redisSetup) probe(t *testing.T, p *corev1.Probe, n redisNode, password string) error {
	t.Helper()
	if p == nil || p.Exec == nil || len(p.Exec.Command) != 3 {
		t.Fatalf("not an sh -c exec probe: %+v", p)
	}
	script := strings.ReplaceAll(p.Exec.Command[2], fmt.Sprintf("-p %d", s.main.Ports[0].ContainerPort), fmt.Sprintf("-p %d", n.port))
	out, err := s.u.run(t, []string{"REDIS_PASSWORD=" + password, "PATH=" + filepath.Dir(s.cli) + ":/usr/bin:/bin"}, "sh", "-c", script)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// redisBytes reads a Redis memory value (256mb, 1g, 1000) as bytes.
func redisBytes(v string) (string, bool) {
	m := regexp.MustCompile(`^(\d+)(k|kb|m|mb|g|gb)?$`).FindStringSubmatch(strings.ToLower(v))
	if m == nil {
		return "", false
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	mult := map[string]int64{"": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1024 * 1024, "g": 1000 * 1000 * 1000, "gb": 1024 * 1024 * 1024}[m[2]]
	return strconv.FormatInt(n*mult, 10), true
}

// TestRedisConfigRealServer starts Debian's redis-server through the
// generated start script with the generated redis.conf (port and data
// folder overridden for the test) and checks that it runs with every
// redisConfig value, requires the password, and passes the probes.
func TestRedisConfigRealServer(t *testing.T) {
	s := newRedisSetup(t, "redis-single", "cache")
	n := s.start(t, "cache-0", freeDBPort(t), nil)
	for k, want := range s.settings {
		out, err := s.redis(t, n, "config", "get", k)
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v: %s", k, err, out)
		}
		lines := strings.Split(out, "\n")
		if len(lines) != 2 {
			t.Errorf("CONFIG GET %s: %q", k, out)
			continue
		}
		got := lines[1]
		if b, ok := redisBytes(want); ok && k == "maxmemory" {
			want = b
		}
		if got != want {
			t.Errorf("redisConfig.%s: the server runs with %q, want %q", k, got, want)
		}
	}
	out, _ := s.u.run(t, nil, s.cli, "-h", "127.0.0.1", "-p", fmt.Sprint(n.port), "ping")
	if !strings.Contains(out, "NOAUTH") {
		t.Errorf("ping without the password: %q, want a NOAUTH refusal", out)
	}
	if err := s.probe(t, s.main.LivenessProbe, n, s.password); err != nil {
		t.Errorf("liveness probe: %v", err)
	}
	if err := s.probe(t, s.main.ReadinessProbe, n, s.password); err != nil {
		t.Errorf("readiness probe: %v", err)
	}
	if err := s.probe(t, s.main.ReadinessProbe, n, "wrong"); err == nil {
		t.Errorf("the readiness probe passes with a wrong password: it does not compare the answer with PONG")
	}
}

// TestRedisReplicationRealServer starts pod 0 and pod 1 through the start
// script: pod 1 must replicate pod 0 (with the password), pass the replica
// readiness check, and serve what pod 0 stored.
func TestRedisReplicationRealServer(t *testing.T) {
	s := newRedisSetup(t, "redis-replicated", "cache")
	master := s.start(t, "cache-0", freeDBPort(t), nil)
	if err := s.probe(t, s.main.ReadinessProbe, master, s.password); err != nil {
		t.Errorf("readiness probe on the master: %v", err)
	}
	replica := s.start(t, "cache-1", freeDBPort(t), map[string]string{"CELESTRA_PRIMARY_HOST": "127.0.0.1", "CELESTRA_PRIMARY_PORT": fmt.Sprint(master.port)})
	eventually(t, "replica linked", 30*time.Second, func() error {
		info, err := s.redis(t, replica, "info", "replication")
		if err != nil || !strings.Contains(info, "role:slave") || !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("%v\n%s", err, info)
		}
		return s.probe(t, s.main.ReadinessProbe, replica, s.password)
	})
	if out, err := s.redis(t, master, "set", "celestra", "replicated"); err != nil || out != "OK" {
		t.Fatalf("SET on the master: %q %v", out, err)
	}
	eventually(t, "key on the replica", 10*time.Second, func() error {
		out, err := s.redis(t, replica, "get", "celestra")
		if err != nil || out != "replicated" {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})
	if out, _ := s.redis(t, replica, "set", "x", "y"); !strings.Contains(out, "READONLY") {
		t.Errorf("a write on the replica: %q, want READONLY", out)
	}
}

// TestRedisClusterRealServer starts the six nodes of the cluster case
// through the start script; pod 0 must create the cluster by itself, every
// node must then pass the readiness check (cluster_state:ok), and keys must
// be readable across nodes.
func TestRedisClusterRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six Redis servers")
	}
	s := newRedisSetup(t, "redis-cluster", "sessions")
	replicas := len(strings.Fields(dbEnv(t, s.main, "CELESTRA_CLUSTER_NODES")))
	ports := make([]int, replicas)
	var addresses []string
	for i := range ports {
		ports[i] = freeDBPort(t)
		addresses = append(addresses, fmt.Sprintf("127.0.0.1:%d", ports[i]))
	}
	var nodes []redisNode
	for i, p := range ports {
		host := fmt.Sprintf("sessions-%d", i)
		nodes = append(nodes, s.start(t, host, p, map[string]string{
			"CELESTRA_CLUSTER_NODES": strings.Join(addresses, " "),
			"CELESTRA_NODES_CONF":    filepath.Join(s.dir, host, "nodes.conf"),
		}, "--cluster-port", fmt.Sprint(freeDBPort(t))))
	}
	for _, n := range nodes {
		eventually(t, n.host+" ready", 90*time.Second, func() error { return s.probe(t, s.main.ReadinessProbe, n, s.password) })
	}
	info, err := s.redis(t, nodes[0], "cluster", "info")
	if err != nil || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", replicas)) || !strings.Contains(info, "cluster_size:3") {
		t.Errorf("cluster info: %v\n%s", err, info)
	}
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("key-%d", i)
		if out, err := s.u.run(t, []string{"REDISCLI_AUTH=" + s.password}, s.cli, "-c", "-h", "127.0.0.1", "-p", fmt.Sprint(nodes[i%len(nodes)].port), "set", key, "v"); err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("SET %s: %q %v", key, out, err)
		}
		if out, err := s.u.run(t, []string{"REDISCLI_AUTH=" + s.password}, s.cli, "-c", "-h", "127.0.0.1", "-p", fmt.Sprint(nodes[(i+1)%len(nodes)].port), "get", key); err != nil || strings.TrimSpace(out) != "v" {
			t.Fatalf("GET %s: %q %v", key, out, err)
		}
	}
}

// TestRedisUpdateNodeIPs runs the generated nodes.conf refresh on a file
// written the way Redis writes it: each address with an announced host name
// gets that name's current address; everything else is kept.
func TestRedisUpdateNodeIPs(t *testing.T) {
	script := dbConfigData(t, loadDBCase(t, "redis-cluster"), "sessions-scripts")["update-node-ips.sh"]
	if _, err := os.Stat("/usr/bin/getent"); err != nil {
		t.Skip("getent not installed")
	}
	out, err := (dbUser{}).run(t, nil, "getent", "hosts", "localhost")
	if err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	localhost := strings.Fields(out)[0]
	dir := t.TempDir()
	conf := filepath.Join(dir, "nodes.conf")
	in := strings.Join([]string{
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 10.1.2.3:6379@16379,localhost master - 0 1426238316232 2 connected 5461-10922",
		"07c37dfeb235213a872192d90877d0cd55635b91 10.1.2.4:6379@16379,celestra-unresolvable.invalid slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected",
		"292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 10.1.2.5:6379@16379, myself,master - 0 0 1 connected 0-5460",
		"vars currentEpoch 6 lastVoteEpoch 0",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	scriptFile := filepath.Join(dir, "update-node-ips.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := (dbUser{}).run(t, []string{"CELESTRA_RESOLVE_TRIES=1"}, "sh", scriptFile, conf); err != nil {
		t.Fatalf("update-node-ips.sh: %v\n%s", err, out)
	}
	got, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(in, "10.1.2.3:6379@16379,localhost", localhost+":6379@16379,localhost", 1)
	if string(got) != want {
		t.Errorf("nodes.conf after the refresh:\n%s\nwant:\n%s", got, want)
	}
}
