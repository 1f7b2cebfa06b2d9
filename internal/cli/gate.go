package cli

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/celestra-dev/celestra/exporters/kustomize"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate"
)

// checkWithKubernetes runs the Kubernetes API server's validation (package
// gate) on every object of the configuration and on every object of each
// environment, and returns one *engine.ConfigError listing every refusal.
func checkWithKubernetes(loader *engine.Loader, result *engine.Result) error {
	g, err := gate.New()
	if err != nil {
		return err
	}
	var diags []engine.Diagnostic
	collect := func(err error) error {
		var cfgErr *engine.ConfigError
		if errors.As(err, &cfgErr) {
			diags = append(diags, cfgErr.Diagnostics...)
			return nil
		}
		return err
	}
	if err := collect(g.Check(result.Objects)); err != nil {
		return err
	}
	envs, err := kustomize.Overlays(result.Value)
	if err != nil {
		return err
	}
	for _, env := range envs {
		objects := make([]engine.Object, 0, len(env.Objects))
		for _, key := range slices.Sorted(maps.Keys(env.Objects)) {
			o, err := loader.DecodeObject(key, env.Objects[key])
			if err != nil {
				return fmt.Errorf("environment %s: %w", env.Name, err)
			}
			objects = append(objects, o)
		}
		if err := collect(g.CheckEnvironment(env.Name, objects)); err != nil {
			return err
		}
	}
	if len(diags) > 0 {
		return &engine.ConfigError{Diagnostics: diags}
	}
	return nil
}
