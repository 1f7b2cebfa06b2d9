// Package helm writes a configuration as a Helm chart.
//
// The chart is a packaging of celestra's output: its templates are the
// rendered Kubernetes objects, with the settings a Helm user expects to tune
// (image, replicas, resources, storage, environment, server settings passed
// on the command line, exposure, backup schedule) replaced by template
// actions that read values.yaml. With the default values, the chart renders
// exactly the objects of the YAML export: same names, same labels, same
// selectors. Object names do not follow the release name, because the
// objects refer to each other by name (Secrets in the environment, the
// headless Service in peer addresses).
//
// One chart is written per configuration, in a folder named after it: the
// app's name when the configuration has one app, "celestra-<first app>"
// otherwise.
package helm

import (
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	yaml "go.yaml.in/yaml/v3"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/internal/engine"
)

// ChartVersion is the version of every chart celestra writes. Bump it in
// Chart.yaml when you publish a changed chart to a repository.
const ChartVersion = "0.1.0"

// Exporter writes one chart per configuration.
type Exporter struct{}

// Export implements exporters.Exporter.
func (Exporter) Export(r *engine.Result) (exporters.Files, error) {
	if err := exporters.RequireImages(r, "helm"); err != nil {
		return nil, err
	}
	c, err := build(r)
	if err != nil {
		return nil, err
	}
	return c.files()
}

// chart is the chart of one configuration.
type chart struct {
	name   string
	apps   []*app
	shared []*object // objects of no app
}

// ChartName is the name of the chart of a configuration with these apps.
func ChartName(apps []string) string {
	sorted := append([]string(nil), apps...)
	sort.Strings(sorted)
	if len(sorted) == 1 {
		return sorted[0]
	}
	return "celestra-" + sorted[0]
}

func build(r *engine.Result) (*chart, error) {
	appsValue := r.Value.LookupPath(cue.ParsePath("apps"))
	it, err := appsValue.Fields()
	if err != nil {
		return nil, fmt.Errorf("read apps: %w", err)
	}
	var names []string
	appValues := map[string]cue.Value{}
	for it.Next() {
		n := it.Selector().Unquoted()
		names = append(names, n)
		appValues[n] = it.Value()
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("the configuration has no apps")
	}
	sort.Strings(names)
	c := &chart{name: ChartName(names)}

	byApp := map[string][]*object{}
	for _, o := range r.Objects {
		tree, err := parseTree(o.JSON)
		if err != nil {
			return nil, fmt.Errorf("read object %s: %w", o.Key, err)
		}
		obj := &object{key: o.Key, tree: tree}
		if n := objectApp(tree); appValues[n].Exists() {
			byApp[n] = append(byApp[n], obj)
		} else {
			c.shared = append(c.shared, obj)
		}
	}
	// A Namespace object is written only while its apps' value namespace
	// pins it (it names the namespace): see app.namespace.
	owned := map[string]*object{}
	for _, o := range c.shared {
		if str(o.tree.(*mapping), "kind") == "Namespace" {
			owned[str(path(o.tree, "metadata"), "name")] = o
		}
	}
	for _, n := range names {
		a, err := newApp(c.name, n, appValues[n], byApp[n])
		if err != nil {
			return nil, err
		}
		if o := owned[namespaceOf(byApp[n], n)]; o != nil {
			a.ownsNamespace = true
			if o.cond == "" { // the first of the apps in that namespace
				values := fmt.Sprintf("(index $.Values %s)", goString(n))
				o.cond = values + ".namespace"
				path(o.tree, "metadata").set("name", inline{"{{ " + values + ".namespace | quote }}"})
			}
		}
		if err := a.analyse(); err != nil {
			return nil, fmt.Errorf("helm chart: %w", err)
		}
		c.apps = append(c.apps, a)
	}
	return c, nil
}

// namespaceOf is the namespace of the app's StatefulSet, "" for the
// release's.
func namespaceOf(objects []*object, app string) string {
	for _, o := range objects {
		if o.key == "statefulset-"+app {
			return str(path(o.tree, "metadata"), "namespace")
		}
	}
	return ""
}

