package securitytest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/celestra-dev/celestra/internal/engine"
)

// The round-trip tests run the backup, upload, download and restore scripts
// celestra writes, unchanged but for their absolute paths, against Debian's
// PostgreSQL and rclone: the remote is rclone's local backend instead of an
// object store, and the servers listen on 127.0.0.1.

// opsEnv is a scratch folder owned by the user the servers run as.
type opsEnv struct {
	t    *testing.T
	dir  string
	cred *syscall.Credential
	bin  string // PostgreSQL's bin folder
}

// newOpsEnv prepares the scratch folder; server names the database server
// binary the test needs ("postgres" or "redis-server").
func newOpsEnv(t *testing.T, server string) *opsEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("starts database servers")
	}
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Skip("rclone is not installed (Debian package rclone)")
	}
	e := &opsEnv{t: t, bin: "/usr/bin"}
	switch server {
	case "postgres":
		bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
		if len(bins) == 0 {
			t.Skip("PostgreSQL is not installed (Debian package postgresql)")
		}
		e.bin = filepath.Dir(bins[len(bins)-1])
	default:
		if _, err := exec.LookPath(server); err != nil {
			t.Skipf("%s is not installed", server)
		}
	}
	dir, err := os.MkdirTemp("", "celestra-ops-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e.dir = dir
	if os.Getuid() == 0 {
		// PostgreSQL refuses to run as root; the others run as the same
		// unprivileged user, as in their pods.
		u, err := user.Lookup("postgres")
		if err != nil {
			u, err = user.Lookup("nobody")
		}
		if err != nil {
			t.Skip("running as root without an unprivileged user to run the servers as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		e.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.own(dir)
	return e
}

// path is a folder of the scratch area, created and owned by the servers'
// user.
func (e *opsEnv) path(parts ...string) string {
	p := filepath.Join(append([]string{e.dir}, parts...)...)
	if err := os.MkdirAll(p, 0o700); err != nil {
		e.t.Fatal(err)
	}
	for q := p; q != e.dir && strings.HasPrefix(q, e.dir); q = filepath.Dir(q) {
		e.own(q)
	}
	return p
}

func (e *opsEnv) own(p string) {
	if e.cred == nil {
		return
	}
	if err := os.Chown(p, int(e.cred.Uid), int(e.cred.Gid)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *opsEnv) writeFile(p, data string, mode os.FileMode) {
	rel, err := filepath.Rel(e.dir, filepath.Dir(p))
	if err != nil || strings.HasPrefix(rel, "..") {
		e.t.Fatalf("%s is outside the scratch folder", p)
	}
	e.path(rel)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		e.t.Fatal(err)
	}
	e.own(p)
}

func (e *opsEnv) command(env map[string]string, cwd, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = cwd
	cmd.Env = []string{"PATH=" + e.bin + ":/usr/bin:/bin", "HOME=" + e.path("home")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if e.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: e.cred}
	}
	return cmd
}

// run runs a command as the servers' user and fails the test if it fails.
func (e *opsEnv) run(what string, env map[string]string, cwd, name string, args ...string) string {
	e.t.Helper()
	out, err := e.command(env, cwd, name, args...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("%s: %v\n%s", what, err, out)
	}
	return string(out)
}

// script runs one of the generated scripts with sh.
func (e *opsEnv) script(what, script string, env map[string]string, cwd string) string {
	e.t.Helper()
	out := e.run(what, env, cwd, "sh", "-c", script)
	e.t.Logf("%s:\n%s", what, strings.TrimSpace(out))
	return out
}

// background starts a long-running command, stopped at the end of the test.
func (e *opsEnv) background(what string, sig syscall.Signal, env map[string]string, cwd, name string, args ...string) {
	e.t.Helper()
	cmd := e.command(env, cwd, name, args...)
	log, err := os.Create(filepath.Join(e.dir, strings.ReplaceAll(what, " ", "-")+".log"))
	if err != nil {
		e.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start %s: %v", what, err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
}

// postgres initialises a data directory like the image does (superuser and
// password, local connections trusted, the rest by password) and starts a
// server on it with the given arguments. It returns the port.
func (e *opsEnv) postgres(what, pgdata, user, password string, args []string, initialise bool) int {
	e.t.Helper()
	if initialise {
		e.writeFile(filepath.Join(e.dir, "pwfile-"+user), password, 0o600)
		e.run("initdb", nil, e.dir, filepath.Join(e.bin, "initdb"), "-D", pgdata, "--username="+user,
			"--pwfile="+filepath.Join(e.dir, "pwfile-"+user), "--auth-local=trust", "--auth-host=scram-sha-256")
	}
	port := freePort(e.t)
	sock := e.path("sock-" + strconv.Itoa(port))
	all := append(append([]string{"-D", pgdata}, args...), "-c", "listen_addresses=127.0.0.1", "-k", sock, "-p", strconv.Itoa(port))
	e.background(what, syscall.SIGINT, nil, e.dir, filepath.Join(e.bin, "postgres"), all...)
	e.eventually(what+" accepts connections", 60*time.Second, func() error {
		_, err := e.command(nil, e.dir, filepath.Join(e.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).CombinedOutput()
		return err
	})
	return port
}

// sql runs statements with psql as user on database db.
func (e *opsEnv) sql(port int, user, password, db, query string) string {
	e.t.Helper()
	out := e.run("psql "+query, map[string]string{"PGPASSWORD": password}, e.dir, filepath.Join(e.bin, "psql"),
		"-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", user, "-d", db, "-Atqc", query)
	return strings.TrimSpace(out)
}

func (e *opsEnv) eventually(what string, limit time.Duration, f func() error) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not after %s: %v", what, limit, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// exported is one configuration's objects, loaded through the engine from
// CUE source written into a scratch folder.
type exported struct {
	res *engine.Result
}

func export(t *testing.T, src string) exported {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Load(dir)
	if err != nil {
		t.Fatalf("load the test configuration: %v", err)
	}
	return exported{res}
}

func (x exported) object(t *testing.T, key string) any {
	t.Helper()
	for _, o := range x.res.Objects {
		if o.Key == key {
			return o.Typed
		}
	}
	t.Fatalf("no object %s", key)
	return nil
}

func (x exported) cronJobPod(t *testing.T, key string) corev1.PodSpec {
	t.Helper()
	return x.object(t, key).(*batchv1.CronJob).Spec.JobTemplate.Spec.Template.Spec
}

func (x exported) jobPod(t *testing.T, key string) corev1.PodSpec {
	t.Helper()
	return x.object(t, key).(*batchv1.Job).Spec.Template.Spec
}

func (x exported) statefulSetPod(t *testing.T, key string) corev1.PodSpec {
	t.Helper()
	return x.object(t, key).(*appsv1.StatefulSet).Spec.Template.Spec
}

// container finds a container (or init container) by name.
func container(t *testing.T, pod corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return corev1.Container{}
}

// env resolves a container's environment, Secret references included.
func (x exported) env(t *testing.T, c corev1.Container) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range c.Env {
		switch {
		case v.ValueFrom == nil:
			out[v.Name] = v.Value
		case v.ValueFrom.SecretKeyRef != nil:
			ref := v.ValueFrom.SecretKeyRef
			s := x.object(t, "secret-"+ref.Name).(*corev1.Secret)
			out[v.Name] = string(s.Data[ref.Key])
		}
	}
	return out
}

// script is a container's sh -c script with its absolute paths moved.
func script(t *testing.T, c corev1.Container, moves map[string]string) string {
	t.Helper()
	s, ok := inlineScript(append(append([]string{}, c.Command...), c.Args...))
	if !ok {
		t.Fatalf("container %s runs no inline script", c.Name)
	}
	return move(s, moves)
}

func move(s string, moves map[string]string) string {
	for from, to := range moves {
		s = strings.ReplaceAll(s, from, to)
	}
	return s
}

// localRemote turns the rclone remote "backup:" into rclone's local backend
// (paths relative to the working folder), keeping the rest of the env.
func localRemote(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		if !strings.HasPrefix(k, "RCLONE_CONFIG_BACKUP_") && k != "HOME" {
			out[k] = v
		}
	}
	out["RCLONE_CONFIG_BACKUP_TYPE"] = "local"
	return out
}

func with(env map[string]string, more ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(more); i += 2 {
		out[more[i]] = more[i+1]
	}
	return out
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestPostgresDumpRoundTrip: the CronJob's pg_dump and upload scripts write
// a backup and prune the old ones; the restore Job's download and
// pg_restore scripts bring it into a fresh server.
func TestPostgresDumpRoundTrip(t *testing.T) {
	e := newOpsEnv(t, "postgres")
	const password = "s3cret 'pw"
	x := export(t, `package rt

import "github.com/celestra-dev/celestra/presets"

apps: db: presets.#Postgres & {
	image: "postgres:15"
	storage: size: "1Gi"
	env: {POSTGRES_DB: "shop", POSTGRES_USER: "shop"}
	secrets: "db-secret": data: password: "s3cret 'pw"
	backup: {schedule: "0 1 * * *", retention: 14, location: "s3://bucket/shop", restore: from: "db-chosen.pgdump"}
}
`)
	cron := x.cronJobPod(t, "cronjob-db-backup")
	dump, upload := container(t, cron, "dump"), container(t, cron, "upload")
	restoreJob := x.jobPod(t, "job-db-restore")
	download, restore := container(t, restoreJob, "download"), container(t, restoreJob, "restore")

	store := e.path("store")
	remote := e.path("store", "bucket", "shop")
	// Backups already in the location: one past the 14 days' retention.
	old, recent := filepath.Join(remote, "db-old.pgdump"), filepath.Join(remote, "db-recent.pgdump")
	for p, age := range map[string]time.Duration{old: 30 * 24 * time.Hour, recent: 2 * 24 * time.Hour} {
		e.writeFile(p, "earlier backup", 0o600)
		if err := os.Chtimes(p, time.Now().Add(-age), time.Now().Add(-age)); err != nil {
			t.Fatal(err)
		}
	}

	// The app: a server with the app's superuser, database and rows.
	port := e.postgres("source server", filepath.Join(e.path("source"), "pgdata"), "shop", password, nil, true)
	e.sql(port, "shop", password, "postgres", "CREATE DATABASE shop")
	e.sql(port, "shop", password, "shop", "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT i, 'item ' || i FROM generate_series(1, 100) i")

	// The CronJob: dump, then upload and prune.
	moves := map[string]string{"/backup": e.path("backup")}
	dumpEnv := with(x.env(t, dump), "PGHOST", "127.0.0.1", "PGPORT", strconv.Itoa(port))
	if dumpEnv["PGPASSWORD"] != password || dumpEnv["PGUSER"] != "shop" || dumpEnv["PGDATABASE"] != "shop" {
		t.Fatalf("the dump container connects as %q/%q to %q", dumpEnv["PGUSER"], dumpEnv["PGPASSWORD"], dumpEnv["PGDATABASE"])
	}
	e.script("dump", script(t, dump, moves), dumpEnv, e.dir)
	e.script("upload", script(t, upload, moves), localRemote(x.env(t, upload)), store)

	files := listFiles(t, remote)
	var made string
	for _, f := range files {
		if strings.HasPrefix(f, "db-2") && strings.HasSuffix(f, ".pgdump") {
			made = f
		}
	}
	if made == "" {
		t.Fatalf("no new backup in the location: %v", files)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the backup older than the retention is still there (%v)", files)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a backup within the retention was deleted: %v", err)
	}

	// The restore Job, against a fresh app: the user picks the new backup.
	if err := os.Rename(filepath.Join(remote, made), filepath.Join(remote, "db-chosen.pgdump")); err != nil {
		t.Fatal(err)
	}
	fresh := e.postgres("fresh server", filepath.Join(e.path("fresh"), "pgdata"), "shop", password, nil, true)
	e.sql(fresh, "shop", password, "postgres", "CREATE DATABASE shop")
	restoreMoves := map[string]string{"/backup": e.path("restore")}
	e.script("download", script(t, download, restoreMoves), localRemote(x.env(t, download)), store)
	e.script("restore", script(t, restore, restoreMoves), with(x.env(t, restore), "PGHOST", "127.0.0.1", "PGPORT", strconv.Itoa(fresh)), e.dir)
	if got := e.sql(fresh, "shop", password, "shop", "SELECT count(*) || ' ' || max(item) FROM orders"); got != "100 item 99" {
		t.Errorf("restored orders: %q, want 100 rows", got)
	}
}

// TestPostgresPITRRoundTrip: a server with the generated WAL archiving and
// the wal-shipper sidecar's script, a base backup from the CronJob, then
// the restore init containers of pod 0 and a server that replays the
// archived WAL up to restore.targetTime and promotes.
func TestPostgresPITRRoundTrip(t *testing.T) {
	e := newOpsEnv(t, "postgres")
	const password = "pitr-pw"
	config := func(restore string) string {
		return `package rt

import "github.com/celestra-dev/celestra/presets"

apps: ledger: presets.#Postgres & {
	image: "postgres:15"
	storage: size: "1Gi"
	secrets: "ledger-secret": data: password: "pitr-pw"
	backup: {schedule: "0 */6 * * *", location: "s3://bucket/ledger", pointInTimeRecovery: true` + restore + `}
}
`
	}
	x := export(t, config(""))
	sts := x.statefulSetPod(t, "statefulset-ledger")
	server, shipper := container(t, sts, "ledger"), container(t, sts, "wal-shipper")
	hba := x.object(t, "configmap-ledger-hba").(*corev1.ConfigMap).Data["pg_hba.conf"]
	cron := x.cronJobPod(t, "cronjob-ledger-backup")
	dump, upload := container(t, cron, "dump"), container(t, cron, "upload")

	store := e.path("store")
	moves := map[string]string{
		"/var/lib/postgresql/data": e.path("data"),
		"/etc/postgresql/hba":      e.path("hba"),
		"/backup":                  e.path("backup"),
	}
	e.writeFile(filepath.Join(moves["/etc/postgresql/hba"], "pg_hba.conf"), hba, 0o644)
	args := make([]string, len(server.Args))
	for i, a := range server.Args {
		args[i] = move(a, moves)
	}
	pgdata := move(x.env(t, server)["PGDATA"], moves)

	port := e.postgres("archiving server", pgdata, "postgres", password, args, true)
	if got := e.sql(port, "postgres", password, "postgres", "SHOW archive_mode"); got != "on" {
		t.Fatalf("archive_mode = %q", got)
	}
	e.background("wal shipper", syscall.SIGTERM, localRemote(x.env(t, shipper)), store, "sh", "-c", script(t, shipper, moves))

	e.sql(port, "postgres", password, "postgres", "CREATE TABLE entries (id int PRIMARY KEY); INSERT INTO entries SELECT generate_series(1, 10)")
	// The CronJob takes a base backup and uploads it.
	e.script("base backup", script(t, dump, moves), with(x.env(t, dump), "PGHOST", "127.0.0.1", "PGPORT", strconv.Itoa(port)), e.dir)
	e.script("upload", script(t, upload, moves), localRemote(x.env(t, upload)), store)
	remote := filepath.Join(store, "bucket", "ledger")
	var base string
	for _, f := range listFiles(t, remote) {
		if strings.HasSuffix(f, ".base.tar.gz") {
			base = f
		}
	}
	if base == "" {
		t.Fatalf("no base backup in the location: %v", listFiles(t, remote))
	}

	// Changes after the base backup: the first before the target time, the
	// second after it.
	e.sql(port, "postgres", password, "postgres", "INSERT INTO entries SELECT generate_series(11, 20)")
	time.Sleep(1500 * time.Millisecond)
	target := time.Now().UTC().Format("2006-01-02 15:04:05.000000") + "+00"
	time.Sleep(1500 * time.Millisecond)
	e.sql(port, "postgres", password, "postgres", "INSERT INTO entries SELECT generate_series(21, 30)")
	last := e.sql(port, "postgres", password, "postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())")
	e.sql(port, "postgres", password, "postgres", "SELECT pg_switch_wal()")
	e.eventually("the WAL segment "+last+" shipped", 60*time.Second, func() error {
		if _, err := os.Stat(filepath.Join(remote, "wal", last)); err != nil {
			return err
		}
		return nil
	})

	// A fresh pod 0 restores the base backup and replays up to the target.
	y := export(t, config(fmt.Sprintf(", restore: {from: %q, targetTime: %q}", base, target)))
	restored := y.statefulSetPod(t, "statefulset-ledger")
	fetch, unpack := container(t, restored, "restore-1-fetch"), container(t, restored, "restore-2-unpack")
	freshMoves := map[string]string{
		"/var/lib/postgresql/data": e.path("fresh"),
		"/etc/postgresql/hba":      moves["/etc/postgresql/hba"],
	}
	e.script("restore fetch", script(t, fetch, freshMoves), with(localRemote(y.env(t, fetch)), "HOSTNAME", "ledger-0"), store)
	e.script("restore unpack", script(t, unpack, freshMoves), map[string]string{"HOSTNAME": "ledger-0"}, e.dir)
	// On another pod, or once the data directory holds a database, the
	// init containers leave it alone.
	if out := e.script("restore fetch on pod 1", script(t, fetch, freshMoves), with(localRemote(y.env(t, fetch)), "HOSTNAME", "ledger-1"), store); !strings.Contains(out, "not pod 0") {
		t.Errorf("the fetch script ran on pod 1: %s", out)
	}

	freshArgs := make([]string, len(server.Args))
	for i, a := range server.Args {
		freshArgs[i] = move(a, freshMoves)
	}
	fresh := e.postgres("restored server", move(x.env(t, server)["PGDATA"], freshMoves), "postgres", password, freshArgs, false)
	e.eventually("the restored server promoted", 60*time.Second, func() error {
		if got := e.sql(fresh, "postgres", password, "postgres", "SELECT pg_is_in_recovery()"); got != "f" {
			return fmt.Errorf("still in recovery")
		}
		return nil
	})
	if got := e.sql(fresh, "postgres", password, "postgres", "SELECT count(*) FROM entries"); got != "20" {
		t.Errorf("the restored server has %s entries, want the 20 written before %s", got, target)
	}
	if out := e.script("restore unpack again", script(t, unpack, freshMoves), map[string]string{"HOSTNAME": "ledger-0"}, e.dir); !strings.Contains(out, "already holds a database") {
		t.Errorf("the unpack script ran on a data directory in use: %s", out)
	}
}

// TestRedisRDBRoundTrip: the CronJob's redis-cli --rdb and upload scripts
// save a snapshot; pod 0's restore-rdb init container places it in an empty
// data directory, restore-rdb-to-aof writes the append-only file from it,
// and a server with appendonly yes starts with the data.
func TestRedisRDBRoundTrip(t *testing.T) {
	e := newOpsEnv(t, "redis-server")
	const password = "redis-pw"
	x := export(t, `package rt

import "github.com/celestra-dev/celestra/presets"

apps: cache: presets.#Redis & {
	storage: size: "1Gi"
	secrets: "cache-secret": data: password: "redis-pw"
	backup: {schedule: "0 * * * *", location: "s3://bucket/cache", restore: from: "cache-chosen.rdb"}
}
`)
	cron := x.cronJobPod(t, "cronjob-cache-backup")
	dump, upload := container(t, cron, "dump"), container(t, cron, "upload")
	sts := x.statefulSetPod(t, "statefulset-cache")
	fetch, toAOF := container(t, sts, "restore-rdb"), container(t, sts, "restore-rdb-to-aof")

	redis := func(what, dir string) int {
		port := freePort(t)
		e.background(what, syscall.SIGTERM, nil, dir, "redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", dir, "--requirepass", password, "--appendonly", "yes", "--save", "")
		e.eventually(what+" answers", 30*time.Second, func() error {
			out, err := e.command(map[string]string{"REDISCLI_AUTH": password}, dir, "redis-cli", "-p", strconv.Itoa(port), "ping").CombinedOutput()
			if err == nil && strings.TrimSpace(string(out)) != "PONG" {
				err = fmt.Errorf("%s", out)
			}
			return err
		})
		return port
	}
	cli := func(port int, args ...string) string {
		return strings.TrimSpace(e.run("redis-cli", map[string]string{"REDISCLI_AUTH": password}, e.dir, "redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...))
	}

	store := e.path("store")
	port := redis("source redis", e.path("source"))
	for i := 1; i <= 50; i++ {
		cli(port, "SET", fmt.Sprintf("key:%d", i), fmt.Sprintf("value %d", i))
	}
	moves := map[string]string{"/backup": e.path("backup")}
	dumpEnv := with(x.env(t, dump), "CELESTRA_DB_HOST", "127.0.0.1", "CELESTRA_DB_PORT", strconv.Itoa(port))
	if dumpEnv["REDISCLI_AUTH"] != password {
		t.Fatal("the dump container has no REDISCLI_AUTH from the app's Secret")
	}
	e.script("dump", script(t, dump, moves), dumpEnv, e.dir)
	e.script("upload", script(t, upload, moves), localRemote(x.env(t, upload)), store)
	remote := filepath.Join(store, "bucket", "cache")
	files := listFiles(t, remote)
	if len(files) != 1 || !strings.HasSuffix(files[0], ".rdb") {
		t.Fatalf("location holds %v, want one .rdb", files)
	}
	if err := os.Rename(filepath.Join(remote, files[0]), filepath.Join(remote, "cache-chosen.rdb")); err != nil {
		t.Fatal(err)
	}

	data := e.path("fresh")
	freshMoves := map[string]string{"/data": data}
	e.script("restore-rdb", script(t, fetch, freshMoves), with(localRemote(x.env(t, fetch)), "HOSTNAME", "cache-0"), store)
	e.script("restore-rdb-to-aof", script(t, toAOF, freshMoves), map[string]string{"HOSTNAME": "cache-0"}, e.dir)
	fresh := redis("restored redis", data)
	if got := cli(fresh, "DBSIZE"); got != "50" {
		t.Errorf("the restored server holds %s keys, want 50", got)
	}
	if got := cli(fresh, "GET", "key:42"); got != "value 42" {
		t.Errorf("key:42 = %q", got)
	}
	if out := e.script("restore-rdb again", script(t, fetch, freshMoves), with(localRemote(x.env(t, fetch)), "HOSTNAME", "cache-0"), store); !strings.Contains(out, "already holds data") {
		t.Errorf("the restore ran over existing data: %s", out)
	}
}

// TestMariaDBPITRRoundTrip: a MariaDB server with the generated option file
// (binary logs on), the CronJob's mariadb-dump with its binary log
// position, the binlog-shipper's copy of the binary logs, and the restore
// Job, which loads the dump into a fresh server and replays the logs up to
// restore.targetTime.
func TestMariaDBPITRRoundTrip(t *testing.T) {
	e := newOpsEnv(t, "mariadbd")
	if _, err := exec.LookPath("mariadb-install-db"); err != nil {
		t.Skip("mariadb-install-db is not installed (Debian package mariadb-server)")
	}
	const password = "maria-pw"
	config := func(restore string) string {
		return `package rt

import "github.com/celestra-dev/celestra/presets"

apps: shop: presets.#MySQL & {
	image: "mariadb:11.4"
	storage: size: "1Gi"
	secrets: "shop-secret": data: password: "maria-pw"
	backup: {schedule: "0 3 * * *", location: "s3://bucket/shop", pointInTimeRecovery: true` + restore + `}
}
`
	}
	x := export(t, config(""))
	cnf := x.object(t, "configmap-shop-server-config").(*corev1.ConfigMap).Data["celestra.cnf"]
	shipper := container(t, x.statefulSetPod(t, "statefulset-shop"), "binlog-shipper")
	cron := x.cronJobPod(t, "cronjob-shop-backup")
	dump, upload := container(t, cron, "dump"), container(t, cron, "upload")

	// mariadb starts a server like the image: the generated option file
	// (data directory moved), root with the app's password from anywhere.
	mariadb := func(what, mount string, initialise bool) int {
		moves := map[string]string{"/var/lib/mysql": mount}
		file := filepath.Join(e.path("etc-"+filepath.Base(mount)), "celestra.cnf")
		e.writeFile(file, move(cnf, moves), 0o644)
		datadir := e.path(filepath.Base(mount), "data")
		if initialise {
			e.run("mariadb-install-db", nil, e.dir, "mariadb-install-db", "--no-defaults", "--datadir="+datadir, "--auth-root-authentication-method=normal", "--skip-test-db")
		}
		port := freePort(t)
		sock := filepath.Join(e.path("sock"), strconv.Itoa(port))
		e.background(what, syscall.SIGTERM, nil, e.dir, "mariadbd", "--defaults-file="+file, "--port="+strconv.Itoa(port),
			"--bind-address=127.0.0.1", "--socket="+sock, "--pid-file="+sock+".pid", "--skip-name-resolve")
		e.eventually(what+" answers", 60*time.Second, func() error {
			_, err := e.command(nil, e.dir, "mariadb-admin", "--socket="+sock, "--user=root", "ping").CombinedOutput()
			return err
		})
		if initialise {
			e.run("root password", nil, e.dir, "mariadb", "--socket="+sock, "--user=root", "-e",
				"DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'; CREATE USER 'root'@'%' IDENTIFIED BY '"+password+"'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;")
		}
		return port
	}
	sql := func(port int, query string) string {
		return strings.TrimSpace(e.run("mariadb "+query, map[string]string{"MYSQL_PWD": password}, e.dir, "mariadb",
			"--host=127.0.0.1", "--port="+strconv.Itoa(port), "--user=root", "-N", "-B", "-e", query))
	}

	store := e.path("store")
	source := e.path("source")
	port := mariadb("source server", source, true)
	sql(port, "CREATE DATABASE shop; CREATE TABLE shop.orders (id int PRIMARY KEY); INSERT INTO shop.orders VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)")

	moves := map[string]string{"/backup": e.path("backup"), "/var/lib/mysql": source}
	e.script("dump", script(t, dump, moves), with(x.env(t, dump), "CELESTRA_DB_HOST", "127.0.0.1", "CELESTRA_DB_PORT", strconv.Itoa(port)), e.dir)
	e.script("upload", script(t, upload, moves), localRemote(x.env(t, upload)), store)
	remote := filepath.Join(store, "bucket", "shop")
	var made string
	for _, f := range listFiles(t, remote) {
		if strings.HasSuffix(f, ".sql.gz") {
			made = f
		}
	}
	if made == "" {
		t.Fatalf("no dump in the location: %v", listFiles(t, remote))
	}

	sql(port, "INSERT INTO shop.orders VALUES (11),(12),(13),(14),(15),(16),(17),(18),(19),(20)")
	time.Sleep(2 * time.Second)
	target := time.Now().UTC().Format("2006-01-02 15:04:05") + "+00"
	time.Sleep(2 * time.Second)
	sql(port, "INSERT INTO shop.orders VALUES (21),(22),(23),(24),(25),(26),(27),(28),(29),(30); FLUSH BINARY LOGS")
	// The shipper copies at once, then every minute.
	last := strings.Fields(sql(port, "SHOW MASTER STATUS"))[0]
	e.background("binlog shipper", syscall.SIGTERM, with(localRemote(x.env(t, shipper)), "HOSTNAME", "shop-0"), store, "sh", "-c", script(t, shipper, moves))
	e.eventually("the binary logs shipped", 30*time.Second, func() error {
		_, err := os.Stat(filepath.Join(remote, "binlog", last))
		return err
	})

	// A fresh app, and the restore Job.
	y := export(t, config(fmt.Sprintf(", restore: {from: %q, targetTime: %q}", made, target)))
	job := y.jobPod(t, "job-shop-restore")
	download, restore := container(t, job, "download"), container(t, job, "restore")
	fresh := mariadb("fresh server", e.path("fresh"), true)
	restoreMoves := map[string]string{"/backup": e.path("restore")}
	e.script("download", script(t, download, restoreMoves), localRemote(y.env(t, download)), store)
	e.script("restore", script(t, restore, restoreMoves), with(y.env(t, restore), "CELESTRA_DB_HOST", "127.0.0.1", "CELESTRA_DB_PORT", strconv.Itoa(fresh), "TZ", "UTC"), e.dir)
	if got := sql(fresh, "SELECT count(*) FROM shop.orders"); got != "20" {
		t.Errorf("the restored server has %s orders, want the 20 written before %s", got, target)
	}
}

// TestPostgresJSONLogStream: with observability.logging, the log-fifo init
// container makes the FIFO, the server's logging collector writes jsonlog
// into it, and the log-stream sidecar prints the JSON lines.
func TestPostgresJSONLogStream(t *testing.T) {
	e := newOpsEnv(t, "postgres")
	const password = "log-pw"
	x := export(t, `package rt

import "github.com/celestra-dev/celestra/presets"

apps: db: presets.#Postgres & {
	image: "postgres:15"
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "log-pw"
	observability: logging: true
}
`)
	sts := x.statefulSetPod(t, "statefulset-db")
	server, fifo, stream := container(t, sts, "db"), container(t, sts, "log-fifo"), container(t, sts, "log-stream")
	moves := map[string]string{"/var/log/postgresql": e.path("log"), "/var/lib/postgresql/data": e.path("data")}
	args := make([]string, len(server.Args))
	for i, a := range server.Args {
		args[i] = move(a, moves)
	}
	e.script("log-fifo", script(t, fifo, moves), nil, e.dir)
	e.background("log stream", syscall.SIGTERM, nil, e.dir, "sh", "-c", script(t, stream, moves))
	port := e.postgres("logging server", move(x.env(t, server)["PGDATA"], moves), "postgres", password, args, true)
	if _, err := e.command(map[string]string{"PGPASSWORD": password}, e.dir, filepath.Join(e.bin, "psql"), "-X", "-h", "127.0.0.1",
		"-p", strconv.Itoa(port), "-U", "postgres", "-c", "SELECT 1/0").CombinedOutput(); err == nil {
		t.Fatal("SELECT 1/0 did not fail")
	}
	e.eventually("the error in the JSON log stream", 20*time.Second, func() error {
		out, err := os.ReadFile(filepath.Join(e.dir, "log-stream.log"))
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "{") && strings.Contains(line, `"message":"division by zero"`) {
				return nil
			}
		}
		return fmt.Errorf("no JSON line with the error in:\n%s", out)
	})
}
