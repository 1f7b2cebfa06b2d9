package presettest

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestMongoDBConfigFile: mongodbConfig becomes a mongod.conf that parses as
// YAML with the settings nested and typed as mongod expects, mounted where
// --config reads it.
func TestMongoDBConfigFile(t *testing.T) {
	res := kmeLoadCase(t, "mongodb-single")
	var conf map[string]any
	if err := yaml.Unmarshal([]byte(dbConfigData(t, res, "mongo-mongod")["mongod.conf"]), &conf); err != nil {
		t.Fatalf("mongod.conf is not YAML: %v", err)
	}
	want := map[string]any{
		"storage":            map[string]any{"wiredTiger": map[string]any{"engineConfig": map[string]any{"cacheSizeGB": 0.5}}},
		"operationProfiling": map[string]any{"mode": "slowOp", "slowOpThresholdMs": float64(200)},
	}
	if !reflect.DeepEqual(conf, want) {
		t.Errorf("mongod.conf is %v, want %v", conf, want)
	}
	sts := dbStatefulSet(t, res, "mongo")
	c := dbContainer(t, sts, "mongo")
	if args := strings.Join(c.Args, " "); args != "mongod --port 27017 --config /etc/mongo/mongod.conf" {
		t.Errorf("args %q", args)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.MountPath == "/etc/mongo" {
			mounted = true
		}
	}
	if !mounted {
		t.Error("mongod.conf is not mounted at /etc/mongo")
	}
	if kmeEnvSource(c, "MONGO_INITDB_ROOT_PASSWORD") != "secret:mongo-secret/password" {
		t.Errorf("the root password comes from %q", kmeEnvSource(c, "MONGO_INITDB_ROOT_PASSWORD"))
	}
	// A single server is not a replica set and needs no disruption budget.
	if len(sts.Spec.Template.Spec.Containers) != 1 || kmeHasObject(res, "PodDisruptionBudget", "mongo") {
		t.Error("a single MongoDB server got replica-set machinery")
	}
}

// mongoFakeTools puts fake mongosh and sleep commands in a folder. mongosh
// answers ping, reports the replica set names recorded in the state folder
// (local, or peer-<host> for the other members; an unknown peer is
// unreachable), and records rs.initiate and rs.add calls. sleep returns at
// once, except the sidecar's final idle sleep, which it marks.
func mongoFakeTools(t *testing.T) (bin, state string) {
	t.Helper()
	bin, state = t.TempDir(), t.TempDir()
	kmeFakeCommand(t, bin, "mongosh", `
js=""; target=local; user=""; pw=""
while [ $# -gt 0 ]; do
  case "$1" in
    --eval) js="$2"; shift 2 ;;
    --host) target="set:$2"; shift 2 ;;
    -u) user="$2"; shift 2 ;;
    -p) pw="$2"; shift 2 ;;
    --port|--authenticationDatabase) shift 2 ;;
    mongodb://*) target="$1"; shift ;;
    *) shift ;;
  esac
done
case "$js" in
  *ping*) echo 1 ;;
  *hello*)
    host="${target#mongodb://}"; host="${host%%/*}"
    if [ "$host" = "127.0.0.1:27017" ]; then cat "$STATE/local" 2>/dev/null; exit 0; fi
    if [ -f "$STATE/peer-$host" ]; then cat "$STATE/peer-$host"; exit 0; fi
    echo "MongoServerSelectionError: $host" >&2; exit 1 ;;
  *rs.initiate*|*rs.add*)
    printf 'target=%s user=%s password=%s\n%s\n---\n' "$target" "$user" "$pw" "$js" >> "$STATE/calls"
    echo rs0 > "$STATE/local" ;;
  *) echo "unexpected mongosh call: $js" >&2; exit 2 ;;
esac
`)
	kmeFakeCommand(t, bin, "sleep", `
if [ "$1" = 3600 ]; then touch "$STATE/idle"; exec /bin/sleep 3600; fi
exit 0
`)
	return bin, state
}