// files writes the chart under a folder of its name.
func (c *chart) files() (exporters.Files, error) {
	files := exporters.Files{}
	add := func(p string, data []byte) { files[c.name+"/"+p] = data }

	chartYAML, err := c.chartFile()
	if err != nil {
		return nil, err
	}
	add("Chart.yaml", chartYAML)
	values, err := c.valuesFile()
	if err != nil {
		return nil, err
	}
	add("values.yaml", values)
	schema, err := valuesSchema(c.apps)
	if err != nil {
		return nil, err
	}
	add("values.schema.json", schema)
	helpers, err := c.helpers()
	if err != nil {
		return nil, err
	}
	add("templates/_helpers.tpl", helpers)
	add("templates/NOTES.txt", c.notes())

	var objects []*object
	objects = append(objects, c.shared...)
	for _, a := range c.apps {
		objects = append(objects, a.objects...)
	}
	for _, o := range objects {
		body, err := templateText(o.tree)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", o.key, err)
		}
		var b strings.Builder
		if o.app != nil {
			b.WriteString(o.app.header())
		}
		if o.cond != "" {
			fmt.Fprintf(&b, "{{- if %s }}\n", o.cond)
		}
		b.WriteString(body)
		if o.cond != "" {
			b.WriteString("{{- end }}\n")
		}
		p := "templates/" + o.key + ".yaml"
		if _, dup := files[c.name+"/"+p]; dup {
			return nil, fmt.Errorf("two objects write %s", p)
		}
		add(p, []byte(b.String()))
	}
	return files, nil
}

// chartFile is Chart.yaml. appVersion is the image tag of the first app.
func (c *chart) chartFile() ([]byte, error) {
	var descr []string
	for _, a := range c.apps {
		kind := "app"
		if a.preset != "" {
			kind = a.preset
		}
		descr = append(descr, fmt.Sprintf("%s (%s)", a.name, kind))
	}
	meta := &yaml.Node{Kind: yaml.MappingNode}
	addField := func(k, v string) {
		meta.Content = append(meta.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: k},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
	}
	addField("apiVersion", "v2")
	addField("name", c.name)
	addField("description", "Stateful apps exported by celestra: "+strings.Join(descr, ", ")+". With the default values the chart renders exactly the objects of `celestra export --format yaml`.")
	addField("type", "application")
	addField("version", ChartVersion)
	if v := c.appVersion(); v != "" {
		addField("appVersion", v)
	}
	var keywords []string
	seen := map[string]bool{}
	for _, a := range c.apps {
		if a.preset != "" && !seen[a.preset] {
			seen[a.preset] = true
			keywords = append(keywords, a.preset)
		}
	}
	if len(keywords) > 0 {
		kw := &yaml.Node{Kind: yaml.SequenceNode}
		for _, k := range keywords {
			kw.Content = append(kw.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k})
		}
		meta.Content = append(meta.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "keywords"}, kw)
	}
	return encodeYAML(meta)
}

// appVersion is the tag of the first app's image, else its digest.
func (c *chart) appVersion() string {
	for _, a := range c.apps {
		switch r := a.imageRef; {
		case r == nil:
			continue
		case r.Tag != "":
			return r.Tag
		case r.Digest != "":
			return r.Digest
		default:
			return "latest"
		}
	}
	return ""
}

// valuesFile is values.yaml, with each value documented.
func (c *chart) valuesFile() ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, a := range c.apps {
		section := &yaml.Node{Kind: yaml.MappingNode}
		for _, e := range a.values {
			v, err := valueNode(e.value)
			if err != nil {
				return nil, fmt.Errorf("values of %s: %w", a.name, err)
			}
			section.Content = append(section.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: e.key, HeadComment: wrapComment(e.doc)}, v)
		}
		head := fmt.Sprintf("Values of the app %q.", a.name)
		if a.configNote != "" {
			head += "\n" + a.configNote
		}
		root.Content = append(root.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: a.name, HeadComment: wrapComment(head)},
			section)
	}
	body, err := encodeYAML(root)
	if err != nil {
		return nil, err
	}
	header := "# Values of the " + c.name + " chart, written by celestra. With these values the\n" +
		"# chart renders exactly the objects of `celestra export --format yaml`; each value\n" +
		"# below changes only the fields it names. values.schema.json checks them with the\n" +
		"# rules of the CUE configuration.\n" +
		"#\n" +
		"# The pod annotation celestra.dev/config-hash covers the ConfigMaps and Secrets the\n" +
		"# app mounts. It is kept as exported unless a value changes one of them (server\n" +
		"# settings written into a file); then it changes too, and the pods restart.\n\n"
	return append([]byte(header), body...), nil
}

// valueNode writes a plain value with sorted keys.
func valueNode(v any) (*yaml.Node, error) {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// wrapComment folds text into comment lines of at most 80 columns; a line
// break in text starts a new paragraph.
func wrapComment(text string) string {
	var lines []string
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			lines = append(lines, "#")
		}
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > 76 {
				lines = append(lines, "# "+line)
				line = w
				continue
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			lines = append(lines, "# "+line)
		}
	}
	return strings.Join(lines, "\n")
}
