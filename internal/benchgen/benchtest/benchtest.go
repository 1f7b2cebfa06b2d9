// Package benchtest prepares the generated configurations (package
// benchgen) that the benchmarks of each stage of an export run on: the
// engine's load, the Kubernetes gate, each exporter and the writer.
package benchtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/celestra-dev/celestra/internal/benchgen"
	"github.com/celestra-dev/celestra/internal/engine"
)

// LargeEnv is the environment variable that adds 1000 apps to the sizes
// the stage benchmarks run at (loading 1000 apps takes minutes today):
//
//	CELESTRA_BENCH_1000=1 go test ./exporters/helm -run '^$' -bench .
const LargeEnv = "CELESTRA_BENCH_1000"

// Sizes returns the numbers of apps the stage benchmarks run at: 1 and 100,
// and 1000 when LargeEnv is set to a non-empty value.
func Sizes() []int {
	if os.Getenv(LargeEnv) != "" {
		return []int{1, 100, 1000}
	}
	return []int{1, 100}
}

// Run runs bench as one sub-benchmark per size of Sizes, named apps=N,
// reporting allocations.
func Run(b *testing.B, bench func(b *testing.B, n int)) {
	for _, n := range Sizes() {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			bench(b, n)
		})
	}
}

// Write generates a configuration of n apps of the default mix in a
// temporary folder of tb and returns the folder.
func Write(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := benchgen.Write(dir, n); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// Load generates a configuration of n apps of the default mix and loads it
// with the engine, failing tb on any problem.
func Load(tb testing.TB, n int) *engine.Result {
	tb.Helper()
	loader, err := engine.NewLoader()
	if err != nil {
		tb.Fatal(err)
	}
	r, err := loader.Load(Write(tb, n))
	if err != nil {
		tb.Fatalf("%d generated apps: %v", n, err)
	}
	return r
}
