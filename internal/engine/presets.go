package engine

import (
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
)

// Preset describes one definition of the presets package.
type Preset struct {
	// Name is the definition name without '#', as in presets.#Postgres.
	Name string
	// Summary is the first sentence of its documentation.
	Summary string
	// Doc is its whole documentation comment.
	Doc string
	// Defaults are the settings the preset fills in, as CUE values.
	Defaults cue.Value
	// Rules are the preset's rules in words (its #rules field).
	Rules []string
	// Starter is the body of a minimal app using the preset, in CUE (its
	// #starter field); `celestra init` writes it, with the app's name in
	// place of each \(name).
	Starter string
}

// Presets lists the presets of the embedded module, sorted by name.
func (l *Loader) Presets() ([]Preset, error) {
	v, err := l.embeddedPackage("./presets")
	if err != nil {
		return nil, err
	}
	it, err := v.Fields(cue.Definitions(true))
	if err != nil {
		return nil, fmt.Errorf("list presets: %w", err)
	}
	var out []Preset
	for it.Next() {
		if !it.Selector().IsDefinition() {
			continue
		}
		def := it.Value()
		if !def.LookupPath(cue.MakePath(cue.Def("#preset"))).Exists() {
			continue // a helper definition, not an app preset
		}
		name := strings.TrimPrefix(it.Selector().String(), "#")
		p := Preset{Name: name, Doc: docOf(def)}
		p.Summary, _, _ = strings.Cut(p.Doc, ". ")
		p.Summary = strings.TrimSuffix(strings.SplitN(p.Summary, "\n\n", 2)[0], ".")
		p.Summary = strings.Join(strings.Fields(p.Summary), " ")
		p.Defaults = def.FillPath(cue.ParsePath("name"), "example")
		// #rules are the preset's own; #opsRules those of its backup and
		// observability support (presets/<db>_ops.cue).
		for _, field := range []string{"#rules", "#opsRules"} {
			if rules := def.LookupPath(cue.MakePath(cue.Def(field))); rules.Exists() {
				var more []string
				if err := rules.Decode(&more); err != nil {
					return nil, fmt.Errorf("preset %s: read %s: %w", name, field, err)
				}
				p.Rules = append(p.Rules, more...)
			}
		}
		if starter := def.LookupPath(cue.MakePath(cue.Def("#starter"))); starter.Exists() {
			if p.Starter, err = starter.String(); err != nil {
				return nil, fmt.Errorf("preset %s: read #starter: %w", name, err)
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// embeddedPackage builds one package of the embedded module.
func (l *Loader) embeddedPackage(pkg string) (cue.Value, error) {
	insts := load.Instances([]string{pkg}, &load.Config{
		Dir:        virtualRoot,
		ModuleRoot: virtualRoot,
		Overlay:    l.overlay,
		Registry:   l.registry,
	})
	if err := insts[0].Err; err != nil {
		return cue.Value{}, fmt.Errorf("load embedded %s: %w", pkg, err)
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("build embedded %s: %w", pkg, err)
	}
	return v, nil
}

func docOf(v cue.Value) string {
	var parts []string
	for _, c := range v.Doc() {
		parts = append(parts, strings.TrimSpace(c.Text()))
	}
	return strings.Join(parts, "\n")
}
