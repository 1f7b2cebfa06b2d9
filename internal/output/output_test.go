package output

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/celestra-dev/celestra/exporters"
)

// entry is what a test sees of one thing in a folder.
type entry struct {
	mode fs.FileMode
	data string // content of a file, target of a link
}

// snapshot is everything in dir (names, types, permissions, contents),
// keyed by slash path.
func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.data, _ = os.Readlink(p)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.data = string(data)
		}
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(s map[string]entry) []string { return slices.Sorted(maps.Keys(s)) }

// diffSnapshots describes how got differs from want, or "".
func diffSnapshots(got, want map[string]entry) string {
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[p]
		switch {
		case !ok:
			fmt.Fprintf(&b, "missing %s\n", p)
		case g.mode != want[p].mode:
			fmt.Fprintf(&b, "%s: mode %v, want %v\n", p, g.mode, want[p].mode)
		case g.data != want[p].data:
			fmt.Fprintf(&b, "%s: content differs\n", p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			fmt.Fprintf(&b, "unexpected %s\n", p)
		}
	}
	return b.String()
}

func write(t *testing.T, dir string, files exporters.Files, opts Options) error {
	t.Helper()
	return Write(context.Background(), dir, files, opts)
}

func mustWrite(t *testing.T, dir string, files exporters.Files, opts Options) {
	t.Helper()
	if err := write(t, dir, files, opts); err != nil {
		t.Fatal(err)
	}
}

func mustFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// refused runs a Write that must fail with a message containing each of
// wants, and leave dir exactly as it was.
func refused(t *testing.T, dir string, files exporters.Files, opts Options, wants ...string) {
	t.Helper()
	before := snapshot(t, dir)
	err := write(t, dir, files, opts)
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if d := diffSnapshots(snapshot(t, dir), before); d != "" {
		t.Errorf("the folder changed on a refusal:\n%s", d)
	}
}

func TestWriteCreatesFilesAndManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a\n"), "sub/b.yaml": []byte("b\n")}, Options{})
	got := snapshot(t, dir)
	want := []string{ManifestName, "a.yaml", "sub", "sub/b.yaml"}
	if !slices.Equal(names(got), want) {
		t.Errorf("files %v, want %v", names(got), want)
	}
	if got["sub/b.yaml"].data != "b\n" {
		t.Errorf("content %q", got["sub/b.yaml"].data)
	}
	manifest := got[ManifestName].data
	for _, line := range []string{"folder sub\n", "file " + hashOf([]byte("b\n")) + " sub/b.yaml\n"} {
		if !strings.Contains(manifest, line) {
			t.Errorf("manifest lacks %q:\n%s", line, manifest)
		}
	}
}

// A second export removes what the first wrote and the second does not,
// including the folders it created and no longer needs, and never touches a
// file celestra did not write.
func TestWriteRemovesOnlyItsOwnStaleFiles(t *testing.T) {
	dir := t.TempDir()
	mustFile(t, filepath.Join(dir, "notes.md"), "mine")
	mustWrite(t, dir, exporters.Files{"old.yaml": []byte("1"), "kept.yaml": []byte("1"), "gone/deep/x.yaml": []byte("1")}, Options{})
	mustWrite(t, dir, exporters.Files{"kept.yaml": []byte("2"), "new.yaml": []byte("2")}, Options{})
	want := []string{ManifestName, "kept.yaml", "new.yaml", "notes.md"}
	if got := names(snapshot(t, dir)); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

// Exporting the same files again changes nothing, not even a time stamp.
func TestWriteSameExportTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	files := exporters.Files{"a.yaml": []byte("a"), "s/secret.env": []byte("pw")}
	opts := Options{Private: map[string]bool{"s/secret.env": true}}
	mustWrite(t, dir, files, opts)
	before, err := os.Stat(filepath.Join(dir, "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, dir)
	mustWrite(t, dir, files, opts)
	after, _ := os.Stat(filepath.Join(dir, "a.yaml"))
	if !os.SameFile(before, after) {
		t.Error("an unchanged file was replaced")
	}
	if d := diffSnapshots(snapshot(t, dir), snap); d != "" {
		t.Error(d)
	}
}

func TestWriteRefusesPathsOutsideTheFolder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"../escape.yaml", "/abs.yaml", "a/../../b", "./a", ManifestName, ".celestra-staging/x", "a\nb"} {
		refused(t, dir, exporters.Files{p: []byte("x")}, Options{}, "refusing to write")
	}
	refused(t, dir, exporters.Files{"a": []byte("x"), "a/b": []byte("y")}, Options{}, "both a file and a folder")
	refused(t, dir, exporters.Files{"a": []byte("x"), "a-b": []byte("y"), "a/b/c": []byte("z")}, Options{}, "both a file and a folder")
}

