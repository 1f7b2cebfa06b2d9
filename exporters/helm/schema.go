package helm

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/encoding/jsonschema"

	"github.com/celestra-dev/celestra"
)

//go:embed values.cue
var valuesCUE string

// rulePatterns are the patterns of the celestra schemas the values share,
// read from schemas/rules.cue so both always agree.
var rulePatterns = []string{"#QuantityPattern", "#DNSLabelPattern", "#EnvNamePattern", "#CronPattern"}

// readPatterns evaluates the pattern fields of schemas/rules.cue.
func readPatterns(ctx *cue.Context) (map[string]string, error) {
	const file = "schemas/rules.cue"
	src, err := fs.ReadFile(celestra.Module, file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	f, err := parser.ParseFile(file, src)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		name, _, err := ast.LabelName(field.Label)
		if err != nil {
			continue
		}
		for _, want := range rulePatterns {
			if name == want {
				s, err := ctx.BuildExpr(field.Value).String()
				if err != nil {
					return nil, fmt.Errorf("%s: %s is not a string: %w", file, name, err)
				}
				out[name] = s
			}
		}
	}
	for _, want := range rulePatterns {
		if _, ok := out[want]; !ok {
			return nil, fmt.Errorf("%s: %s not found", file, want)
		}
	}
	return out, nil
}

// valuesSchema writes values.schema.json: the CUE definitions of values.cue,
// one section per app with the values its templates use, turned into JSON
// Schema by CUE's own generator.
func valuesSchema(apps []*app) ([]byte, error) {
	ctx := cuecontext.New()
	patterns, err := readPatterns(ctx)
	if err != nil {
		return nil, err
	}
	var src strings.Builder
	src.WriteString(valuesCUE)
	src.WriteString("\n")
	for _, name := range rulePatterns {
		fmt.Fprintf(&src, "%s: %s\n", name, strconv.Quote(patterns[name]))
	}
	src.WriteString("\n// #Values are the chart's values: one section per app.\n#Values: {\n")
	hasGlobal := false
	for _, a := range apps {
		if a.name == "global" {
			hasGlobal = true
		}
		fmt.Fprintf(&src, "\t// %s are the values of the app %q.\n", a.name, a.name)
		fmt.Fprintf(&src, "\t%s: {\n", strconv.Quote(a.name))
		s := a.schema
		if s.image {
			src.WriteString("\t\timage: #Image\n")
		}
		if r := s.replicas; r != nil {
			src.WriteString("\t\t// replicas is the number of pods.")
			if r.why != "" {
				src.WriteString(" " + r.why + ".")
			}
			src.WriteString("\n")
			switch {
			case len(r.only) > 0:
				alts := make([]string, len(r.only))
				for i, n := range r.only {
					alts[i] = strconv.Itoa(n)
				}
				fmt.Fprintf(&src, "\t\treplicas!: int & (%s)\n", strings.Join(alts, " | "))
			case r.max >= 0:
				fmt.Fprintf(&src, "\t\treplicas!: int & >=%d & <=%d\n", r.min, r.max)
			default:
				fmt.Fprintf(&src, "\t\treplicas!: int & >=%d\n", r.min)
			}
		}
		if s.resources {
			src.WriteString("\t\tresources: #Resources\n")
		}
		if s.storage {
			src.WriteString("\t\tstorage: #Storage\n")
		}
		if s.env {
			src.WriteString("\t\tenv: #Env\n")
		}
		if s.config != "" {
			fmt.Fprintf(&src, "\t\t// %s are the server's settings.\n\t\t%s: #ServerConfig\n", s.config, s.config)
		}
		if s.expose {
			src.WriteString("\t\texpose: #Expose\n")
		}
		if s.backup {
			src.WriteString("\t\tbackup: #Backup\n")
		}
		if s.namespace {
			src.WriteString("\t\tnamespace: #Namespace\n")
		}
		src.WriteString("\t}\n")
	}
	if !hasGlobal {
		src.WriteString("\t// global holds values shared with subcharts (Helm's convention).\n\tglobal?: {[string]: _}\n")
	}
	src.WriteString("}\n")

	v := ctx.CompileString(src.String(), cue.Filename("values.cue"))
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("build the values schema: %w", err)
	}
	expr, err := jsonschema.Generate(v.LookupPath(cue.ParsePath("#Values")), nil)
	if err != nil {
		return nil, fmt.Errorf("generate the values schema: %w", err)
	}
	sv := ctx.BuildExpr(expr)
	if err := sv.Err(); err != nil {
		return nil, fmt.Errorf("generate the values schema: %w", err)
	}
	var generic any
	raw, err := sv.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("write the values schema: %w", err)
	}
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(generic, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
