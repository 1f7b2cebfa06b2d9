// Package exporttest runs each output format's own tool on what celestra
// exports, for tests: kubectl's YAML reader on the YAML export, Helm's
// engine on a chart, compose-go's loader on a Compose file, kustomize's
// krusty on a kustomization; and compares sets of objects.
package exporttest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"helm.sh/helm/v3/pkg/chart"
	helmloader "helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	helmengine "helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/celestra-dev/celestra/exporters"
	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
)

// Objects are parsed Kubernetes objects keyed by "Kind/name".
type Objects map[string]map[string]any

// ObjectKey is an object's key in Objects: "Kind/name".
func ObjectKey(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v", obj["kind"], meta["name"])
}

// YAMLExport is what the YAML export writes for r, each file read back as
// kubectl reads it (sigs.k8s.io/yaml).
func YAMLExport(r *engine.Result) (Objects, error) {
	files, err := yamlexp.Exporter{}.Export(r)
	if err != nil {
		return nil, err
	}
	out := Objects{}
	for name, doc := range files {
		var obj map[string]any
		if err := sigsyaml.Unmarshal(doc, &obj); err != nil {
			return nil, fmt.Errorf("%s does not read back: %w", name, err)
		}
		out[ObjectKey(obj)] = obj
	}
	return out, nil
}

// EngineObjects are the engine's objects as they are, before any exporter.
func EngineObjects(r *engine.Result) (Objects, error) {
	out := Objects{}
	for _, o := range r.Objects {
		var obj map[string]any
		if err := json.Unmarshal(o.JSON, &obj); err != nil {
			return nil, fmt.Errorf("%s: %w", o.Key, err)
		}
		out[ObjectKey(obj)] = obj
	}
	return out, nil
}

// WriteTree writes the files into a new folder and returns it.
func WriteTree(t testing.TB, files exporters.Files) string {
	t.Helper()
	dir := t.TempDir()
	for p, data := range files {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// LoadChart writes a Helm export into a new folder and loads its chart with
// Helm's loader; it returns the chart's folder too.
func LoadChart(t testing.TB, files exporters.Files) (string, *chart.Chart) {
	t.Helper()
	out := WriteTree(t, files)
	var chartDir string
	for p := range files {
		if filepath.Base(p) == "Chart.yaml" {
			chartDir = filepath.Join(out, filepath.Dir(filepath.FromSlash(p)))
		}
	}
	if chartDir == "" {
		t.Fatal("no Chart.yaml written")
	}
	ch, err := helmloader.Load(chartDir)
	if err != nil {
		t.Fatalf("helm cannot load the chart: %v", err)
	}
	return chartDir, ch
}

// RenderChart runs Helm's engine with the chart's values and the overrides,
// as helm template does (schema validation first, then every template),
// and parses the objects it renders. The release is in the namespace
// "default".
func RenderChart(ch *chart.Chart, overrides map[string]any) (Objects, error) {
	return RenderChartIn(ch, overrides, "default")
}

// RenderChartIn is RenderChart for a release in namespace, as helm
// template -n namespace renders it.
func RenderChartIn(ch *chart.Chart, overrides map[string]any, namespace string) (Objects, error) {
	vals, err := chartutil.ToRenderValues(ch, overrides,
		chartutil.ReleaseOptions{Name: "test", Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	rendered, err := helmengine.Engine{Strict: true}.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	out := Objects{}
	for name, text := range rendered {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for _, doc := range strings.Split(text, "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var obj map[string]any
			if err := sigsyaml.Unmarshal([]byte(doc), &obj); err != nil {
				return nil, fmt.Errorf("%s does not parse: %v\n%s", name, err, doc)
			}
			if obj == nil {
				continue
			}
			key := ObjectKey(obj)
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("%s rendered twice", key)
			}
			out[key] = obj
		}
	}
	return out, nil
}

// ReleaseNamespace is the namespace a release must be installed into for
// the chart's default render to equal these objects (the YAML export): the
// namespace the objects name, else "default".
func ReleaseNamespace(objects Objects) string {
	for _, k := range slices.Sorted(maps.Keys(objects)) {
		if meta, ok := objects[k]["metadata"].(map[string]any); ok {
			if ns, ok := meta["namespace"].(string); ok && ns != "" {
				return ns
			}
		}
	}
	return "default"
}

// DiffObjects lists every difference between two object sets, as
// "Kind/name path: want -> got", sorted.
func DiffObjects(want, got Objects) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			out = append(out, k+": missing")
			continue
		}
		diffValue(k+" ", w, g, &out)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, k+": unexpected")
		}
	}
	sort.Strings(out)
	return out
}

func diffValue(at string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		for k, wv := range w {
			gv, found := g[k]
			if !found {
				*out = append(*out, fmt.Sprintf("%s%s: missing", at, k))
				continue
			}
			diffValue(at+k+".", wv, gv, out)
		}
		for k := range g {
			if _, found := w[k]; !found {
				*out = append(*out, fmt.Sprintf("%s%s: unexpected", at, k))
			}
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			break
		}
		for i := range w {
			diffValue(fmt.Sprintf("%s%d.", at, i), w[i], g[i], out)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*out = append(*out, fmt.Sprintf("%s: %v -> %v", strings.TrimSuffix(at, "."), short(want), short(got)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// LoadCompose loads the Compose file named file in dir the way `docker
// compose config` does: schema validation, consistency checks, paths
// resolved and env_file read. The host environment is empty, so any "$"
// that escaped escaping would show as a missing value.
func LoadCompose(dir, file string) (*types.Project, error) {
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, file)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("celestra-test", true) })
}

// KustomizeBuild runs kustomize's own build (krusty, on an in-memory file
// system) on the folder dir of an exported tree, as `kustomize build` does,
// and returns each object it prints as JSON.
func KustomizeBuild(files exporters.Files, dir string) ([][]byte, error) {
	fs := filesys.MakeFsInMemory()
	for p, data := range files {
		if err := fs.WriteFile(filepath.Join("/out", p), data); err != nil {
			return nil, err
		}
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, filepath.Join("/out", dir))
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, err
	}
	var objects [][]byte
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		raw, err := sigsyaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s printed invalid YAML: %w", dir, err)
		}
		objects = append(objects, raw)
	}
	return objects, nil
}

// NewLoader is engine.NewLoader for a test: it fails the test on error.
func NewLoader(t testing.TB) *engine.Loader {
	t.Helper()
	l, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
