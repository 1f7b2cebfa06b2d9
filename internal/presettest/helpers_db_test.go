package presettest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cuelang.org/go/cue"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/celestra-dev/celestra/internal/engine"
)

// casesDir holds the golden configurations, one folder per case.
const casesDir = "../../testdata/cases"

var (
	dbLoaderOnce sync.Once
	dbLoader     *engine.Loader
	dbLoaderErr  error
)

// loadDBCase loads testdata/cases/<name> with the engine, as `celestra
// export` does.
func loadDBCase(t *testing.T, name string) *engine.Result {
	t.Helper()
	dbLoaderOnce.Do(func() { dbLoader, dbLoaderErr = engine.NewLoader() })
	if dbLoaderErr != nil {
		t.Fatalf("new loader: %v", dbLoaderErr)
	}
	res, err := dbLoader.Load(filepath.Join(casesDir, name))
	if err != nil {
		t.Fatalf("load case %s: %v", name, err)
	}
	return res
}

// loadDBSource loads a configuration written to a temporary folder.
func loadDBSource(t *testing.T, src string) (*engine.Result, error) {
	t.Helper()
	dbLoaderOnce.Do(func() { dbLoader, dbLoaderErr = engine.NewLoader() })
	if dbLoaderErr != nil {
		t.Fatalf("new loader: %v", dbLoaderErr)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "app.cue")
	if err := os.WriteFile(file, []byte("package app\n\n"+src+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dbLoader.Load(dir)
}

// dbObject finds the object of the given kind and name.
func dbObject(t *testing.T, res *engine.Result, kind, name string) engine.Object {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	var have []string
	for _, o := range res.Objects {
		have = append(have, o.Kind+"/"+o.Name)
	}
	t.Fatalf("no %s %q among %s", kind, name, strings.Join(have, ", "))
	return engine.Object{}
}

// dbStatefulSet is the app's StatefulSet, as strictly decoded by the engine.
func dbStatefulSet(t *testing.T, res *engine.Result, name string) *appsv1.StatefulSet {
	t.Helper()
	sts, ok := dbObject(t, res, "StatefulSet", name).Typed.(*appsv1.StatefulSet)
	if !ok {
		t.Fatalf("StatefulSet %s is not an *appsv1.StatefulSet", name)
	}
	return sts
}

// dbConfigData is the data of a generated ConfigMap.
func dbConfigData(t *testing.T, res *engine.Result, name string) map[string]string {
	t.Helper()
	cm, ok := dbObject(t, res, "ConfigMap", name).Typed.(*corev1.ConfigMap)
	if !ok {
		t.Fatalf("ConfigMap %s is not a *corev1.ConfigMap", name)
	}
	return cm.Data
}

// dbSecretValue is one key of a generated Secret.
func dbSecretValue(t *testing.T, res *engine.Result, name, key string) string {
	t.Helper()
	s, ok := dbObject(t, res, "Secret", name).Typed.(*corev1.Secret)
	if !ok {
		t.Fatalf("Secret %s is not a *corev1.Secret", name)
	}
	v, ok := s.Data[key]
	if !ok {
		t.Fatalf("Secret %s has no key %s", name, key)
	}
	return string(v)
}

// dbContainer finds a container or init container of the pod template.
func dbContainer(t *testing.T, sts *appsv1.StatefulSet, name string) corev1.Container {
	t.Helper()
	spec := sts.Spec.Template.Spec
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("StatefulSet %s has no container %s", sts.Name, name)
	return corev1.Container{}
}

// dbEnv is the literal value of an environment variable of a container.
func dbEnv(t *testing.T, c corev1.Container, name string) string {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			if e.ValueFrom != nil {
				t.Fatalf("container %s: %s is not a literal value", c.Name, name)
			}
			return e.Value
		}
	}
	t.Fatalf("container %s has no environment variable %s", c.Name, name)
	return ""
}

