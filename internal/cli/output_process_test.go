package cli

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/celestra-dev/celestra/internal/output"
)

// The tests in this file run this test binary again as the celestra
// command (TestMain below calls Run, exactly what cmd/celestra's main does),
// so that they can kill it, signal it and run several at once: real
// processes, real signals.
const runAsCelestra = "CELESTRA_TEST_RUN_AS_CELESTRA"

func TestMain(m *testing.M) {
	if os.Getenv(runAsCelestra) == "1" {
		os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// celestraCmd prepares a celestra process run under umask 022.
func celestraCmd(args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", `umask 022 && exec "$0" "$@"`, os.Args[0]}, args...)...)
	cmd.Env = append(os.Environ(), runAsCelestra+"=1")
	return cmd
}

// Secret values of the test configurations: distinctive, so that a test can
// find every file that holds one.
var secretValues = []string{"Sup3r-secret-db", "Sup3r-secret-queue", "Sup3r-secret-prod"}

// writeConfig writes a configuration with Secrets that reach every kind of
// file that can hold one: a Secret manifest, Compose secret files, an env
// file, an overlay patching a Secret.
func writeConfig(t *testing.T, variant string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config-"+variant)
	src := fmt.Sprintf(`package config

import "github.com/celestra-dev/celestra/presets"

apps: db%[1]s: presets.#Postgres & {
	storage: size: "1Gi"
	secrets: "db%[1]s-secret": data: password: *"Sup3r-secret-db" | string
}
apps: queue%[1]s: {
	image: "ghcr.io/acme/queue:2.4.1"
	ports: amqp: port: 5672
	storage: {size: "1Gi", mountPath: "/var/lib/queue"}
	security: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}
	secrets: "queue%[1]s-secret": {data: token: "Sup3r-secret-queue", envFrom: true}
}
environments: production: db%[1]s: secrets: "db%[1]s-secret": data: password: "Sup3r-secret-prod"
`, variant)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type fileState struct {
	mode fs.FileMode
	data string
}

// tree is everything in dir: names, types, permissions, contents.
func tree(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := fileState{mode: info.Mode()}
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s.data = string(data)
		}
		out[filepath.ToSlash(rel)] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func treeDiff(got, want map[string]fileState) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[p]; !ok {
			fmt.Fprintf(&b, "missing %s\n", p)
		} else if g != want[p] {
			fmt.Fprintf(&b, "%s differs (mode %v, want %v)\n", p, g.mode, want[p].mode)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			fmt.Fprintf(&b, "unexpected %s\n", p)
		}
	}
	return b.String()
}

func mustExport(t *testing.T, args ...string) {
	t.Helper()
	out, err := celestraCmd(append([]string{"export"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("celestra export %v: %v\n%s", args, err, out)
	}
}

// Under umask 022, every file that holds a secret value is 0600 and every
// folder above it that celestra created is 0700, in every format; the other
// files are 0644 in 0755 folders.
func TestExportSecretFilesArePrivate(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	mustExport(t, writeConfig(t, ""), "--format", "all", "-o", out)
	got := tree(t, out)
	private := map[string]bool{}
	for p, s := range got {
		holds := false
		for _, v := range secretValues {
			if strings.Contains(s.data, v) || strings.Contains(s.data, base64.StdEncoding.EncodeToString([]byte(v))) {
				holds = true
			}
		}
		switch {
		case s.mode.IsDir():
		case holds && s.mode.Perm() != 0o600:
			t.Errorf("%s holds a secret value and is %v", p, s.mode.Perm())
		case !holds && s.mode.Perm() != 0o644 && s.mode.Perm() != 0o600:
			t.Errorf("%s is %v", p, s.mode.Perm())
		}
		if s.mode.Perm() == 0o600 {
			private[p] = true
		}
	}
	for p := range private {
		for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
			if m := got[d].mode.Perm(); m != 0o700 {
				t.Errorf("%s holds %s and is %v", d, p, m)
			}
		}
	}
	if m := got["."].mode.Perm(); m != 0o700 {
		t.Errorf("the output folder celestra created for secrets is %v", m)
	}
	// Each format has a secret file, and the files without secrets stay
	// public.
	for _, want := range []string{"yaml/secret-db-secret.yaml", "compose/secrets/db-secret/password", "compose/secrets/queue.env",
		"kustomize/base/secret-db-secret.yaml", "kustomize/overlays/production/secret-db-secret.patch.yaml", "helm/celestra-db/templates/secret-db-secret.yaml"} {
		if !private[want] {
			t.Errorf("%s is not private (private: %v)", want, slices.Sorted(maps.Keys(private)))
		}
	}
	for p, mode := range map[string]fs.FileMode{"compose/docker-compose.yaml": 0o644, "compose/configs": 0, "yaml": 0o700, "helm/celestra-db/values.yaml": 0o644, "kustomize/base/statefulset-db.yaml": 0o644} {
		if s, ok := got[p]; mode != 0 && (!ok || s.mode.Perm() != mode) {
			t.Errorf("%s: %v, want %v", p, s.mode.Perm(), mode)
		}
	}
}

// Refusals exit 1 and change nothing: a foreign file with an output's name
// (until --force), a symbolic link on the way.
func TestExportRefusalsExitOneAndWriteNothing(t *testing.T) {
	cfg := writeConfig(t, "")
	base := t.TempDir()
	out := filepath.Join(base, "out")
	if err := os.MkdirAll(filepath.Join(out, "yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(out, "yaml", "statefulset-db.yaml")
	if err := os.WriteFile(foreign, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(base, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../elsewhere", filepath.Join(out, "compose")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, base)
	code, _, stderr := run(t, "export", cfg, "--format", "all", "-o", out)
	if code != ExitInvalidConfig || !strings.Contains(stderr, filepath.Join(out, "compose")+" is a symbolic link") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if err := os.Remove(filepath.Join(out, "compose")); err != nil {
		t.Fatal(err)
	}
	delete(before, "out/compose")
	code, _, stderr = run(t, "export", cfg, "--format", "all", "-o", out)
	if code != ExitInvalidConfig || !strings.Contains(stderr, foreign) || !strings.Contains(stderr, "--force") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if d := treeDiff(tree(t, base), before); d != "" {
		t.Errorf("a refused export changed files:\n%s", d)
	}
	code, _, stderr = run(t, "export", cfg, "--format", "all", "-o", out, "--force")
	if code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if data, _ := os.ReadFile(foreign); string(data) == "mine\n" {
		t.Error("--force did not overwrite")
	}
}

// A celestra export killed (SIGKILL) at a random instant while it writes
// leaves, after the recovery the next run does first, the complete old or
// the complete new export; the next run then succeeds without staging.
func TestExportKilledLeavesOldOrNew(t *testing.T) {
	cfgA, cfgB := writeConfig(t, "a"), writeConfig(t, "b")
	ref := filepath.Join(t.TempDir(), "out")
	mustExport(t, cfgA, "--format", "all", "-o", ref)
	oldTree := tree(t, ref)
	mustExport(t, cfgB, "--format", "all", "-o", ref)
	newTree := tree(t, ref)

	template := filepath.Join(t.TempDir(), "out")
	mustExport(t, cfgA, "--format", "all", "-o", template)

	killed := 0
	for i := range 5 {
		dir := filepath.Join(t.TempDir(), "out")
		if out, err := exec.Command("cp", "-a", template, dir).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		cmd := celestraCmd("export", cfgB, "--format", "all", "-o", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, filepath.Join(dir, ".celestra-staging"), cmd)
		time.Sleep(time.Duration(rand.IntN(4*(i+1))) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else if err != nil {
			t.Fatalf("export ended with %v", err)
		}
		var log bytes.Buffer
		if err := output.Recover(dir, &log); err != nil {
			t.Fatal(err)
		}
		got := tree(t, dir)
		switch {
		case treeDiff(got, oldTree) == "":
			t.Logf("run %d: old export (%s)", i, strings.TrimSpace(log.String()))
		case treeDiff(got, newTree) == "":
			t.Logf("run %d: new export (%s)", i, strings.TrimSpace(log.String()))
		}
		if treeDiff(got, oldTree) != "" && treeDiff(got, newTree) != "" {
			t.Fatalf("run %d: neither the old nor the new export:\n%s", i, treeDiff(got, newTree))
		}
		mustExport(t, cfgA, "--format", "yaml", "-o", dir)
		for p := range tree(t, dir) {
			if strings.HasPrefix(p, ".celestra-staging") || strings.HasPrefix(p, ".celestra-journal") {
				t.Fatalf("left behind: %s", p)
			}
		}
	}
	if killed == 0 {
		t.Error("no export was killed while writing")
	}
	t.Logf("%d of 5 killed before they ended", killed)
}

// waitFor polls until p exists (the export started writing), or fails if
// the process ends first.
func waitFor(t *testing.T, p string, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Lstat(p); err == nil {
			return
		}
		if err := syscall.Kill(cmd.Process.Pid, 0); err != nil {
			t.Fatalf("the export ended before %s appeared", p)
		}
		time.Sleep(200 * time.Microsecond)
	}
	t.Fatalf("%s never appeared", p)
}

// waitStopped waits until the process pid is stopped (state T in
// /proc/<pid>/stat): SIGSTOP takes effect some time after it is sent.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return // no /proc, or the process ended: the caller sees which
		}
		// The state follows the command name, which ends with ") ".
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'T' {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Fatalf("process %d did not stop", pid)
}

// SIGINT and SIGTERM while an export stages its files: the process removes
// the staging folder, writes nothing and exits 1. The process is stopped
// (SIGSTOP) as soon as it stages, so that the signal certainly arrives
// before its commit.
func TestExportSignalRemovesStaging(t *testing.T) {
	cfgA, cfgB := writeConfig(t, "a"), writeConfig(t, "b")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			for attempt := 0; ; attempt++ {
				if attempt == 5 {
					t.Fatal("never caught the export before its commit")
				}
				dir := filepath.Join(t.TempDir(), "out")
				mustExport(t, cfgA, "--format", "all", "-o", dir)
				before := tree(t, dir)
				cmd := celestraCmd("export", cfgB, "--format", "all", "-o", dir)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitFor(t, filepath.Join(dir, ".celestra-staging"), cmd)
				_ = cmd.Process.Signal(syscall.SIGSTOP)
				waitStopped(t, cmd.Process.Pid)
				if _, err := os.Lstat(filepath.Join(dir, ".celestra-journal")); err == nil {
					_ = cmd.Process.Signal(syscall.SIGCONT)
					_ = cmd.Wait()
					continue // committed already: try again
				}
				_ = cmd.Process.Signal(sig)
				_ = cmd.Process.Signal(syscall.SIGCONT)
				err := cmd.Wait()
				if err == nil {
					// Stopped between its last look at the signal and the
					// commit (the journal's rename): once committed, an
					// export finishes. Try again; an export that ignored
					// the signal every time fails above.
					continue
				}
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != ExitInvalidConfig {
					t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
				}
				if !strings.Contains(stderr.String(), "interrupted: nothing was written") {
					t.Errorf("stderr: %s", stderr.String())
				}
				if d := treeDiff(tree(t, dir), before); d != "" {
					t.Errorf("the folder changed:\n%s", d)
				}
				return
			}
		})
	}
}

// A signal while an export waits for another one's lock stops it too.
func TestExportSignalWhileWaitingForTheLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustExport(t, writeConfig(t, "a"), "-o", dir)
	before := tree(t, dir)
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	cmd := celestraCmd("export", writeConfig(t, "b"), "-o", dir)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(stderr.String(), "waiting for another export") {
		if syscall.Kill(cmd.Process.Pid, 0) != nil {
			t.Fatalf("ended: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err == nil || !strings.Contains(stderr.String(), "interrupted: nothing was written") {
		t.Errorf("exit %v: %s", err, stderr.String())
	}
	if d := treeDiff(tree(t, dir), before); d != "" {
		t.Errorf("the folder changed:\n%s", d)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Two, then four, celestra exports of different configurations into one
// folder at once end as exactly one of them.
func TestConcurrentExportsEndAsOneOfThem(t *testing.T) {
	type job struct{ cfg, format string }
	jobs := []job{
		{writeConfig(t, "a"), "all"},
		{writeConfig(t, "b"), "yaml"},
		{writeConfig(t, "c"), "compose"},
		{writeConfig(t, "d"), "helm"},
	}
	refs := make([]map[string]fileState, len(jobs))
	for i, j := range jobs {
		dir := filepath.Join(t.TempDir(), "out")
		mustExport(t, j.cfg, "--format", j.format, "-o", dir)
		refs[i] = tree(t, dir)
	}
	for _, n := range []int{2, 4} {
		dir := filepath.Join(t.TempDir(), "out")
		var wg sync.WaitGroup
		outs := make([][]byte, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				outs[i], errs[i] = celestraCmd("export", jobs[i].cfg, "--format", jobs[i].format, "-o", dir).CombinedOutput()
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("export %d: %v: %s", i, errs[i], outs[i])
			}
		}
		got := tree(t, dir)
		matches := 0
		for i := range n {
			if treeDiff(got, refs[i]) == "" {
				matches++
			}
		}
		if matches != 1 {
			t.Fatalf("%d at once: the folder is not exactly one of the exports:\n%s", n, treeDiff(got, refs[0]))
		}
	}
}

// A FIFO named x.cue in the configuration's folder: vet and export refuse
// it at once (exit 1, nothing written) instead of blocking on it.
func TestVetAndExportRefuseAFIFO(t *testing.T) {
	cfg := writeConfig(t, "")
	if err := syscall.Mkfifo(filepath.Join(cfg, "x.cue"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	for _, args := range [][]string{{"vet", cfg}, {"export", cfg, "-o", out}} {
		cmd := celestraCmd(args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != ExitInvalidConfig || !strings.Contains(stderr.String(), "x.cue: is a named pipe (FIFO)") {
			t.Errorf("%v: %v: %s", args, err, stderr.String())
		}
	}
	if _, err := os.Lstat(out); err == nil {
		t.Error("export wrote something")
	}
}
