package render_test

import (
	"testing"

	"cuelang.org/go/cue"

	"github.com/celestra-dev/celestra/internal/benchgen/benchtest"
	"github.com/celestra-dev/celestra/internal/modeltest"
	"github.com/celestra-dev/celestra/internal/render"
	"github.com/celestra-dev/celestra/model"
)

// benchApps loads a generated configuration of n apps (package benchgen)
// and returns its apps and the schemas package, in the same context.
func benchApps(b *testing.B, n int) (apps []cue.Value, schemas cue.Value) {
	b.Helper()
	res := benchtest.Load(b, n)
	schemas, err := modeltest.Schemas(res.Value.Context())
	if err != nil {
		b.Fatal(err)
	}
	it, err := res.Value.LookupPath(cue.ParsePath("apps")).Fields()
	if err != nil {
		b.Fatal(err)
	}
	for it.Next() {
		apps = append(apps, it.Value())
	}
	return apps, schemas
}

// BenchmarkDecodeRender decodes the models of the apps and renders them to
// typed objects and their JSON: the Go side of rendering, beside the
// engine's BenchmarkLoad (which evaluates, renders in CUE and decodes).
func BenchmarkDecodeRender(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		apps, schemas := benchApps(b, n)
		var raws [][]byte
		for _, a := range apps {
			raw, err := modeltest.Project(schemas, a)
			if err != nil {
				b.Fatal(err)
			}
			raws = append(raws, raw)
		}
		for b.Loop() {
			objects := 0
			for _, raw := range raws {
				app, err := model.Decode(raw)
				if err != nil {
					b.Fatal(err)
				}
				out, err := render.App(app)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range out {
					if _, err := render.JSON(o.Object); err != nil {
						b.Fatal(err)
					}
				}
				objects += len(out)
			}
			if objects < n {
				b.Fatalf("%d objects for %d apps", objects, n)
			}
		}
	})
}

// BenchmarkProject evaluates schemas.#Model for apps evaluated already,
// and writes each as JSON: the CUE side of the model.
func BenchmarkProject(b *testing.B) {
	benchtest.Run(b, func(b *testing.B, n int) {
		apps, schemas := benchApps(b, n)
		for b.Loop() {
			for _, a := range apps {
				if _, err := modeltest.Project(schemas, a); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
