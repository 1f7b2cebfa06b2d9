package engine

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"cuelang.org/go/cue/load"
	"cuelang.org/go/mod/modfile"
	"cuelang.org/go/mod/module"

	"github.com/celestra-dev/celestra"
)

// ModuleVersion is the version of the CUE module embedded in this binary. A
// workspace depends on it with
//
//	deps: "github.com/celestra-dev/celestra@v0": v: "v0.1.0"
const ModuleVersion = "v0.1.0"

// moduleRef is the module path with its major version, as CUE spells it.
const moduleRef = celestra.ModulePath + "@v0"

// virtualRoot is where the embedded module appears to the CUE loader. Nothing
// exists there on disk: every file is served from the loader's overlay.
const virtualRoot = "/celestra-embedded/" + celestra.ModulePath + "@" + ModuleVersion

// embeddedRegistry serves the embedded module to the CUE loader, and nothing
// else: celestra never reaches for the network.
type embeddedRegistry struct {
	modFile *modfile.File
}

func newEmbeddedRegistry() (*embeddedRegistry, error) {
	data, err := fs.ReadFile(celestra.Module, "cue.mod/module.cue")
	if err != nil {
		return nil, fmt.Errorf("read embedded module file: %w", err)
	}
	mf, err := modfile.Parse(data, "cue.mod/module.cue")
	if err != nil {
		return nil, fmt.Errorf("parse embedded module file: %w", err)
	}
	return &embeddedRegistry{modFile: mf}, nil
}

func (r *embeddedRegistry) check(mv module.Version) error {
	if mv.Path() != moduleRef {
		return fmt.Errorf("module %s is not available: celestra works offline and embeds only %s", mv.Path(), moduleRef)
	}
	if mv.Version() != ModuleVersion {
		return fmt.Errorf("this celestra binary embeds %s %s, but the workspace asks for %s: set deps: %q: v: %q in cue.mod/module.cue",
			moduleRef, ModuleVersion, mv.Version(), moduleRef, ModuleVersion)
	}
	return nil
}

// ModFile implements modconfig.Registry.
func (r *embeddedRegistry) ModFile(_ context.Context, mv module.Version) (*modfile.File, error) {
	if err := r.check(mv); err != nil {
		return nil, err
	}
	return r.modFile, nil
}

// Fetch implements modconfig.Registry.
func (r *embeddedRegistry) Fetch(_ context.Context, mv module.Version) (module.SourceLoc, error) {
	if err := r.check(mv); err != nil {
		return module.SourceLoc{}, err
	}
	return module.SourceLoc{FS: embeddedFS{celestra.Module}, Dir: "."}, nil
}

// ModuleVersions implements modconfig.Registry.
func (r *embeddedRegistry) ModuleVersions(_ context.Context, mpath string) ([]string, error) {
	if strings.TrimSuffix(mpath, "@v0") != celestra.ModulePath {
		return nil, nil
	}
	return []string{ModuleVersion}, nil
}

// embeddedFS is the embedded module seen as an operating-system directory at
// virtualRoot; the loader reads its files through the overlay.
type embeddedFS struct{ fs.FS }

// OSRoot implements module.OSRootFS.
func (embeddedFS) OSRoot() string { return virtualRoot }

// moduleOverlay returns every embedded file at its virtual path.
func moduleOverlay() (map[string]load.Source, error) {
	overlay := map[string]load.Source{}
	err := fs.WalkDir(celestra.Module, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(celestra.Module, p)
		if err != nil {
			return err
		}
		overlay[path.Join(virtualRoot, p)] = load.FromBytes(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded module: %w", err)
	}
	return overlay, nil
}