// When a file cannot be put in place, nothing changes: every check is made
// before the first change.
func TestWriteFailsBeforeTouchingTheFolder(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"secret-a.yaml": []byte("old"), "sts.yaml": []byte("old")}, Options{})
	if err := os.Mkdir(filepath.Join(dir, "blocked.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, exporters.Files{"blocked.yaml": []byte("x"), "secret-a.yaml": []byte("new"), "sts.yaml": []byte("new")}, Options{},
		filepath.Join(dir, "blocked.yaml"), "a folder is in the way")
	// --force never removes a folder either.
	refused(t, dir, exporters.Files{"blocked.yaml": []byte("x"), "secret-a.yaml": []byte("new")}, Options{Force: true}, "a folder is in the way")
	// A file where a folder must go.
	mustFile(t, filepath.Join(dir, "sub"), "mine")
	refused(t, dir, exporters.Files{"sub/x.yaml": []byte("x"), "sts.yaml": []byte("new")}, Options{}, filepath.Join(dir, "sub"), "not a folder")
}

// A hand-written file with the name of an output file is not overwritten
// without --force, and the error names it; --force overwrites it.
func TestWriteRefusesAForeignFile(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a1")}, Options{})
	mustFile(t, filepath.Join(dir, "b.yaml"), "hand-written")
	refused(t, dir, exporters.Files{"a.yaml": []byte("a2"), "b.yaml": []byte("b2")}, Options{},
		filepath.Join(dir, "b.yaml"), "celestra did not write it", "--force")
	if strings.Contains(fmt.Sprint(write(t, dir, exporters.Files{"a.yaml": []byte("a2"), "b.yaml": []byte("b2")}, Options{})), filepath.Join(dir, "a.yaml")) {
		t.Error("celestra's own file named as foreign")
	}

	// Without a manifest, every existing output file is foreign.
	fresh := t.TempDir()
	mustFile(t, filepath.Join(fresh, "a.yaml"), "a1")
	refused(t, fresh, exporters.Files{"a.yaml": []byte("a1")}, Options{}, filepath.Join(fresh, "a.yaml"))

	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a2"), "b.yaml": []byte("b2")}, Options{Force: true})
	if got := snapshot(t, dir)["b.yaml"].data; got != "b2" {
		t.Errorf("b.yaml = %q after --force", got)
	}
	// From then on b.yaml is celestra's.
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a3")}, Options{})
	if _, ok := snapshot(t, dir)["b.yaml"]; ok {
		t.Error("b.yaml not removed once celestra's")
	}
}

