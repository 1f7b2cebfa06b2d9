package output_test

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/exporters/compose"
	"github.com/celestra-dev/celestra/exporters/helm"
	"github.com/celestra-dev/celestra/exporters/kustomize"
	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/benchgen/benchtest"
	"github.com/celestra-dev/celestra/internal/output"
)

// BenchmarkWrite measures writing an export of a configuration generated
// by package benchgen into a new folder, as `celestra export` does: the
// YAML files alone, and the files of every format (--format all). Each
// iteration writes into a folder of its own; removing it is not timed.
func BenchmarkWrite(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		r := benchtest.Load(b, n)
		for _, format := range []string{"yaml", "all"} {
			b.Run("format="+format, func(b *testing.B) {
				formats := map[string]exporters.Exporter{"yaml": yamlexp.Exporter{}}
				if format == "all" {
					formats = map[string]exporters.Exporter{
						"compose":   compose.Exporter{},
						"helm":      helm.Exporter{},
						"kustomize": kustomize.Exporter{},
						"yaml":      yamlexp.Exporter{},
					}
				}
				files := exporters.Files{}
				private := map[string]bool{}
				for name, exp := range formats {
					produced, err := exp.Export(r)
					if err != nil {
						b.Fatalf("%s export: %v", name, err)
					}
					secret, _ := exp.(exporters.PrivateFiles)
					for p, data := range produced {
						full := p
						if format == "all" {
							full = path.Join(name, p)
						}
						files[full] = data
						private[full] = secret != nil && secret.Private(p)
					}
				}
				root := b.TempDir()
				opts := output.Options{Private: private}
				run := 0
				b.ReportAllocs()
				for b.Loop() {
					run++
					dir := filepath.Join(root, fmt.Sprint("out-", run))
					if err := output.Write(context.Background(), dir, files, opts); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := os.RemoveAll(dir); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	})
}
