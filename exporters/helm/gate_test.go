package helm_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/celestra-dev/celestra/internal/exporttest"
	"github.com/celestra-dev/celestra/internal/gate/gatetest"
)

// TestDefaultRenderPassesGate: every object of every case's chart, as
// Helm's engine renders it with the default values, passes the Kubernetes
// API server's validation, with the Pods its controllers would create.
func TestDefaultRenderPassesGate(t *testing.T) {
	l := exporttest.NewLoader(t)
	for name, dir := range cases(t) {
		t.Run(name, func(t *testing.T) {
			rendered, err := exportDir(t, l, dir).render(nil)
			if err != nil {
				t.Fatalf("render with default values: %v", err)
			}
			gatetest.Check(t, l, "", slices.Collect(maps.Values(rendered)))
		})
	}
}
