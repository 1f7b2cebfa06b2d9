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
	"slices"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
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
	// Environments are the configuration's environments (overlays.<env>),
	// sorted by name: every object of every app with the environment's
	// settings applied, decoded as strictly as Objects.
	Environments []Environment
}

// Environment is one environment of a configuration.
type Environment struct {
	// Name is the environment's name, also its overlay's folder name.
	Name string
	// Objects are its objects, sorted by Key, keyed like the base's.
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
	return l.LoadTracked(path, nil)
}

// LoadTracked is Load recording in progress the phase and the app it is
// evaluating (see Guard). A panic of the evaluator is returned as an
// *EvaluatorError, and no message quotes a value of a Secret's data.
func (l *Loader) LoadTracked(path string, progress *Progress) (result *Result, err error) {
	if progress == nil {
		progress = NewProgress(path)
	}
	defer recoverEvaluator(progress, &err)
	progress.Enter("loading", "")
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
	if err := checkInputs(abs, info, dir, root); err != nil {
		return nil, err
	}
	cfg := &load.Config{
		Dir:        dir,
		ModuleRoot: root,
		Overlay:    overlay,
		Registry:   l.registry,
	}

	// The user's package may or may not embed celestra.#Config itself; a
	// generated file embeds it (again, harmlessly), so that the CLI and a
	// plain `cue export` evaluate exactly the same thing.
	pkgName, err := packageName(abs, info.IsDir())
	if err != nil {
		return nil, err
	}
	embedFile := filepath.Join(dir, embedFileName)
	if _, err := os.Stat(embedFile); err == nil {
		return nil, &UsageError{Err: fmt.Errorf("%s: this file name is reserved by celestra", embedFile)}
	}
	overlay[embedFile] = load.FromString(embedSource(pkgName))
	if info.IsDir() && (pkgName == "" || pkgName == "_") {
		// Files without a package clause do not form a package: load them
		// as files.
		files, err := filepath.Glob(filepath.Join(dir, "*.cue"))
		if err != nil {
			return nil, err
		}
		args = args[:0]
		for _, f := range files {
			args = append(args, filepath.Base(f))
		}
	}
	if !info.IsDir() || pkgName == "" || pkgName == "_" {
		args = append(args, embedFileName)
	}

	insts := load.Instances(args, cfg)
	if len(insts) != 1 {
		return nil, fmt.Errorf("configuration %s: expected one CUE package, found %d", path, len(insts))
	}
	secrets := newSecretScrubber(insts[0])
	progress.setRedactor(secrets.scrub)
	defer func() { err = redactError(err, secrets) }()
	if err := insts[0].Err; err != nil {
		return nil, newConfigError(err, cue.Value{})
	}
	if err := checkEmbeds(insts[0], root); err != nil {
		return nil, err
	}
	if diags := mixedPresets(insts[0]); len(diags) > 0 {
		return nil, &ConfigError{Diagnostics: diags}
	}
	ctx := cuecontext.New()
	// CUE evaluates the whole configuration here.
	progress.Enter("evaluating", "")
	v := ctx.BuildInstance(insts[0])
	// Report every problem at once: the schema's rules, and the fields CUE
	// lets through (checkClosed). A valid configuration is checked as it
	// is; an invalid one (whose erroneous structs cannot be walked) through
	// the package as the user wrote it, built a second time only then, which
	// also gives the user's positions.
	progress.Enter("validating the configuration", "")
	var diags []Diagnostic
	fields := v
	if err := v.Validate(cue.Concrete(true)); err != nil {
		fields = l.userPackage(ctx, args, cfg, embedFile)
		diags = newConfigError(err, fields).Diagnostics
	}
	progress.Enter("checking field names", "")
	reported := map[string]bool{}
	for _, d := range diags {
		reported[d.Path] = true
	}
	for _, d := range checkClosed(v, fields) {
		if !reported[d.Path] {
			diags = append(diags, d)
		}
	}
	if len(diags) > 0 {
		return nil, &ConfigError{Diagnostics: refine(diags, v, fields)}
	}
	if !hasFields(v.LookupPath(cue.ParsePath("apps"))) {
		return nil, &ConfigError{Diagnostics: []Diagnostic{{Message: "no apps defined: add at least one, for example apps: db: presets.#Postgres & {storage: size: \"10Gi\"}"}}}
	}

	objects, err := l.decodeObjects(v.LookupPath(cue.ParsePath("kubernetes")), progress)
	if err != nil {
		return nil, err
	}
	envs, err := l.decodeEnvironments(v.LookupPath(cue.ParsePath("overlays")), progress)
	if err != nil {
		return nil, err
	}
	return &Result{Value: v, Objects: objects, Environments: envs}, nil
}