// mongoRunSidecar runs the replica-set sidecar's script as a pod, with the
// fake tools, until it idles, and returns the recorded calls. peers maps
// member hosts (or "local", the pod itself) to the set they belong to.
func mongoRunSidecar(t *testing.T, script, pod, namespace string, peers map[string]string) string {
	t.Helper()
	bin, state := mongoFakeTools(t)
	for host, set := range peers {
		file := "peer-" + host
		if host == "local" {
			file = "local"
		}
		if err := os.WriteFile(filepath.Join(state, file), []byte(set+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "STATE=" + state, "POD_NAME=" + pod, "POD_NAMESPACE=" + namespace, "MONGO_ROOT_USERNAME=root"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(state, "idle")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the sidecar never became a member:\n%s", pod, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	calls, _ := os.ReadFile(filepath.Join(state, "calls"))
	return string(calls)
}

// TestMongoDBReplicaSetInitiation runs the generated sidecar script against
// a fake mongosh: pod 0 initiates the set when no member has one, the
// others (and a pod 0 whose data was lost) add themselves with _id = their
// ordinal through a member that has one.
func TestMongoDBReplicaSetInitiation(t *testing.T) {
	res := kmeLoadCase(t, "mongodb-replicaset")
	sts := dbStatefulSet(t, res, "orders")
	sidecar := dbContainer(t, sts, "rs-init")
	script := kmeShellScript(t, sidecar)
	kmeShellSyntax(t, "rs-init", script)
	if kmeEnv(sidecar)["MONGO_ROOT_USERNAME"] != "root" {
		t.Errorf("the sidecar logs in as %q", kmeEnv(sidecar)["MONGO_ROOT_USERNAME"])
	}
	passwordFile := t.TempDir() + "/password"
	if err := os.WriteFile(passwordFile, []byte("change-me"), 0o600); err != nil {
		t.Fatal(err)
	}
	script = kmeReplaceOnce(t, script, "/etc/mongodb/secrets/orders-secret/password", passwordFile)
	host := func(i string) string { return "orders-" + i + ".orders-headless.shop.svc:27017" }

	calls := mongoRunSidecar(t, script, "orders-0", "shop", nil)
	if strings.Count(calls, "---") != 1 || !strings.Contains(calls, "rs.initiate({_id: 'rs0', members: [{_id: 0, host: '"+host("0")+"'}]})") ||
		!strings.Contains(calls, "target=local user=root password=change-me") {
		t.Errorf("pod 0 of a new set: calls\n%s", calls)
	}

	calls = mongoRunSidecar(t, script, "orders-2", "shop", map[string]string{host("0"): "rs0"})
	if strings.Count(calls, "---") != 1 || !strings.Contains(calls, "target=set:rs0/"+host("0")+" user=root password=change-me") ||
		!strings.Contains(calls, "const me = '"+host("2")+"'") || !strings.Contains(calls, "rs.add({_id: 2, host: me, votes: 1, priority: 1})") {
		t.Errorf("pod 2 joining: calls\n%s", calls)
	}

	calls = mongoRunSidecar(t, script, "orders-0", "shop", map[string]string{host("1"): "rs0", host("2"): "rs0"})
	if strings.Contains(calls, "rs.initiate") || !strings.Contains(calls, "rs.add({_id: 0,") {
		t.Errorf("pod 0 with empty data beside an existing set must join it, not start a second one: calls\n%s", calls)
	}

	// A restarted member does nothing.
	if calls = mongoRunSidecar(t, script, "orders-1", "shop", map[string]string{"local": "rs0", host("0"): "rs0"}); calls != "" {
		t.Errorf("a member changed the set again: calls\n%s", calls)
	}
}

// TestMongoDBNonVotingMembers: members beyond votingMembers join with
// votes: 0 and priority: 0, and the disruption budget keeps a majority of
// the voters.
func TestMongoDBNonVotingMembers(t *testing.T) {
	res := kmeMustLoadSource(t, `apps: m: presets.#MongoDB & {
	replicas: 4
	storage: size: "1Gi"
	secrets: "m-secret": data: {password: "pw", keyfile: "c2VjcmV0LWtleQ=="}
}`)
	sts := dbStatefulSet(t, res, "m")
	script := kmeShellScript(t, dbContainer(t, sts, "rs-init"))
	script = kmeReplaceOnce(t, script, "/etc/mongodb/secrets/m-secret/password", os.DevNull)
	peers := map[string]string{"m-0.m-headless.ns.svc:27017": "rs0"}
	if calls := mongoRunSidecar(t, script, "m-3", "ns", peers); !strings.Contains(calls, "rs.add({_id: 3, host: me, votes: 0, priority: 0})") {
		t.Errorf("the 4th member of a set with 3 voters: calls\n%s", calls)
	}
	if calls := mongoRunSidecar(t, script, "m-2", "ns", peers); !strings.Contains(calls, "rs.add({_id: 2, host: me, votes: 1, priority: 1})") {
		t.Errorf("the 3rd member: calls\n%s", calls)
	}
	// 4 members, 3 voters: one may be down, whichever it is.
	if pdb := kmePDB(t, res, "m"); pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 3 {
		t.Errorf("PodDisruptionBudget %+v, want minAvailable 3", pdb.Spec)
	}
}

// TestMongoDBReplicaSetPod checks the rest of the replica-set pod: mongod's
// arguments, the wrapper that lets only pod 0 create the root user, the key
// file copied with mode 0400, the disruption budget and the anti-affinity.
func TestMongoDBReplicaSetPod(t *testing.T) {
	res := kmeLoadCase(t, "mongodb-replicaset")
	sts := dbStatefulSet(t, res, "orders")
	c := dbContainer(t, sts, "orders")
	if args := strings.Join(c.Args, " "); !strings.Contains(args, "--replSet rs0 --keyFile /var/lib/mongodb-keyfile/keyfile") {
		t.Errorf("mongod args %q", args)
	}
	if sts.Spec.PodManagementPolicy != "OrderedReady" {
		t.Errorf("podManagementPolicy %s: pod 0 initiates the set before the others start", sts.Spec.PodManagementPolicy)
	}

	// The wrapper, run with a fake entrypoint that prints what it gets.
	wrapper := kmeShellScript(t, c)
	kmeShellSyntax(t, "mongod wrapper", wrapper)
	bin := t.TempDir()
	kmeFakeCommand(t, bin, "docker-entrypoint.sh", `echo "user=${MONGO_INITDB_ROOT_USERNAME:-} file=${MONGO_INITDB_ROOT_PASSWORD_FILE:-} args=$*"`)
	for pod, want := range map[string]string{
		"orders-0":  "user=root file=/run/pw args=mongod --port 27017",
		"orders-1":  "user= file= args=mongod --port 27017",
		"orders-10": "user= file= args=mongod --port 27017",
	} {
		cmd := exec.Command("sh", append([]string{"-c", wrapper}, append(c.Command[3:], "mongod", "--port", "27017")...)...)
		cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "POD_NAME=" + pod, "MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD=pw", "MONGO_INITDB_ROOT_PASSWORD_FILE=/run/pw"}
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s: wrapper gave %q (%v), want %q", pod, out, err, want)
		}
	}

	// The key file: copied from the Secret's mount with mode 0400.
	initScript := kmeShellScript(t, dbContainer(t, sts, "keyfile"))
	kmeShellSyntax(t, "keyfile init", initScript)
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "keyfile"), []byte("a2V5"), 0o440); err != nil {
		t.Fatal(err)
	}
	initScript = kmeReplaceOnce(t, initScript, "/etc/mongodb/secrets/orders-secret", src)
	initScript = strings.ReplaceAll(initScript, "/var/lib/mongodb-keyfile", dst)
	for i := 0; i < 2; i++ { // the second run replaces the first copy
		if out, err := exec.Command("sh", "-c", initScript).CombinedOutput(); err != nil {
			t.Fatalf("keyfile init: %v\n%s", err, out)
		}
	}
	info, err := os.Stat(filepath.Join(dst, "keyfile"))
	if err != nil || info.Mode().Perm() != 0o400 {
		t.Fatalf("copied key file: %v, mode %v, want 0400", err, info)
	}
	keyVolume := false
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == "keyfile" && v.EmptyDir != nil && v.EmptyDir.Medium == "Memory" {
			keyVolume = true
		}
	}
	if !keyVolume {
		t.Error("the key file copy is not on a memory-backed emptyDir")
	}

	if pdb := kmePDB(t, res, "orders"); pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 {
		t.Errorf("PodDisruptionBudget %+v, want minAvailable 2 (a majority of 3)", pdb.Spec)
	}
	aff := sts.Spec.Template.Spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 ||
		aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("members do not prefer different nodes: %+v", aff)
	}

	// The user's affinity is merged with the default, and a preferred
	// anti-affinity of the user's replaces the default one.
	res = kmeMustLoadSource(t, `apps: m: presets.#MongoDB & {
	replicas: 3
	storage: size: "1Gi"
	secrets: "m-secret": data: {password: "pw", keyfile: "c2VjcmV0LWtleQ=="}
	affinity: podAntiAffinity: preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, podAffinityTerm: {topologyKey: "topology.kubernetes.io/zone", labelSelector: matchLabels: app: "m"}}]
}`)
	aff = dbStatefulSet(t, res, "m").Spec.Template.Spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil || len(aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 ||
		aff.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.TopologyKey != "topology.kubernetes.io/zone" {
		t.Errorf("the user's anti-affinity did not replace the default: %+v", aff)
	}
}

