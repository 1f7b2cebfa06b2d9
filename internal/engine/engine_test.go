package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

func newTestLoader(t *testing.T) *Loader {
	t.Helper()
	l, err := NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDecodeObjectRejectsUnknownFields(t *testing.T) {
	l := newTestLoader(t)
	raw := []byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"clusterIP":"None","clusterIPz":"typo"}}`)
	_, err := l.decodeObject("service-x", raw)
	if err == nil || !strings.Contains(err.Error(), `unknown field "clusterIPz"`) {
		t.Fatalf("err = %v, want unknown field clusterIPz", err)
	}
}

func TestDecodeObjectRejectsUnknownKinds(t *testing.T) {
	l := newTestLoader(t)
	raw := []byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"x"}}`)
	if _, err := l.decodeObject("widget-x", raw); err == nil {
		t.Fatal("no error for an unknown kind")
	}
}

func TestDecodeObjectKeepsTypedAndSortedJSON(t *testing.T) {
	l := newTestLoader(t)
	raw := []byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","namespace":"n"},"data":{"b":"2","a":"1"}}`)
	o, err := l.decodeObject("configmap-c", raw)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "c" || o.Namespace != "n" || o.Kind != "ConfigMap" {
		t.Errorf("head = %+v", o)
	}
	if want := `{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}`; string(o.JSON) != want {
		t.Errorf("JSON = %s", o.JSON)
	}
	if o.Typed.GetObjectKind().GroupVersionKind().Kind != "ConfigMap" && o.Typed == nil {
		t.Error("no typed object")
	}
}

// A single file outside any module, a folder, and a file without a package
// clause all load.
func TestLoadModes(t *testing.T) {
	l := newTestLoader(t)
	dir := t.TempDir()
	app := `apps: q: {image: "x:1", ports: web: port: 80}` + "\n"
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, path := range map[string]string{
		"file":                    write("one/app.cue", "package one\n\n"+app),
		"folder":                  filepath.Dir(write("two/app.cue", "package two\n\n"+app)),
		"no package name":         write("three/app.cue", app),
		"folder, no package name": filepath.Dir(write("four/app.cue", app)),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := l.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Objects) != 2 {
				t.Errorf("%d objects, want a StatefulSet and its headless Service", len(r.Objects))
			}
		})
	}
}

func TestLoadMissingPathIsAUsageError(t *testing.T) {
	_, err := newTestLoader(t).Load(filepath.Join(t.TempDir(), "nope"))
	if _, ok := err.(*UsageError); !ok {
		t.Fatalf("err = %T %v, want *UsageError", err, err)
	}
}

func TestWorkspaceWithWrongVersionIsExplained(t *testing.T) {
	dir := t.TempDir()
	mod := "module: \"example.com/x@v0\"\nlanguage: version: \"v0.17.1\"\ndeps: \"github.com/celestra-dev/celestra@v0\": v: \"v0.9.9\"\n"
	if err := os.MkdirAll(filepath.Join(dir, "cue.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cue.mod", "module.cue"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "package x\n\nimport \"github.com/celestra-dev/celestra/presets\"\n\napps: db: presets.#Postgres\n"
	if err := os.WriteFile(filepath.Join(dir, "x.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newTestLoader(t).Load(dir)
	if err == nil || !strings.Contains(err.Error(), "this celestra binary embeds") {
		t.Fatalf("err = %v", err)
	}
}

func TestFollowOnErrorsAreDropped(t *testing.T) {
	diags := dropFollowOns([]Diagnostic{
		{Path: "apps.q.ports.web.port", Message: "port 70000 is out of range"},
		{Path: "apps.q", Message: "error in call to list.UniqueItems"},
		{Path: "apps.q.configs.c.data.f", Message: "error in call to list.Concat", elems: []string{"apps", "q", "configs", "c", "data", "f"}},
		{Path: "apps.r", Message: "empty disjunction"},
	}, cue.Value{})
	if len(diags) != 2 || diags[1].Path != "apps.r" {
		t.Errorf("got %+v", diags)
	}
}
