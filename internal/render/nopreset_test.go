package render_test

import (
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoPresetNames fails when the code (not the comments) of the renderer or
// the model names a preset or a preset's tool: what a preset does must come
// from the model.
func TestNoPresetNames(t *testing.T) {
	names := []string{"postgres", "mysql", "mariadb", "mongo", "redis", "kafka", "elasticsearch", "pg_", "exporter"}
	var files []string
	for _, dir := range []string{".", "../../model"} {
		matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				files = append(files, m)
			}
		}
	}
	if len(files) < 5 {
		t.Fatalf("only %d files found: %v", len(files), files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(f, -1, len(src)), src, nil, 0) // comments are skipped
		for {
			pos, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING && tok != token.IDENT {
				continue
			}
			for _, n := range names {
				if strings.Contains(strings.ToLower(lit), n) {
					t.Errorf("%s: %s names %q", fset.Position(pos), lit, n)
				}
			}
		}
	}
}
