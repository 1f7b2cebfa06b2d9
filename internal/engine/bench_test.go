package engine

import (
	"fmt"
	"testing"

	"github.com/celestra-dev/celestra/internal/benchgen"
)

// BenchmarkLoad measures loading, validating, rendering and decoding a
// configuration of 1, 100 and 1000 apps.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("apps=%d", n), func(b *testing.B) {
			if n == 1000 && testing.Short() {
				b.Skip("1000 apps skipped with -short")
			}
			dir := b.TempDir()
			if err := benchgen.Write(dir, n); err != nil {
				b.Fatal(err)
			}
			loader, err := NewLoader()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
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
}