// decodeEnvironments decodes overlays.<env> of every environment, sorted
// by name, as decodeObjects decodes the base. A configuration without
// environments has none.
func (l *Loader) decodeEnvironments(overlays cue.Value, progress *Progress) ([]Environment, error) {
	if !overlays.Exists() {
		return nil, nil
	}
	it, err := overlays.Fields()
	if err != nil {
		return nil, fmt.Errorf("read overlays: %w", err)
	}
	var envs []Environment
	for it.Next() {
		name := it.Selector().Unquoted()
		if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return nil, fmt.Errorf("environment name %q cannot be a folder name", name)
		}
		objects, err := l.decodeObjects(it.Value(), progress)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", name, err)
		}
		envs = append(envs, Environment{Name: name, Objects: objects})
	}
	slices.SortFunc(envs, func(a, b Environment) int { return strings.Compare(a.Name, b.Name) })
	return envs, nil
}

// objectApp is the app a rendered object belongs to, from its instance
// label, or "".
func objectApp(object cue.Value) string {
	app, err := object.LookupPath(cue.MakePath(cue.Str("metadata"), cue.Str("labels"), cue.Str(instanceLabel))).String()
	if err != nil {
		return ""
	}
	return app
}

// redactError removes from err's messages every value written under a
// Secret's data (see secretScrubber).
func redactError(err error, secrets *secretScrubber) error {
	if err == nil {
		return nil
	}
	var cfgErr *ConfigError
	var evalErr *EvaluatorError
	var usage *UsageError
	switch {
	case errors.As(err, &cfgErr):
		for i := range cfgErr.Diagnostics {
			cfgErr.Diagnostics[i].Message = secrets.scrub(cfgErr.Diagnostics[i].Message)
		}
		return err
	case errors.As(err, &evalErr), errors.As(err, &usage):
		return err
	}
	if msg := secrets.scrub(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// embedFileName is the generated file that embeds celestra.#Config into the
// user's package.
const embedFileName = "celestra-config.gen.cue"

// Definitions the generated file adds to the user's package so that the
// engine can check closedness (see checkClosed).
const (
	configDefName      = "#celestraConfig"
	statefulAppDefName = "#celestraStatefulApp"
)

func embedSource(pkgName string) string {
	var b strings.Builder
	if pkgName != "" && pkgName != "_" {
		fmt.Fprintf(&b, "package %s\n\n", pkgName)
	}
	fmt.Fprintf(&b, "import (\n\tcelestra %q\n\tcelestraschemas %q\n)\n\n", celestra.ModulePath, celestra.ModulePath+"/schemas")
	fmt.Fprintf(&b, "celestra.#Config\n\n%s: celestra.#Config\n%s: celestraschemas.#StatefulApp\n", configDefName, statefulAppDefName)
	return b.String()
}

// checkClosed reports the fields CUE lets through: a definition embedded at
// the top of a file leaves that file's struct open, so neither a misspelt
// top-level field nor a misspelt field of an app written without a
// definition (no preset, no schemas.#StatefulApp) is an error for CUE.
// Apps made from a preset are closed by the preset's definition already.
// v holds the definitions; fields is what is walked: v itself, or the
// user's package as written.
func checkClosed(v, fields cue.Value) []Diagnostic {
	if !fields.Exists() {
		return nil
	}
	cfg := v.LookupPath(cue.MakePath(cue.Def(configDefName)))
	app := v.LookupPath(cue.MakePath(cue.Def(statefulAppDefName)))
	var diags []Diagnostic
	if it, err := fields.Fields(); err == nil {
		for it.Next() {
			if !cfg.Allows(it.Selector()) {
				diags = append(diags, unknownField(it.Value(), it.Selector().String(),
					"a celestra configuration has apps (and what celestra.#Config derives from them)"))
			}
		}
	}
	apps, err := fields.LookupPath(cue.ParsePath("apps")).Fields()
	if err != nil {
		return diags
	}
	for apps.Next() {
		a := apps.Value()
		// A preset names itself in #preset; a plain app has none (as
		// written) or "" (unified with #StatefulApp).
		if preset, _ := a.LookupPath(cue.MakePath(cue.Def("#preset"))).String(); preset != "" {
			continue // made from a preset, whose definition closes it
		}
		diags = append(diags, unknownFields(app, a, "apps."+apps.Selector().String())...)
	}
	return diags
}

// unknownFields walks value beside its schema def and reports every field
// the schema does not declare, at any depth. It compares field names only,
// so other errors in the values cannot hide a misspelt name.
func unknownFields(def, value cue.Value, path string) []Diagnostic {
	if value.IncompleteKind() != cue.StructKind {
		return nil
	}
	declared := map[string]cue.Value{}
	it, err := def.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	for it.Next() {
		declared[it.Selector().Unquoted()] = it.Value()
	}
	// A pattern such as ports: [Name=string]: #Port admits any key; its
	// value still lists the fields each entry may have.
	pattern := def.LookupPath(cue.MakePath(cue.AnyString))
	if len(declared) == 0 && !pattern.Exists() {
		return nil // an open struct
	}
	fields, err := value.Fields()
	if err != nil {
		return nil
	}
	var diags []Diagnostic
	for fields.Next() {
		name := fields.Selector().Unquoted()
		child := path + "." + fields.Selector().String()
		sub, ok := declared[name]
		if !ok && pattern.Exists() {
			sub, ok = pattern, true
		}
		if !ok {
			diags = append(diags, unknownField(fields.Value(), child, "the schema has no such field (misspelt?)"))
			continue
		}
		diags = append(diags, unknownFields(sub, fields.Value(), child)...)
	}
	return diags
}

func unknownField(v cue.Value, path, hint string) Diagnostic {
	d := Diagnostic{Path: path, Message: "field not allowed: " + hint}
	if pos := v.Pos(); pos.IsValid() && !isGenerated(pos) {
		d.Position, _ = displayPosition(pos)
	}
	return d
}

// packageName reads the package clause of the configuration: of the file,
// or of the first .cue file of the folder.
func packageName(path string, isDir bool) (string, error) {
	file := path
	if isDir {
		matches, err := filepath.Glob(filepath.Join(path, "*.cue"))
		if err != nil {
			return "", err
		}
		if len(matches) == 0 {
			return "", &UsageError{Err: fmt.Errorf("%s holds no .cue file", path)}
		}
		file = matches[0]
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return "", &UsageError{Err: fmt.Errorf("read %s: %w", file, err)}
	}
	f, err := parser.ParseFile(file, src, parser.PackageClauseOnly)
	if err != nil {
		return "", newConfigError(err, cue.Value{})
	}
	return f.PackageName(), nil
}

// userPackage builds the user's package without the generated embedding,
// for the positions of what the user wrote.
func (l *Loader) userPackage(ctx *cue.Context, args []string, cfg *load.Config, embedFile string) cue.Value {
	c := *cfg
	c.Overlay = make(map[string]load.Source, len(cfg.Overlay))
	for k, v := range cfg.Overlay {
		if k != embedFile {
			c.Overlay[k] = v
		}
	}
	var userArgs []string
	for _, a := range args {
		if a != embedFileName {
			userArgs = append(userArgs, a)
		}
	}
	insts := load.Instances(userArgs, &c)
	if len(insts) != 1 || insts[0].Err != nil {
		return cue.Value{}
	}
	return ctx.BuildInstance(insts[0])
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
func (l *Loader) decodeObjects(objects cue.Value, progress *Progress) ([]Object, error) {
	it, err := objects.Fields()
	if err != nil {
		return nil, fmt.Errorf("read rendered objects: %w", err)
	}
	var out []Object
	var errs []error
	for it.Next() {
		key := it.Selector().Unquoted()
		progress.Enter("decoding objects", objectApp(it.Value()))
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

// DecodeObject decodes one rendered object, such as an environment's
// (overlays.<env>.<key>) or one a chart renders, as Load decodes the
// configuration's objects: strictly, into its k8s.io/api type.
func (l *Loader) DecodeObject(key string, raw []byte) (Object, error) {
	return l.decodeObject(key, raw)
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
