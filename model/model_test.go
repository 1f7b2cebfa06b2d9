package model_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/celestra-dev/celestra/internal/modeltest"
	"github.com/celestra-dev/celestra/model"
)

// TestMatchesCUE holds model.App to schemas.#AppModel both ways: every CUE
// field has a Go field with the same JSON name and a compatible kind, every
// Go field a CUE field, and a field is optional in CUE exactly when it may be
// left out in Go (omitempty).
func TestMatchesCUE(t *testing.T) {
	ctx := cuecontext.New()
	schemas, err := modeltest.Schemas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def := schemas.LookupPath(cue.MakePath(cue.Def("#AppModel")))
	if err := def.Err(); err != nil {
		t.Fatal(err)
	}
	problems := drift(def, reflect.TypeOf(model.App{}), "App")
	for _, p := range problems {
		t.Error(p)
	}
}

// TestDriftIsDetected proves drift finds each kind of mismatch.
func TestDriftIsDetected(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString(`
#T: {
	a:  string
	b?: int
	c: [string]: bool
	d: [...string]
}`)
	def := v.LookupPath(cue.MakePath(cue.Def("#T")))
	type ok struct {
		A string          `json:"a"`
		B *int            `json:"b,omitempty"`
		C map[string]bool `json:"c"`
		D []string        `json:"d"`
	}
	type missing struct {
		A string          `json:"a"`
		C map[string]bool `json:"c"`
		D []string        `json:"d"`
	}
	type extra struct {
		ok
		E string `json:"e"`
	}
	type wrongKind struct {
		A int             `json:"a"`
		B *int            `json:"b,omitempty"`
		C map[string]bool `json:"c"`
		D []string        `json:"d"`
	}
	type wrongElem struct {
		A string            `json:"a"`
		B *int              `json:"b,omitempty"`
		C map[string]string `json:"c"`
		D []string          `json:"d"`
	}
	type notOptional struct {
		A string          `json:"a"`
		B int             `json:"b"`
		C map[string]bool `json:"c"`
		D []string        `json:"d"`
	}
	for _, tc := range []struct {
		typ  any
		want string
	}{
		{ok{}, ""},
		{missing{}, "T.b: in CUE, not in Go"},
		{extra{}, "T.e: in Go, not in CUE"},
		{wrongKind{}, "T.a: CUE string, Go int"},
		{wrongElem{}, "T.c.*: CUE bool, Go string"},
		{notOptional{}, "T.b: optional in CUE, required in Go"},
	} {
		got := strings.Join(drift(def, reflect.TypeOf(tc.typ), "T"), "\n")
		if got != tc.want {
			t.Errorf("%T: got %q, want %q", tc.typ, got, tc.want)
		}
	}
}

// drift compares the CUE definition v with the Go type typ.
func drift(v cue.Value, typ reflect.Type, path string) []string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	kind := v.IncompleteKind()
	// Kubernetes types: the CUE side is generated from the same
	// k8s.io/api (k8s/, kept current by internal/k8sgen's test); only the
	// kind is compared. A number or a name is IntOrString in Go.
	if strings.HasPrefix(typ.PkgPath(), "k8s.io/") {
		if typ == reflect.TypeOf(intstr.IntOrString{}) {
			return want(path, kind, cue.IntKind|cue.StringKind, typ)
		}
		if typ.Kind() == reflect.Slice {
			return want(path, kind, cue.ListKind, typ)
		}
		return want(path, kind, cue.StructKind, typ)
	}
	switch typ.Kind() {
	case reflect.String:
		return want(path, kind, cue.StringKind, typ)
	case reflect.Int, reflect.Int32, reflect.Int64:
		return want(path, kind, cue.IntKind, typ)
	case reflect.Bool:
		return want(path, kind, cue.BoolKind, typ)
	case reflect.Slice:
		if p := want(path, kind, cue.ListKind, typ); p != nil {
			return p
		}
		return drift(v.LookupPath(cue.MakePath(cue.AnyIndex)), typ.Elem(), path+"[]")
	case reflect.Map:
		if p := want(path, kind, cue.StructKind, typ); p != nil {
			return p
		}
		elem := v.LookupPath(cue.MakePath(cue.AnyString))
		if !elem.Exists() {
			return []string{fmt.Sprintf("%s: a map in Go, a struct without a pattern in CUE", path)}
		}
		return drift(elem, typ.Elem(), path+".*")
	case reflect.Struct:
		if p := want(path, kind, cue.StructKind, typ); p != nil {
			return p
		}
		return driftStruct(v, typ, path)
	}
	return []string{fmt.Sprintf("%s: Go kind %s is not a model kind", path, typ.Kind())}
}

func want(path string, got, want cue.Kind, typ reflect.Type) []string {
	if got != want {
		return []string{fmt.Sprintf("%s: CUE %s, Go %s", path, got, typ)}
	}
	return nil
}

type goField struct {
	typ       reflect.Type
	omitempty bool
}

// goFields are the JSON fields of a struct, embedded structs flattened.
func goFields(typ reflect.Type, out map[string]goField) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			goFields(f.Type, out)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		out[name] = goField{typ: f.Type, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")}
	}
}

func driftStruct(v cue.Value, typ reflect.Type, path string) []string {
	fields := map[string]goField{}
	goFields(typ, fields)
	var problems []string
	seen := map[string]bool{}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", path, err)}
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		seen[name] = true
		p := path + "." + name
		f, ok := fields[name]
		if !ok {
			problems = append(problems, p+": in CUE, not in Go")
			continue
		}
		cueOptional := it.Selector().ConstraintType() == cue.OptionalConstraint
		switch {
		case cueOptional && !f.omitempty:
			problems = append(problems, p+": optional in CUE, required in Go")
		case !cueOptional && f.omitempty:
			problems = append(problems, p+": required in CUE, omitempty in Go")
		}
		problems = append(problems, drift(it.Value(), f.typ, p)...)
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !seen[n] {
			problems = append(problems, path+"."+n+": in Go, not in CUE")
		}
	}
	return problems
}

// TestDecodeRefuses checks that Decode is strict.
func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name": "db", "replica": 3}`, `unknown field "replica"`},
		{`{"name": 3}`, `cannot unmarshal number into Go struct field App.name of type string`},
		{`{"name": "db"} {"name": "other"}`, `more than one value`},
		{`{"ports": {"web": {"port": 80, "proto": "TCP"}}}`, `unknown field "proto"`},
	} {
		_, err := model.Decode([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode(%s) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}