// A file celestra wrote and the user edited since is the user's: a later
// export neither overwrites it (without --force) nor removes it.
func TestWriteKeepsAnEditedOutputFile(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a1"), "b.yaml": []byte("b1"), "sub/c.yaml": []byte("c1")}, Options{})
	mustFile(t, filepath.Join(dir, "a.yaml"), "edited")
	mustFile(t, filepath.Join(dir, "sub/c.yaml"), "edited too")

	refused(t, dir, exporters.Files{"a.yaml": []byte("a2")}, Options{}, filepath.Join(dir, "a.yaml"), "edited since")

	var log bytes.Buffer
	mustWrite(t, dir, exporters.Files{"b.yaml": []byte("b2")}, Options{Log: &log})
	got := snapshot(t, dir)
	if got["a.yaml"].data != "edited" || got["sub/c.yaml"].data != "edited too" {
		t.Errorf("edited files changed: %v", names(got))
	}
	if !strings.Contains(log.String(), filepath.Join(dir, "a.yaml")+": it was edited since") {
		t.Errorf("no note about the kept file: %q", log.String())
	}
	if strings.Contains(got[ManifestName].data, "a.yaml") {
		t.Error("an edited file is still listed as celestra's")
	}
	// The folder celestra created stays while the user's file is in it,
	// and goes once it is empty.
	if err := os.Remove(filepath.Join(dir, "sub/c.yaml")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, dir, exporters.Files{"b.yaml": []byte("b3")}, Options{})
	if _, ok := snapshot(t, dir)["sub"]; ok {
		t.Error("empty folder celestra created not removed")
	}
}

// An edited or hostile manifest can never make celestra remove or replace
// anything outside its own files.
func TestWriteRefusesAnEditedManifest(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	mustFile(t, filepath.Join(victim, "x"), "precious")
	dir := filepath.Join(base, "out")
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a")}, Options{})
	sum := hashOf([]byte("precious"))
	for _, line := range []string{
		"file " + sum + " ../victim/x",
		"file " + sum + " " + filepath.Join(victim, "x"),
		"file " + sum + " ./x",
		"file " + sum + " .celestra-journal",
		"file nothex a.yaml",
		"folder ../victim",
		"rm -rf /",
	} {
		t.Run(line, func(t *testing.T) {
			m := manifestHeader + "\n" + line + "\n"
			mustFile(t, filepath.Join(dir, ManifestName), m)
			refused(t, dir, exporters.Files{"b.yaml": []byte("b")}, Options{}, ManifestName+" line 2", "--force")
			// --force ignores the line: the victim stays.
			mustWrite(t, dir, exporters.Files{"b.yaml": []byte("b")}, Options{Force: true})
			if data, err := os.ReadFile(filepath.Join(victim, "x")); err != nil || string(data) != "precious" {
				t.Fatalf("victim touched: %q, %v", data, err)
			}
		})
	}
	// A manifest of an older celestra (plain paths) proves nothing.
	mustFile(t, filepath.Join(dir, ManifestName), "b.yaml\n")
	refused(t, dir, exporters.Files{"b.yaml": []byte("b2")}, Options{}, filepath.Join(dir, "b.yaml"))
}

// Every route through a symbolic link is refused, naming the link, and
// nothing outside the folder is written or removed.
func TestWriteRefusesSymlinks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir, outside string) // dir is the output folder
		files exporters.Files
		link  string
	}{
		{
			name:  "a folder of an output file links outside",
			setup: func(t *testing.T, dir, outside string) { symlink(t, "../outside", filepath.Join(dir, "compose")) },
			files: exporters.Files{"compose/secrets/db/password": []byte("pw")},
			link:  "compose",
		},
		{
			name: "a folder of an output file links inside",
			setup: func(t *testing.T, dir, outside string) {
				mustMkdir(t, filepath.Join(dir, "real"))
				symlink(t, "real", filepath.Join(dir, "compose"))
			},
			files: exporters.Files{"compose/x": []byte("x")},
			link:  "compose",
		},
		{
			name:  "an output file is a link",
			setup: func(t *testing.T, dir, outside string) { symlink(t, "../outside/target", filepath.Join(dir, "a.yaml")) },
			files: exporters.Files{"a.yaml": []byte("x")},
			link:  "a.yaml",
		},
		{
			name: "a manifest entry under a linked folder",
			setup: func(t *testing.T, dir, outside string) {
				mustFile(t, filepath.Join(dir, ManifestName), manifestHeader+"\nfile "+hashOf([]byte("victim"))+" link/target\n")
				symlink(t, "../outside", filepath.Join(dir, "link"))
			},
			files: exporters.Files{"a.yaml": []byte("x")},
			link:  "link",
		},
		{
			name: "a manifest folder is a link",
			setup: func(t *testing.T, dir, outside string) {
				mustFile(t, filepath.Join(dir, ManifestName), manifestHeader+"\nfolder link\n")
				symlink(t, "../outside", filepath.Join(dir, "link"))
			},
			files: exporters.Files{"a.yaml": []byte("x")},
			link:  "link",
		},
		{
			name: "the manifest is a link",
			setup: func(t *testing.T, dir, outside string) {
				symlink(t, "../outside/target", filepath.Join(dir, ManifestName))
			},
			files: exporters.Files{"a.yaml": []byte("x")},
			link:  ManifestName,
		},
		{
			name:  "the staging folder is a link",
			setup: func(t *testing.T, dir, outside string) { symlink(t, "../outside", filepath.Join(dir, stagingName)) },
			files: exporters.Files{"a.yaml": []byte("x")},
			link:  stagingName,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir, outside := filepath.Join(base, "out"), filepath.Join(base, "outside")
			mustFile(t, filepath.Join(outside, "target"), "victim")
			mustMkdir(t, dir)
			tc.setup(t, dir, outside)
			before := snapshot(t, base)
			for _, force := range []bool{false, true} {
				err := write(t, dir, tc.files, Options{Force: force})
				if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.link)+" is a symbolic link") {
					t.Errorf("force=%v: error %v, want one naming the link %s", force, err, tc.link)
				}
			}
			if d := diffSnapshots(snapshot(t, base), before); d != "" {
				t.Errorf("changed:\n%s", d)
			}
		})
	}
}

