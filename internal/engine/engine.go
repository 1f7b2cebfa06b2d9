// Package engine loads a celestra configuration written in CUE, unifies it
// with the embedded celestra module, validates it and returns every
// Kubernetes object it describes, each decoded strictly into its k8s.io/api
// type. The exporters start from what it returns.
package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/celestra-dev/celestra"
)

// Result is a validated configuration.
type Result struct {
	// Value is the whole configuration, unified with celestra.#Config.
	Value cue.Value
	// Objects are the Kubernetes objects, sorted by Key.
	Objects []Object
}

// Object is one Kubernetes object of the configuration.
type Object struct {
	// Key is "<kind>-<name>" in lower case: the stem of its file name.
	Key        string
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	// JSON is the object as CUE rendered it, with sorted keys.
	JSON []byte
	// Typed is the object decoded into its k8s.io/api type.
	Typed runtime.Object
}

// Loader loads configurations. It holds the parsed embedded module, so one
// Loader can load many configurations without reading it again.
type Loader struct {
	registry *embeddedRegistry
	overlay  map[string]load.Source
	scheme   *runtime.Scheme
}

// NewLoader prepares a Loader.
func NewLoader() (*Loader, error) {
	reg, err := newEmbeddedRegistry()
	if err != nil {
		return nil, err
	}
	overlay, err := moduleOverlay()
	if err != nil {
		return nil, err
	}
	sch, err := newScheme()
	if err != nil {
		return nil, err
	}
	return &Loader{registry: reg, overlay: overlay, scheme: sch}, nil
}

// Load reads the configuration at path: a .cue file, a folder holding one
// CUE package, or a folder inside a workspace with its own cue.mod. A file
// or folder outside any CUE module is treated as a module that depends on
// the embedded celestra module.
func (l *Loader) Load(path string) (*Result, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("configuration %s: %w", path, err)}
	}
	dir, args := abs, []string{"."}
	if !info.IsDir() {
		dir, args = filepath.Dir(abs), []string{filepath.Base(abs)}
	}

	overlay := make(map[string]load.Source, len(l.overlay)+1)
	for k, v := range l.overlay {
		overlay[k] = v
	}
	root := findModuleRoot(dir)
	if root == "" {
		// A plain folder: give it a module file that depends on ours.
		root = dir
		overlay[filepath.Join(dir, "cue.mod", "module.cue")] = load.FromString(fmt.Sprintf(
			"module: %q\nlanguage: version: %q\ndeps: %q: v: %q\n",
			"celestra.local/config@v0", celestra.CUELanguageVersion, moduleRef, ModuleVersion))
	}
	cfg := &load.Config{
		Dir:        dir,
		ModuleRoot: root,
		Overlay:    overlay,
		Registry:   l.registry,
	}

	insts := load.Instances(args, cfg)
	if len(insts) != 1 {
		return nil, fmt.Errorf("configuration %s: expected one CUE package, found %d", path, len(insts))
	}
	if err := insts[0].Err; err != nil {
		return nil, newConfigError(err, cue.Value{})
	}
	ctx := cuecontext.New()
	v := ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return nil, newConfigError(err, v)
	}
	user := v

	if !v.LookupPath(cue.ParsePath("kubernetes")).Exists() {
		// The package does not embed celestra.#Config itself: apply it.
		def, err := l.configDefinition(ctx, cfg)
		if err != nil {
			return nil, err
		}
		v = def.Unify(v)
	}
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, newConfigError(err, user)
	}
	apps := v.LookupPath(cue.ParsePath("apps"))
	if !hasFields(apps) {
		return nil, &ConfigError{Diagnostics: []Diagnostic{{Message: "no apps defined: add at least one, for example apps: db: presets.#Postgres & {storage: size: \"10Gi\"}"}}}
	}

	objects, err := l.decodeObjects(v.LookupPath(cue.ParsePath("kubernetes")))
	if err != nil {
		return nil, err
	}
	return &Result{Value: v, Objects: objects}, nil
}

// configPackage is a package the loader is shown inside the user's module:
// it imports the celestra root package, whatever module graph leads there.
const configPackage = "celestra-config"

// configDefinition loads celestra.#Config through the same module graph as
// the user's package.
func (l *Loader) configDefinition(ctx *cue.Context, cfg *load.Config) (cue.Value, error) {
	c := *cfg
	c.Dir = cfg.ModuleRoot
	c.Overlay = make(map[string]load.Source, len(cfg.Overlay)+1)
	for k, v := range cfg.Overlay {
		c.Overlay[k] = v
	}
	c.Overlay[filepath.Join(cfg.ModuleRoot, configPackage, "config.cue")] = load.FromString(
		"package config\n\nimport \"" + celestra.ModulePath + "\"\n\n#Config: celestra.#Config\n")
	insts := load.Instances([]string{"./" + configPackage}, &c)
	if err := insts[0].Err; err != nil {
		return cue.Value{}, newConfigError(err, cue.Value{})
	}
	root := ctx.BuildInstance(insts[0])
	def := root.LookupPath(cue.ParsePath("#Config"))
	if err := def.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("load celestra.#Config: %w", err)
	}
	return def, nil
}

func hasFields(v cue.Value) bool {
	it, err := v.Fields()
	return err == nil && it.Next()
}

// findModuleRoot returns the nearest folder at or above dir with a
// cue.mod/module.cue, or "".
func findModuleRoot(dir string) string {
	for {
		if _, err := os.Stat(filepath.Join(dir, "cue.mod", "module.cue")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// decodeObjects turns each rendered object into JSON and its typed form,
// refusing any field the Kubernetes type does not have.
func (l *Loader) decodeObjects(objects cue.Value) ([]Object, error) {
	it, err := objects.Fields()
	if err != nil {
		return nil, fmt.Errorf("read rendered objects: %w", err)
	}
	var out []Object
	var errs []error
	for it.Next() {
		key := it.Selector().Unquoted()
		raw, err := it.Value().MarshalJSON()
		if err != nil {
			errs = append(errs, newConfigError(err, cue.Value{}))
			continue
		}
		obj, err := l.decodeObject(key, raw)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, obj)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (l *Loader) decodeObject(key string, raw []byte) (Object, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Object{}, fmt.Errorf("object %s: %w", key, err)
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	typed, err := l.scheme.New(gvk)
	if err != nil {
		return Object{}, fmt.Errorf("object %s: %s %s is not a kind celestra knows: %w", key, head.APIVersion, head.Kind, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return Object{}, fmt.Errorf("object %s does not decode into %s: %w", key, gvk.Kind, err)
	}
	// Re-marshal the CUE output with sorted keys so that every writer starts
	// from the same bytes.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return Object{}, err
	}
	sorted, err := json.Marshal(generic)
	if err != nil {
		return Object{}, err
	}
	return Object{
		Key: key, APIVersion: head.APIVersion, Kind: head.Kind,
		Name: head.Metadata.Name, Namespace: head.Metadata.Namespace,
		JSON: sorted, Typed: typed,
	}, nil
}
