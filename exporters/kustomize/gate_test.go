package kustomize

import (
	"maps"
	"slices"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate/gatetest"
)

// TestBuildsPassGate: the base and every overlay of every case, as
// kustomize's krusty builds them, pass the Kubernetes API server's
// validation, with the Pods their controllers would create.
func TestBuildsPassGate(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	overlays := 0
	for name, dir := range cases(t) {
		t.Run(name, func(t *testing.T) {
			r, err := loader.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := export(t, r)
			gatetest.Check(t, loader, "", slices.Collect(maps.Values(build(t, files, "base"))))
			envs := r.Environments
			for _, env := range envs {
				overlays++
				gatetest.Check(t, loader, env.Name, slices.Collect(maps.Values(build(t, files, "overlays/"+env.Name))))
			}
		})
	}
	if overlays == 0 {
		t.Error("no case has an environment: no overlay was checked")
	}
}
