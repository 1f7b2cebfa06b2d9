// Package gen turns the pinned k8s.io/api Go types into CUE definitions that
// live as ordinary packages inside the celestra CUE module.
package gen

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
)

// ModulePath is the CUE module the generated packages belong to.
const ModulePath = "github.com/celestra-dev/celestra"

// PackageDir is where the generated packages live inside the module; their
// import paths start with ModulePath/PackageDir.
const PackageDir = "k8s"

// Packages are the Go packages converted: the generally available API groups
// that celestra renders objects of.
var Packages = []string{
	"k8s.io/api/core/v1",
	"k8s.io/api/apps/v1",
	"k8s.io/api/batch/v1",
	"k8s.io/api/policy/v1",
	"k8s.io/api/rbac/v1",
	"k8s.io/api/networking/v1",
	"k8s.io/api/autoscaling/v2",
}

// Generate runs `go tool cue get go` from goModuleDir (the directory holding
// go.mod, whose k8s.io/api version is used) and writes the resulting CUE
// packages below outDir, replacing what was there. Imports between them point
// at ModulePath/PackageDir, wherever outDir is.
func Generate(goModuleDir, outDir string) error {
	scratch, err := os.MkdirTemp(goModuleDir, ".k8sgen-")
	if err != nil {
		return fmt.Errorf("create scratch module: %w", err)
	}
	defer os.RemoveAll(scratch)

	if err := os.MkdirAll(filepath.Join(scratch, "cue.mod"), 0o755); err != nil {
		return err
	}
	moduleFile := "module: \"celestra.local/k8sgen@v0\"\nlanguage: version: \"v0.17.1\"\n"
	if err := os.WriteFile(filepath.Join(scratch, "cue.mod", "module.cue"), []byte(moduleFile), 0o644); err != nil {
		return err
	}

	args := append([]string{"tool", "cue", "get", "go"}, Packages...)
	cmd := exec.Command("go", args...)
	cmd.Dir = scratch
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go tool cue get go: %w\n%s", err, stderr.String())
	}

	generated := filepath.Join(scratch, "cue.mod", "gen", "k8s.io")
	if err := os.RemoveAll(outDir); err != nil {
		return fmt.Errorf("remove old %s: %w", outDir, err)
	}
	return filepath.WalkDir(generated, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".cue") {
			return err
		}
		rel, err := filepath.Rel(generated, path)
		if err != nil {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := rewriteImports(path, src, ModulePath+"/"+PackageDir+"/")
		if err != nil {
			return err
		}
		dst := filepath.Join(outDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, out, 0o644)
	})
}

// rewriteImports points every k8s.io import of a generated file at the copy
// inside our module. It edits the syntax tree, not the text, so string
// constants that happen to contain "k8s.io/" are left alone.
func rewriteImports(name string, src []byte, prefix string) ([]byte, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse generated %s: %w", name, err)
	}
	for imp := range f.ImportSpecs() {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: bad import %s: %w", name, imp.Path.Value, err)
		}
		if rest, ok := strings.CutPrefix(path, "k8s.io/"); ok {
			if imp.Name == nil {
				// Keep the package's short name stable after the path change.
				imp.Name = ast.NewIdent(lastElem(path))
			}
			imp.Path = ast.NewString(prefix + rest)
		}
	}
	out, err := format.Node(f)
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", name, err)
	}
	return out, nil
}

func lastElem(path string) string {
	return path[strings.LastIndex(path, "/")+1:]
}
