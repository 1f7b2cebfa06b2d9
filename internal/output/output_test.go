package output

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/celestra-dev/celestra/exporters"
)

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func TestWriteCreatesFilesAndManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	err := Write(dir, exporters.Files{"a.yaml": []byte("a\n"), "sub/b.yaml": []byte("b\n")})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ManifestName, "a.yaml", "sub/b.yaml"}
	if got := listFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sub/b.yaml"))
	if string(data) != "b\n" {
		t.Errorf("content %q", data)
	}
}

// A second export removes what the first wrote and the second does not,
// and never touches a file celestra did not write.
func TestWriteRemovesOnlyItsOwnStaleFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, exporters.Files{"old.yaml": []byte("1"), "kept.yaml": []byte("1")}); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, exporters.Files{"kept.yaml": []byte("2"), "new.yaml": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	want := []string{ManifestName, "kept.yaml", "new.yaml", "notes.md"}
	if got := listFiles(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestWriteRefusesPathsOutsideTheFolder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"../escape.yaml", "/abs.yaml", ManifestName} {
		if err := Write(dir, exporters.Files{p: []byte("x")}); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
	if got := listFiles(t, dir); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}

// When a file cannot be put in place, nothing else is left behind either:
// every file is staged before any is moved.
func TestWriteFailsBeforeTouchingTheFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blocked.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, exporters.Files{"blocked.yaml": []byte("x"), "a.yaml": []byte("a")})
	if err == nil {
		t.Fatal("no error")
	}
	if got := listFiles(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}
}
