package engine_test

import (
	"testing"

	"github.com/celestra-dev/celestra/internal/benchgen/benchtest"
	"github.com/celestra-dev/celestra/internal/engine"
)

// BenchmarkNewLoader measures what every process pays once before its
// first load: reading the embedded module and preparing the scheme.
func BenchmarkNewLoader(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.NewLoader(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures the engine's stages, which are one CUE evaluation
// today: loading a generated configuration (package benchgen), validating
// it against the schemas, presets and rules, rendering its Kubernetes
// objects and decoding each into its k8s.io/api type.
func BenchmarkLoad(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		dir := benchtest.Write(b, n)
		loader, err := engine.NewLoader()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			r, err := loader.Load(dir)
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Objects) < n {
				b.Fatalf("%d objects for %d apps", len(r.Objects), n)
			}
		}
	})
}

// BenchmarkDecodeObjects measures the last step of Load on its own:
// decoding every rendered object strictly into its k8s.io/api type.
func BenchmarkDecodeObjects(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		r := benchtest.Load(b, n)
		loader, err := engine.NewLoader()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			for _, o := range r.Objects {
				if _, err := loader.DecodeObject(o.Key, o.JSON); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