// A folder listed as a file in the manifest (a user replaced a file by a
// folder) is kept, and the export succeeds.
func TestWriteKeepsAListedNonEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a"), "d": []byte("file")}, Options{})
	if err := os.Remove(filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	mustFile(t, filepath.Join(dir, "d", "mine"), "mine")
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a2")}, Options{})
	got := snapshot(t, dir)
	if got["d/mine"].data != "mine" || got["a.yaml"].data != "a2" {
		t.Errorf("got %v", names(got))
	}
}

// A file can become a folder and a folder a file between two exports.
func TestWriteFileToFolderAndBack(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"x": []byte("file")}, Options{})
	mustWrite(t, dir, exporters.Files{"x/y": []byte("inside")}, Options{})
	if got := snapshot(t, dir)["x/y"].data; got != "inside" {
		t.Fatalf("x/y = %q", got)
	}
	mustWrite(t, dir, exporters.Files{"x": []byte("file again")}, Options{})
	if got := snapshot(t, dir)["x"]; got.data != "file again" || !got.mode.IsRegular() {
		t.Fatalf("x = %v", got)
	}
}

// Private files are 0600 in 0700 folders, others 0644 in 0755, under umask
// 022; a umask of 0 widens nothing private.
func TestWriteModes(t *testing.T) {
	for _, umask := range []int{0o022, 0} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			dir := filepath.Join(t.TempDir(), "out")
			files := exporters.Files{
				"docker-compose.yaml":     []byte("c"),
				"secrets/db/password":     []byte("pw"),
				"secrets/db.env":          []byte("PW=pw"),
				"configs/db/conf":         []byte("conf"),
				"helm/db/templates/s.yml": []byte("s"),
				"helm/db/Chart.yaml":      []byte("c"),
			}
			private := map[string]bool{"secrets/db/password": true, "secrets/db.env": true, "helm/db/templates/s.yml": true}
			mustWrite(t, dir, files, Options{Private: private})
			want := map[string]fs.FileMode{
				".":                       0o700,
				ManifestName:              0o644,
				"docker-compose.yaml":     0o644,
				"secrets":                 0o700,
				"secrets/db":              0o700,
				"secrets/db/password":     0o600,
				"secrets/db.env":          0o600,
				"configs":                 0o755,
				"configs/db":              0o755,
				"configs/db/conf":         0o644,
				"helm":                    0o700,
				"helm/db":                 0o700,
				"helm/db/templates":       0o700,
				"helm/db/templates/s.yml": 0o600,
				"helm/db/Chart.yaml":      0o644,
			}
			checkModes(t, dir, want)

			// The secret goes: its folders become public again; a file that
			// turns private becomes 0600.
			delete(files, "helm/db/templates/s.yml")
			private = map[string]bool{"secrets/db/password": true, "secrets/db.env": true, "configs/db/conf": true}
			mustWrite(t, dir, files, Options{Private: private})
			want["helm"], want["helm/db"] = 0o755, 0o755
			delete(want, "helm/db/templates/s.yml")
			delete(want, "helm/db/templates")
			want["configs"], want["configs/db"], want["configs/db/conf"] = 0o700, 0o700, 0o600
			checkModes(t, dir, want)
		})
	}
}

