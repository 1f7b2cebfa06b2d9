package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/output"
	"github.com/celestra-dev/celestra/internal/testcases"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCases are the configurations whose full export is kept under
// testdata/golden/<name>: every example and testdata case.
func goldenCases(t *testing.T) map[string]string { return testcases.All(t) }

// TestGolden exports every case in every format and compares the tree with
// the golden one, byte for byte. Run with -update to rewrite the goldens.
func TestGolden(t *testing.T) {
	for name, dir := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			if code := Run([]string{"export", dir, "--format", "all", "-o", out}, &stdout, &stderr); code != ExitOK {
				t.Fatalf("export exited %d: %s", code, stderr.String())
			}
			got := readTree(t, out)
			// The manifest is the other files' hashes: the output package's
			// tests check it, and TestDeterministic its bytes.
			delete(got, output.ManifestName)
			golden := filepath.Join("../../testdata/golden", name)
			if *update {
				if err := os.RemoveAll(golden); err != nil {
					t.Fatal(err)
				}
				for p, data := range got {
					dst := filepath.Join(golden, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(dst, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want := readTree(t, golden)
			compareTrees(t, want, got)
		})
	}
}

// TestDeterministic exports each case twice and expects identical bytes.
func TestDeterministic(t *testing.T) {
	for name, dir := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			var trees [2]map[string][]byte
			for i := range trees {
				out := t.TempDir()
				var stdout, stderr bytes.Buffer
				if code := Run([]string{"export", dir, "--format", "all", "-o", out}, &stdout, &stderr); code != ExitOK {
					t.Fatalf("export exited %d: %s", code, stderr.String())
				}
				trees[i] = readTree(t, out)
			}
			compareTrees(t, trees[0], trees[1])
		})
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", root, err)
	}
	return tree
}

func compareTrees(t *testing.T, want, got map[string][]byte) {
	t.Helper()
	var names []string
	for p := range want {
		names = append(names, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, p := range names {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inGot:
			t.Errorf("missing file %s", p)
		case !inWant:
			t.Errorf("unexpected file %s (run go test ./internal/cli -run TestGolden -update if intended)", p)
		case !bytes.Equal(w, g):
			t.Errorf("%s differs from golden:\n%s", p, firstDifference(string(w), string(g)))
		}
	}
}

func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(no line differs)"
}