// dbAppField decodes a field of an app from the configuration, such as its
// postgresConfig, so that tests compare with what the user wrote.
func dbAppField(t *testing.T, res *engine.Result, app, field string, into any) {
	t.Helper()
	v := res.Value.LookupPath(cue.MakePath(cue.Str("apps"), cue.Str(app), cue.Str(field)))
	if err := v.Decode(into); err != nil {
		t.Fatalf("decode apps.%s.%s: %v", app, field, err)
	}
}

// freeDBPort asks the kernel for a free TCP port on loopback.
func freeDBPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dbUser is the unprivileged account servers run as when the test runs as
// root (PostgreSQL and MariaDB refuse to run as root).
type dbUser struct {
	cred *syscall.Credential
}

// unprivileged picks the account to run servers as: the current one, or,
// for root, the first of the given accounts that exists.
func unprivileged(t *testing.T, names ...string) dbUser {
	t.Helper()
	if os.Geteuid() != 0 {
		return dbUser{}
	}
	for _, n := range append(names, "nobody") {
		u, err := user.Lookup(n)
		if err != nil {
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		return dbUser{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	t.Skip("running as root and no unprivileged account to run the servers as")
	return dbUser{}
}

// workDir is a temporary folder the servers' account may write to. Unlike
// t.TempDir, its parents are reachable by that account.
func (u dbUser) workDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	u.own(t, dir)
	return dir
}

// own gives a path to the servers' account.
func (u dbUser) own(t *testing.T, path string) {
	t.Helper()
	if u.cred == nil {
		return
	}
	if err := os.Chown(path, int(u.cred.Uid), int(u.cred.Gid)); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file owned by the servers' account.
func (u dbUser) writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	u.own(t, filepath.Dir(path))
	u.own(t, path)
}

// command prepares a command run as the servers' account, in its own
// process group, with env added to a minimal environment.
func (u dbUser) command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LANG=C", "LC_ALL=C"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: u.cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// run runs a command to its end and returns its combined output.
func (u dbUser) run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := u.command(ctx, env, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRun runs a command and fails the test if it fails.
func (u dbUser) mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	out, err := u.run(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// server is a long-running process started by a test.
type server struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
	once sync.Once
}

// start starts a server in the background; it is stopped (signal, then
// kill) when the test ends.
func (u dbUser) start(t *testing.T, name string, stop syscall.Signal, env []string, bin string, args ...string) *server {
	t.Helper()
	cmd := u.command(context.Background(), env, bin, args...)
	s := &server{name: name, cmd: cmd, out: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: s.out}, &lockedWriter{w: s.out}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.stop(stop)
		if t.Failed() {
			t.Logf("%s output:\n%s", name, s.output())
		}
	})
	return s
}

// stop signals the server's process group and waits for it to end.
func (s *server) stop(sig syscall.Signal) {
	s.once.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, sig)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
}

func (s *server) output() string {
	return s.out.String()
}

// lockedWriter serialises the writes of a process's stdout and stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// eventually retries check until it succeeds or the time is up.
func eventually(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// shellSyntax checks a generated script with `sh -n` (and `bash -n` when the
// script is sourced by a bash entrypoint).
func shellSyntax(t *testing.T, name, script string, shells ...string) {
	t.Helper()
	if len(shells) == 0 {
		shells = []string{"sh"}
	}
	for _, sh := range shells {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: %s not checked with it", sh, name)
			continue
		}
		cmd := exec.Command(path, "-n")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s -n %s: %v\n%s", sh, name, err, out)
		}
	}
}

// lookDBBinary finds a server binary in PATH or in the given folders
// (patterns allowed), or skips the test with the apt package to install.
func lookDBBinary(t *testing.T, name, aptPackage string, patterns ...string) string {
	t.Helper()
	for _, p := range patterns {
		matches, _ := filepath.Glob(filepath.Join(p, name))
		if len(matches) > 0 {
			return matches[len(matches)-1]
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	t.Skipf("%s not installed (apt-get install -y %s): the real-server test is skipped", name, aptPackage)
	return ""
}

func envList(kv map[string]string) []string {
	var out []string
	for k, v := range kv {
		out = append(out, fmt.Sprintf("%s=%s", k, v))
	}
	return out
}
