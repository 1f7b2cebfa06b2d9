package gen

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedTreeIsCurrent regenerates the Kubernetes definitions from the
// k8s.io/api version in go.mod and fails if the committed k8s/ tree differs:
// run `go generate` after changing the version.
func TestGeneratedTreeIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool cue get go; skipped with -short")
	}
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := Generate(repo, out); err != nil {
		t.Fatal(err)
	}
	want := readCUETree(t, filepath.Join(repo, PackageDir))
	got := readCUETree(t, out)
	if len(want) == 0 {
		t.Fatal("no committed definitions found under k8s/")
	}
	for name, data := range got {
		if w, ok := want[name]; !ok {
			t.Errorf("%s is generated but not committed: run go generate", name)
		} else if !bytes.Equal(w, data) {
			t.Errorf("%s is stale: run go generate", name)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is committed but no longer generated: run go generate", name)
		}
	}
}

func TestRewriteImportsKeepsStrings(t *testing.T) {
	src := []byte(`package v1

import "k8s.io/apimachinery/pkg/apis/meta/v1"

#Key: "k8s.io/initial-events-end"
#T: v1.#TypeMeta
`)
	out, err := rewriteImports("x.cue", src, ModulePath+"/k8s/")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`v1 "github.com/celestra-dev/celestra/k8s/apimachinery/pkg/apis/meta/v1"`)) {
		t.Errorf("import not rewritten:\n%s", out)
	}
	if !bytes.Contains(out, []byte(`"k8s.io/initial-events-end"`)) {
		t.Errorf("string constant changed:\n%s", out)
	}
}

func readCUETree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".cue" {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
