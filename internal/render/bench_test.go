package render_test

import (
	"testing"

	"cuelang.org/go/cue"

	"github.com/celestra-dev/celestra/internal/benchgen"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/modeltest"
	"github.com/celestra-dev/celestra/internal/render"
	"github.com/celestra-dev/celestra/model"
)

// benchApps loads internal/benchgen's configuration of 100 apps and returns
// the loaded configuration, the schemas package and each app's model JSON.
func benchApps(b *testing.B) (*engine.Result, cue.Value, [][]byte) {
	b.Helper()
	dir := b.TempDir()
	if err := benchgen.Write(dir, 100); err != nil {
		b.Fatal(err)
	}
	loader, err := engine.NewLoader()
	if err != nil {
		b.Fatal(err)
	}
	res, err := loader.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	schemas, err := modeltest.Schemas(res.Value.Context())
	if err != nil {
		b.Fatal(err)
	}
	it, err := res.Value.LookupPath(cue.ParsePath("apps")).Fields()
	if err != nil {
		b.Fatal(err)
	}
	var raws [][]byte
	for it.Next() {
		raw, err := modeltest.Project(schemas, it.Value())
		if err != nil {
			b.Fatal(err)
		}
		raws = append(raws, raw)
	}
	return res, schemas, raws
}

// BenchmarkDecodeRender decodes the models of 100 apps and renders them to
// typed objects and their JSON: the Go side of rendering, to compare with
// the engine's BenchmarkLoad (which evaluates, renders in CUE and decodes).
func BenchmarkDecodeRender(b *testing.B) {
	_, _, raws := benchApps(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
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
		if objects < len(raws) {
			b.Fatalf("%d objects for %d apps", objects, len(raws))
		}
	}
}

// BenchmarkProject evaluates schemas.#Model for 100 apps already evaluated
// in one context (MarshalJSON included): the CUE side of the model.
func BenchmarkProject(b *testing.B) {
	res, schemas, _ := benchApps(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		it, err := res.Value.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			b.Fatal(err)
		}
		for it.Next() {
			if _, err := modeltest.Project(schemas, it.Value()); err != nil {
				b.Fatal(err)
			}
		}
	}
}
