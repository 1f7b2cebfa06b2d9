package gate_test

import (
	"testing"

	"github.com/celestra-dev/celestra/internal/benchgen/benchtest"
	"github.com/celestra-dev/celestra/internal/gate"
)

// BenchmarkCheck measures the Kubernetes validation of every object of a
// generated configuration (package benchgen), and of the Pods, claims and
// Jobs their controllers would create, with the gate built once
// (BenchmarkCheckPostgres includes building it).
func BenchmarkCheck(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		r := benchtest.Load(b, n)
		g, err := gate.New()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := g.Check(r.Objects); err != nil {
				b.Fatal(err)
			}
		}
	})
}