func checkModes(t *testing.T, dir string, want map[string]fs.FileMode) {
	t.Helper()
	for p, mode := range want {
		info, err := os.Lstat(filepath.Join(dir, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if info.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), mode)
		}
	}
}

// An interruption before the commit removes staging and leaves the old
// export; the error says nothing was written.
func TestWriteInterruptedRemovesStaging(t *testing.T) {
	a, pa := exportA()
	b, pb := exportB()
	steps := countSteps(t, a, pa, b, pb)
	commit := slices.Index(steps, "commit")
	for _, at := range []int{0, 1, 2, commit / 2, commit - 1, commit} {
		dir := t.TempDir()
		mustWrite(t, dir, a, Options{Private: pa})
		before := snapshot(t, dir)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := Write(ctx, dir, b, Options{Private: pb, testHook: func(string) {
			if n == at {
				cancel()
			}
			n++
		}})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "interrupted: nothing was written") {
			t.Fatalf("cancel at step %d (%s): error %v", at, steps[at], err)
		}
		if d := diffSnapshots(snapshot(t, dir), before); d != "" {
			t.Fatalf("cancel at step %d (%s): folder changed:\n%s", at, steps[at], d)
		}
	}
}

// countSteps lists the steps of writing b over a.
func countSteps(t *testing.T, a exporters.Files, pa map[string]bool, b exporters.Files, pb map[string]bool) []string {
	t.Helper()
	dir := t.TempDir()
	mustWrite(t, dir, a, Options{Private: pa})
	var steps []string
	mustWrite(t, dir, b, Options{Private: pb, testHook: func(s string) { steps = append(steps, s) }})
	return steps
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// A folder of the previous export that the user replaced by a file of the
// same name: the file is the user's, kept, and the export succeeds.
func TestWriteKeepsAFileThatReplacedAFolder(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a"), "d/x.yaml": []byte("x")}, Options{})
	if err := os.RemoveAll(filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	mustFile(t, filepath.Join(dir, "d"), "mine")
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a2")}, Options{})
	if got := snapshot(t, dir)["d"].data; got != "mine" {
		t.Errorf("d = %q", got)
	}
}

// A journal that celestra did not write (its checksum does not match), or
// whose operations would leave the export's paths, is never applied.
func TestWriteRefusesAForgedJournal(t *testing.T) {
	base := t.TempDir()
	mustFile(t, filepath.Join(base, "victim"), "precious")
	dir := filepath.Join(base, "out")
	mustWrite(t, dir, exporters.Files{"a.yaml": []byte("a")}, Options{})
	forged := []op{{Op: opRemove, Path: "../victim", Hash: hashOf([]byte("precious"))}}
	withSum, err := encodeJournal(forged)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ journal, want string }{
		"bad checksum": {`{"ops":[{"op":"remove","path":"a.yaml"}],"sum":"00"}`, "does not match its checksum"},
		"path outside": {string(withSum), `"../victim" is not a clean path`},
		"not JSON":     {"rm -rf /", "is damaged"},
	} {
		t.Run(name, func(t *testing.T) {
			mustFile(t, filepath.Join(dir, journalName), tc.journal)
			refused(t, dir, exporters.Files{"b.yaml": []byte("b")}, Options{Force: true}, tc.want)
			if data, _ := os.ReadFile(filepath.Join(base, "victim")); string(data) != "precious" {
				t.Error("victim touched")
			}
		})
	}
}
