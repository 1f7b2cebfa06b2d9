// Package modeltest projects the apps of a configuration the engine loaded
// onto the model (schemas.#Model), for the tests that hold the Go model and
// the Go renderer to the CUE ones. The engine does not project apps yet.
package modeltest

import (
	"fmt"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/load"

	"github.com/celestra-dev/celestra"
	"github.com/celestra-dev/celestra/model"
)

// Schemas builds the embedded module's schemas package in ctx.
func Schemas(ctx *cue.Context) (cue.Value, error) {
	insts := load.Instances([]string{"./schemas"}, &load.Config{FS: celestra.Module, Dir: "/", ModuleRoot: "/"})
	if len(insts) != 1 {
		return cue.Value{}, fmt.Errorf("load schemas: %d instances", len(insts))
	}
	if err := insts[0].Err; err != nil {
		return cue.Value{}, fmt.Errorf("load schemas: %w", err)
	}
	v := ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("build schemas: %w", err)
	}
	return v, nil
}

// Project evaluates schemas.#Model for app and returns its out as JSON.
func Project(schemas, app cue.Value) ([]byte, error) {
	out := schemas.LookupPath(cue.MakePath(cue.Def("#Model"))).
		FillPath(cue.MakePath(cue.Str("app")), app).
		LookupPath(cue.MakePath(cue.Str("out")))
	if err := out.Validate(cue.Concrete(true)); err != nil {
		return nil, fmt.Errorf("project app onto the model: %w", err)
	}
	return out.MarshalJSON()
}

// Apps projects and decodes every app under path (for example "apps" or
// "environments.production") of a loaded configuration, by name.
func Apps(schemas, config cue.Value, path string) (map[string]model.App, error) {
	it, err := config.LookupPath(cue.ParsePath(path)).Fields()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]model.App{}
	for it.Next() {
		raw, err := Project(schemas, it.Value())
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", path, it.Selector(), err)
		}
		app, err := model.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", path, it.Selector(), err)
		}
		out[it.Selector().Unquoted()] = app
	}
	return out, nil
}
