package cli

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/celestra-dev/celestra/exporters/kustomize"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate"
)

// checkWithKubernetes runs the Kubernetes API server's validation (package
// gate) on every object of the configuration and on every object of each
// environment, and returns one *engine.ConfigError listing every refusal.
// An environment's refusal that the base has too is reported once, for the
// base.
func checkWithKubernetes(loader *engine.Loader, result *engine.Result) error {
	g, err := gate.New()
	if err != nil {
		return err
	}
	diags, err := diagnostics(g.Check(result.Objects))
	if err != nil {
		return err
	}
	inBase := map[string]bool{}
	for _, d := range diags {
		inBase[strings.TrimPrefix(d.Path, "apps.")+"\x00"+d.Message] = true
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
		envDiags, err := diagnostics(g.CheckEnvironment(env.Name, objects))
		if err != nil {
			return err
		}
		prefix := "environments." + env.Name
		for _, d := range envDiags {
			app := strings.TrimPrefix(strings.TrimPrefix(d.Path, prefix), ".")
			if !inBase[app+"\x00"+d.Message] {
				diags = append(diags, d)
			}
		}
	}
	if len(diags) > 0 {
		return &engine.ConfigError{Diagnostics: diags}
	}
	return nil
}

// diagnostics unpacks the gate's answer: its diagnostics, or an error that
// is not about the configuration.
func diagnostics(err error) ([]engine.Diagnostic, error) {
	var cfgErr *engine.ConfigError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &cfgErr):
		return cfgErr.Diagnostics, nil
	default:
		return nil, err
	}
}
