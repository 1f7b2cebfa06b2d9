package cli

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
)

// TestParityWithCueExport checks that plain `cue export` of each example and
// case gives the very objects `celestra export` writes: the rendering lives
// in CUE, and the Go side adds validation, not content.
func TestParityWithCueExport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool cue; skipped with -short")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for name, dir := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			rel, err := filepath.Rel(repo, mustAbs(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "tool", "cue", "export", "./"+filepath.ToSlash(rel), "-e", "kubernetes", "--out", "json")
			cmd.Dir = repo
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("cue export (the package must embed celestra.#Config): %v\n%s", err, stderr.String())
			}
			var fromCue map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &fromCue); err != nil {
				t.Fatal(err)
			}

			result, err := loader.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			fromCelestra := objectsByKey(t, result)
			if len(fromCelestra) == 0 {
				t.Fatal("celestra rendered no objects")
			}
			if !reflect.DeepEqual(fromCue, fromCelestra) {
				t.Errorf("objects differ\ncue export: %v\ncelestra:   %v", keys(fromCue), keys(fromCelestra))
				for k, v := range fromCue {
					if !reflect.DeepEqual(v, fromCelestra[k]) {
						t.Errorf("object %s differs", k)
					}
				}
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// objectsByKey is the result's objects parsed from JSON, keyed as in
// `cue export -e kubernetes`.
func objectsByKey(t *testing.T, result *engine.Result) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, o := range result.Objects {
		var obj any
		if err := json.Unmarshal(o.JSON, &obj); err != nil {
			t.Fatal(err)
		}
		out[o.Key] = obj
	}
	return out
}
