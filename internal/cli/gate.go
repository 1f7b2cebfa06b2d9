package cli

import (
	"errors"
	"strings"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate"
)

// checkWithKubernetes runs the Kubernetes API server's validation (package
// gate) on every object of the configuration and on every object of each
// environment, and returns one *engine.ConfigError listing every refusal.
// An environment's refusal that the base has too is reported once, for the
// base.
func checkWithKubernetes(result *engine.Result) error {
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
	for _, env := range result.Environments {
		envDiags, err := diagnostics(g.CheckEnvironment(env.Name, env.Objects))
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