// TestMongoDBBadInputs: every rule refuses its bad input with its message.
func TestMongoDBBadInputs(t *testing.T) {
	const secret = `secrets: "m-secret": data: {password: "pw", keyfile: "c2VjcmV0LWtleQ=="}`
	app := func(body string) string {
		return `apps: m: presets.#MongoDB & {storage: size: "1Gi", ` + body + `}`
	}
	kmeCheckBadInputs(t, []kmeBadInput{
		{"no root password", app(`replicas: 1`), "MongoDB needs a root password"},
		{"replica set without key file", app(`replicas: 3, secrets: "m-secret": data: password: "pw"`),
			"a MongoDB replica set needs a key file shared by its members"},
		{"key file not base64", app(`replicas: 3, secrets: "m-secret": data: {password: "pw", keyfile: "not base64!"}`),
			"must be 6 to 1024 base64 characters"},
		{"more than 50 members", app(`replicas: 51, ` + secret), "replicas 51 is more than 50: a MongoDB replica set has at most 50 members"},
		{"more than 7 voters", app(`replicas: 9, votingMembers: 9, ` + secret), "votingMembers 9 is more than 7"},
		{"even voters", app(`replicas: 4, votingMembers: 4, ` + secret), "votingMembers 4 is even"},
		{"voters above members", app(`replicas: 3, votingMembers: 5, ` + secret), "votingMembers 5 is more than replicas (3)"},
		{"unrelated servers", app(`replicas: 3, replicaSet: false, ` + secret), "replicaSet false with 3 replicas would be 3 unrelated MongoDB servers"},
		{"preset-owned setting", app(secret + `, mongodbConfig: "replication.replSetName": "x"`), "mongodbConfig replication.replSetName is set by presets.#MongoDB"},
		{"section and setting", app(secret + `, mongodbConfig: {net: "x", "net.maxIncomingConnections": "10"}`), "mongodbConfig net is a section"},
		{"bad setting path", app(secret + `, mongodbConfig: "storage..dbPath": "x"`), "is not a mongod.conf setting path"},
		{"bad replica set name", app(secret + `, replicaSetName: "rs 0"`), `replicaSetName "rs 0" is not valid`},
		{"HTTP health check", app(secret + `, healthCheck: path: "/health"`), "MongoDB serves no HTTP endpoint"},
	})
}
