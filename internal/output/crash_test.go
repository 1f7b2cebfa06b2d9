package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/celestra-dev/celestra/exporters"
)

// The tests below run this test binary again as a helper process that
// writes an export (or recovers a folder) and, at a chosen step, kills
// itself with SIGKILL: a real crash, with no deferred function run.
const helperEnv = "CELESTRA_OUTPUT_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

func helper(mode string) int {
	dir := os.Getenv("HELPER_DIR")
	killAt, err := strconv.Atoi(os.Getenv("HELPER_KILL_AT"))
	if err != nil {
		killAt = -1
	}
	n := 0
	hook := func(string) {
		if n == killAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		n++
	}
	switch mode {
	case "write":
		files, private := exportNamed(os.Getenv("HELPER_EXPORT"))
		err = Write(context.Background(), dir, files, Options{Private: private, testHook: hook, Log: os.Stderr})
	case "recover":
		err = recoverFolder(dir, os.Stderr, hook)
	default:
		err = fmt.Errorf("unknown helper mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// helperCmd prepares a helper process.
func helperCmd(t *testing.T, mode, dir, export string, killAt int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_DIR="+dir, "HELPER_EXPORT="+export, "HELPER_KILL_AT="+strconv.Itoa(killAt))
	return cmd
}

// runKilled runs a helper that must die of SIGKILL at step killAt.
func runKilled(t *testing.T, mode, dir, export string, killAt int) {
	t.Helper()
	cmd := helperCmd(t, mode, dir, export, killAt)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("%s killed at step %d: not killed (err %v, stderr %s)", mode, killAt, err, stderr.String())
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s killed at step %d: ended with %v, stderr %s", mode, killAt, err, stderr.String())
	}
}

// exportNamed is one of the exports the crash and concurrency tests write.
func exportNamed(name string) (exporters.Files, map[string]bool) {
	switch name {
	case "a":
		return exportA()
	case "b":
		return exportB()
	case "c":
		return exporters.Files{"c.yaml": []byte("c")}, nil
	}
	if k, ok := strings.CutPrefix(name, "big"); ok {
		n, _ := strconv.Atoi(k)
		return bigExport(n)
	}
	panic("unknown export " + name)
}

// exportA and exportB differ in every way an export can: files added,
// changed, unchanged and removed, folders created and emptied, a file that
// becomes a folder and a folder that becomes a file, a file that turns
// private.
func exportA() (exporters.Files, map[string]bool) {
	files := exporters.Files{
		"docker-compose.yaml":  []byte("services: a\n"),
		"unchanged.yaml":       []byte("same\n"),
		"secrets/db/password":  []byte("pw-a"),
		"secrets/old/password": []byte("old-a"),
		"gone/deep/x.yaml":     []byte("x"),
		"keepdir/a.yaml":       []byte("a"),
		"x":                    []byte("x is a file"),
		"z/w":                  []byte("z is a folder"),
		"flip.yaml":            []byte("public"),
	}
	for i := range 12 {
		files[fmt.Sprintf("objs/obj-%03d.yaml", i)] = []byte(fmt.Sprintf("a %d\n", i))
	}
	return files, map[string]bool{"secrets/db/password": true, "secrets/old/password": true}
}

func exportB() (exporters.Files, map[string]bool) {
	files := exporters.Files{
		"docker-compose.yaml": []byte("services: b\n"),
		"unchanged.yaml":      []byte("same\n"),
		"secrets/db/password": []byte("pw-b"),
		"secrets/new/env":     []byte("PW=b"),
		"x/y":                 []byte("x is a folder"),
		"z":                   []byte("z is a file"),
		"flip.yaml":           []byte("private now"),
		"fresh/dir/f.yaml":    []byte("f"),
	}
	for i := 4; i < 16; i++ {
		data := fmt.Sprintf("a %d\n", i)
		if i%2 == 0 {
			data = fmt.Sprintf("b %d\n", i)
		}
		files[fmt.Sprintf("objs/obj-%03d.yaml", i)] = []byte(data)
	}
	return files, map[string]bool{"secrets/db/password": true, "secrets/new/env": true, "flip.yaml": true}
}

// bigExport is one of several large, different exports.
func bigExport(k int) (exporters.Files, map[string]bool) {
	files := exporters.Files{}
	private := map[string]bool{}
	for i := range 150 + 40*k {
		p := fmt.Sprintf("e%d/app-%03d/obj-%d.yaml", i%(k+2), i/5, i)
		files[p] = []byte(fmt.Sprintf("export %d object %d\n", k, i))
		if i%7 == k {
			private[p] = true
		}
	}
	files["export.txt"] = []byte(fmt.Sprintf("export %d\n", k))
	return files, private
}

// setupOld is an output folder holding export a and the user's own files,
// one of them in a folder celestra created.
func setupOld(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	if err := exec.Command("cp", "-a", oldTemplate(t), dir).Run(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// oldTemplate builds the folder setupOld copies, once per test.
func oldTemplate(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "celestra-output-test-old-"+strconv.Itoa(os.Getpid())+"-"+strings.ReplaceAll(t.Name(), "/", "_"))
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	mustFile(t, filepath.Join(dir, "notes.md"), "the user's")
	a, pa := exportA()
	mustWrite(t, dir, a, Options{Private: pa})
	mustFile(t, filepath.Join(dir, "keepdir/mine.txt"), "the user's too")
	return dir
}

// A crash at any step of writing b over a, followed by the recovery the
// next run does first, leaves exactly a or exactly b, with the user's files
// as they were; the next export then succeeds and leaves no staging.
func TestCrashAtEveryStepLeavesOldOrNew(t *testing.T) {
	b, pb := exportB()
	oldSnap := snapshot(t, setupOld(t))
	ref := setupOld(t)
	mustWrite(t, ref, b, Options{Private: pb})
	newSnap := snapshot(t, ref)

	var steps []string
	mustWrite(t, setupOld(t), b, Options{Private: pb, testHook: func(s string) { steps = append(steps, s) }})
	commit := slices.Index(steps, "commit")
	if commit < 0 {
		t.Fatalf("no commit step in %v", steps)
	}
	kinds := map[string]int{}
	tested := 0
	for i, s := range steps {
		kind, _, _ := strings.Cut(s, " ")
		// Every step but the staging of the files, and one in three of
		// those: every move, removal, folder change, sync and the commit.
		if (kind == "create" || kind == "write") && strings.HasPrefix(s, kind+" f") && i%3 != 0 {
			continue
		}
		kinds[kind]++
		tested++
		dir := setupOld(t)
		runKilled(t, "write", dir, "b", i)
		var log bytes.Buffer
		if err := Recover(dir, &log); err != nil {
			t.Fatalf("killed at step %d (%s): recovery: %v", i, s, err)
		}
		got := snapshot(t, dir)
		want, which := oldSnap, "old"
		if i > commit {
			want, which = newSnap, "new"
		}
		if i > commit && i <= slices.Index(steps, "remove journal") {
			if !strings.Contains(log.String(), "completed an interrupted export") {
				t.Errorf("killed at step %d (%s): the recovery did not say so: %q", i, s, log.String())
			}
		}
		if d := diffSnapshots(got, want); d != "" {
			t.Fatalf("killed at step %d (%s): not the %s export after recovery:\n%s", i, s, which, d)
		}
		// A crash during the recovery itself, too.
		if i > commit && i%5 == 0 {
			dir := setupOld(t)
			runKilled(t, "write", dir, "b", i)
			runKilled(t, "recover", dir, "", (i-commit)/2)
			if err := Recover(dir, &log); err != nil {
				t.Fatal(err)
			}
			if d := diffSnapshots(snapshot(t, dir), newSnap); d != "" {
				t.Fatalf("killed at step %d, then in recovery: not the new export:\n%s", i, d)
			}
		}
		// The next export works and leaves no staging or journal.
		if i%4 == 0 {
			mustWrite(t, dir, exporters.Files{"c.yaml": []byte("c")}, Options{})
			got := names(snapshot(t, dir))
			for _, n := range got {
				if strings.HasPrefix(n, ".celestra-") && n != ManifestName {
					t.Fatalf("left behind: %v", got)
				}
			}
			if !slices.Contains(got, "notes.md") || !slices.Contains(got, "keepdir/mine.txt") {
				t.Fatalf("user's files lost: %v", got)
			}
		}
	}
	for _, k := range []string{"mkdir", "create", "write", "sync", "commit", "remove", "rmdir", "rename", "chmod"} {
		if kinds[k] == 0 && k != "chmod" {
			t.Errorf("no crash tested at a %q step (steps: %v)", k, steps)
		}
	}
	t.Logf("%d steps, %d crash points: %v", len(steps), tested, kinds)
}

// The next Write, not only Recover, completes a committed export first and
// says so.
func TestNextWriteCompletesACommittedExport(t *testing.T) {
	b, pb := exportB()
	var steps []string
	mustWrite(t, setupOld(t), b, Options{Private: pb, testHook: func(s string) { steps = append(steps, s) }})
	commit := slices.Index(steps, "commit")
	dir := setupOld(t)
	runKilled(t, "write", dir, "b", commit+3)
	var log bytes.Buffer
	mustWrite(t, dir, b, Options{Private: pb, Log: &log})
	if !strings.Contains(log.String(), "completed an interrupted export into "+dir) {
		t.Errorf("log %q", log.String())
	}
	ref := setupOld(t)
	mustWrite(t, ref, b, Options{Private: pb})
	if d := diffSnapshots(snapshot(t, dir), snapshot(t, ref)); d != "" {
		t.Error(d)
	}
}

// Concurrent exports into one folder, in separate processes, end as
// exactly one of them: two at once, then four.
func TestConcurrentExportsEndAsOne(t *testing.T) {
	refs := map[int]map[string]entry{}
	for k := range 4 {
		dir := filepath.Join(t.TempDir(), "out")
		mustFile(t, filepath.Join(dir, "notes.md"), "the user's")
		files, private := bigExport(k)
		mustWrite(t, dir, files, Options{Private: private})
		refs[k] = snapshot(t, dir)
	}
	for round, n := range []int{2, 2, 2, 4, 4, 4} {
		dir := filepath.Join(t.TempDir(), "out")
		mustFile(t, filepath.Join(dir, "notes.md"), "the user's")
		var wg sync.WaitGroup
		errs := make([]error, n)
		outs := make([]bytes.Buffer, n)
		for k := range n {
			cmd := helperCmd(t, "write", dir, fmt.Sprintf("big%d", k), -1)
			cmd.Stderr = &outs[k]
			wg.Go(func() { errs[k] = cmd.Run() })
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Fatalf("round %d: export %d: %v: %s", round, k, err, outs[k].String())
			}
		}
		got := snapshot(t, dir)
		winner := -1
		for k := range n {
			if diffSnapshots(got, refs[k]) == "" {
				winner = k
			}
		}
		if winner < 0 {
			t.Fatalf("round %d (%d at once): the folder is none of the exports:\n%s", round, n, diffSnapshots(got, refs[0]))
		}
	}
}

// A file the journal removes is removed only if it still has the content
// celestra wrote: one edited between the crash and the recovery is kept.
func TestRecoveryKeepsAFileEditedAfterTheCrash(t *testing.T) {
	b, pb := exportB()
	var steps []string
	mustWrite(t, setupOld(t), b, Options{Private: pb, testHook: func(s string) { steps = append(steps, s) }})
	commit := slices.Index(steps, "commit")
	if !strings.HasPrefix(steps[commit+1], "remove ") {
		t.Fatalf("the first step after the commit is %q", steps[commit+1])
	}
	dir := setupOld(t)
	runKilled(t, "write", dir, "b", commit+1)
	mustFile(t, filepath.Join(dir, "gone/deep/x.yaml"), "edited after the crash")
	if err := Recover(dir, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, dir)
	if got["gone/deep/x.yaml"].data != "edited after the crash" {
		t.Error("an edited file was removed by the recovery")
	}
	if got["docker-compose.yaml"].data != "services: b\n" {
		t.Error("the export was not completed")
	}
}

// Staging folders of older celestra versions (".celestra-staging-<random>",
// left by killed runs with secrets in them) are removed; a file with such
// a name is not celestra's and stays.
func TestLegacyStagingIsRemoved(t *testing.T) {
	dir := t.TempDir()
	mustFile(t, filepath.Join(dir, ".celestra-staging-123/secrets/pw"), "pw")
	mustFile(t, filepath.Join(dir, ".celestra-staging-file"), "mine")
	mustWrite(t, dir, exporters.Files{"a": []byte("a")}, Options{})
	got := names(snapshot(t, dir))
	if !slices.Equal(got, []string{".celestra-files", ".celestra-staging-file", "a"}) {
		t.Errorf("files %v", got)
	}
}
