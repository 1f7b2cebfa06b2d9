// Package testcases lists the configurations that the tests of every output
// format run on: each folder under examples/ and under testdata/cases/. A
// case added there is covered by every format's tests at once.
package testcases

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dirs returns the configuration folders below the repository root, keyed
// by folder name. Two folders with the same name are an error, since the
// golden files are kept by name.
func Dirs(root string) (map[string]string, error) {
	out := map[string]string{}
	for _, pattern := range []string{"examples/*", "testdata/cases/*"} {
		dirs, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			if info, err := os.Stat(d); err != nil || !info.IsDir() {
				continue
			}
			name := filepath.Base(d)
			if prev, dup := out[name]; dup {
				return nil, fmt.Errorf("two configurations named %s: %s and %s", name, prev, d)
			}
			out[name] = d
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no configurations under %s/examples or %s/testdata/cases", root, root)
	}
	return out, nil
}

// All is Dirs for a test: it finds the repository root above the test's
// package folder and fails the test on any error.
func All(t testing.TB) map[string]string {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := Dirs(root)
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// Root is the repository root: the nearest folder at or above the working
// directory holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
