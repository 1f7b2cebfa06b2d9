package exporters

import (
	"fmt"

	"cuelang.org/go/cue"

	"github.com/celestra-dev/celestra/internal/engine"
)

// RequireImages refuses, for a format that Kubernetes runs (format names
// it in the message), every app that has build but no image: a node pulls
// its images from a registry and cannot build one, and the image the
// renderer names for such an app (<name>:latest) is in no registry. The
// Compose export builds the image itself and does not call this.
func RequireImages(r *engine.Result, format string) error {
	apps := r.Value.LookupPath(cue.ParsePath("apps"))
	if !apps.Exists() {
		return nil
	}
	it, err := apps.Fields()
	if err != nil {
		return fmt.Errorf("read apps: %w", err)
	}
	var diags []engine.Diagnostic
	for it.Next() {
		name := it.Selector().Unquoted()
		app := it.Value()
		if !app.LookupPath(cue.MakePath(cue.Str("build"))).Exists() || app.LookupPath(cue.MakePath(cue.Str("image"))).Exists() {
			continue
		}
		diags = append(diags, engine.Diagnostic{
			Path: cue.MakePath(cue.Str("apps"), cue.Str(name), cue.Str("image")).String(),
			Message: fmt.Sprintf("app %s has build but no image, and the %s export needs one: Kubernetes pulls images from a registry and cannot build them; "+
				"set image to the registry path the build pushes to (for example image: \"registry.example/team/%s:1.0\"); --format compose builds it without one", name, format, name),
		})
	}
	if len(diags) > 0 {
		return &engine.ConfigError{Diagnostics: diags}
	}
	return nil
}
