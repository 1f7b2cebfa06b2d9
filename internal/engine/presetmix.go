package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/token"

	"github.com/celestra-dev/celestra"
)

// mixedPresets refuses, before any evaluation, an app the user's files make
// from two different presets (apps: db: presets.#Postgres in one place,
// apps: db: presets.#MySQL in another). Such an app is always an error, but
// CUE can take exponential time to find it: Postgres with MySQL runs for
// minutes. It reads the files as written, so it sees presets named directly
// in an app's value; the bounds of Guard catch what it cannot see.
func mixedPresets(inst *build.Instance) []Diagnostic {
	type use struct {
		preset string
		pos    token.Pos
	}
	uses := map[string][]use{}
	var apps []string
	for _, f := range userFiles(inst) {
		alias := presetsImportName(f)
		if alias == "" {
			continue
		}
		var labels []string
		ast.Walk(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				name, _, err := ast.LabelName(n.Label)
				if err != nil {
					name = "\x00" // a pattern or a computed label
				}
				labels = append(labels, name)
			case *ast.SelectorExpr:
				x, ok := n.X.(*ast.Ident)
				sel, _, _ := ast.LabelName(n.Sel)
				if ok && x.Name == alias && strings.HasPrefix(sel, "#") && len(labels) == 2 && labels[0] == "apps" && labels[1] != "\x00" {
					app := labels[1]
					if !slices.ContainsFunc(uses[app], func(u use) bool { return u.preset == sel }) {
						if len(uses[app]) == 0 {
							apps = append(apps, app)
						}
						uses[app] = append(uses[app], use{sel, n.Pos()})
					}
				}
			}
			return true
		}, func(n ast.Node) {
			if _, ok := n.(*ast.Field); ok {
				labels = labels[:len(labels)-1]
			}
		})
	}
	var diags []Diagnostic
	for _, app := range apps {
		u := uses[app]
		if len(u) < 2 {
			continue
		}
		var names []string
		for _, x := range u {
			where, _ := displayPosition(x.pos)
			names = append(names, fmt.Sprintf("presets.%s (%s)", x.preset, where))
		}
		d := Diagnostic{
			Path: joinPath([]string{"apps", app}),
			Message: fmt.Sprintf("app %s is made from %d presets, %s: an app starts from one preset; give the others apps of their own",
				strconv.Quote(app), len(u), strings.Join(names, " and ")),
			elems: []string{"apps", app},
		}
		d.Position, _ = displayPosition(u[1].pos)
		diags = append(diags, d)
	}
	return diags
}

// userFiles are the files of the user's package: not the embedded celestra
// module's, nor the embedding celestra generates.
func userFiles(inst *build.Instance) []*ast.File {
	var files []*ast.File
	for _, f := range inst.Files {
		if strings.HasPrefix(f.Filename, virtualRoot) || strings.HasSuffix(f.Filename, embedFileName) {
			continue
		}
		files = append(files, f)
	}
	return files
}

// presetsImportName is the name under which f imports celestra's presets
// package, or "".
func presetsImportName(f *ast.File) string {
	for spec := range f.ImportSpecs() {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		path, _, _ = strings.Cut(path, "@")
		if path != celestra.ModulePath+"/presets" {
			continue
		}
		if spec.Name != nil {
			return spec.Name.Name
		}
		return "presets"
	}
	return ""
}
