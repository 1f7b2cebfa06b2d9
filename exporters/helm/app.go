package helm

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
)

// object is one Kubernetes object of the chart: its tree with holes and,
// when the whole document is optional, the template condition that writes it.
type object struct {
	key  string
	tree any
	app  *app // nil for objects that belong to no app (a Namespace)
	cond string
}

// app is one app of the configuration: its objects and the values that
// drive them.
type app struct {
	name   string
	chart  string // chart name, for helper names
	preset string
	cue    cue.Value

	objects []*object
	// ownsNamespace says the configuration also writes the Namespace
	// object of the app's namespace (for its Pod Security labels).
	ownsNamespace bool
	labels        map[string]any // common labels of the app's objects
	sel           map[string]any // selector labels

	values []valueEntry
	schema appSchema
	notes  appNotes

	imageRef *imageRef // the main container's image, nil if it has none

	// configForm and configWhere say how and where the server settings are
	// written, for the values' documentation.
	configForm, configWhere string
	// configNote says why the server settings are not a value.
	configNote string
}

// valueEntry is one top-level value of an app, with its documentation.
type valueEntry struct {
	key   string
	doc   string
	value any
}

// appSchema says which values an app has and their bounds, for
// values.schema.json.
type appSchema struct {
	image     bool
	replicas  *replicaRule
	resources bool
	storage   bool
	env       bool
	config    string // the server configuration field, such as postgresConfig
	expose    bool
	backup    bool
	namespace bool
}

// imageValue is the image value, its fields in reading order.
type imageValue struct {
	Repository string `yaml:"repository"`
	Tag        string `yaml:"tag"`
	Digest     string `yaml:"digest"`
}

// replicaRule is what replicas may be set to without the chart rendering
// something celestra would not.
type replicaRule struct {
	min  int
	max  int   // -1: no maximum
	only []int // when set, the only allowed values
	why  string
}

// appNotes is what NOTES.txt says about an app.
type appNotes struct {
	namespace string // literal namespace of the objects, "" for the release's
	ports     []servicePort
	exposed   []servicePort
	services  []otherService // the app's other Services
	backup    bool
}

type otherService struct {
	name, typ string
	ports     []servicePort
}

type servicePort struct {
	name string
	port string
}

// clusterPreset reports whether a preset renders its membership from
// replicas (peer lists, quorum voters, replica sets): the chart cannot
// change its size.
func clusterPreset(preset string) bool {
	switch preset {
	case "kafka", "elasticsearch", "mongodb":
		return true
	}
	return false
}

// primaryReplicaPreset reports whether a preset runs one primary at pod 0
// and replicas that follow it when the configuration sets up replication.
func primaryReplicaPreset(preset string) bool {
	switch preset {
	case "postgres", "mysql", "redis":
		return true
	}
	return false
}

// newApp reads an app's settings from the configuration and takes its objects.
func newApp(chart, name string, v cue.Value, objs []*object) (*app, error) {
	a := &app{name: name, chart: chart, cue: v, objects: objs}
	if p := v.LookupPath(cue.MakePath(cue.Def("#preset"))); p.Exists() {
		s, err := p.String()
		if err != nil {
			return nil, fmt.Errorf("app %s: read #preset: %w", name, err)
		}
		a.preset = s
	}
	for _, o := range objs {
		o.app = a
	}
	return a, nil
}

func (a *app) object(key string) *object {
	for _, o := range a.objects {
		if o.key == key {
			return o
		}
	}
	return nil
}

// ref is how templates read the app's values.
const ref = "$app"

// header starts every template of the app.
func (a *app) header() string {
	return fmt.Sprintf("{{- %s := index .Values %s }}\n", ref, goString(a.name))
}

func (a *app) helper(what string) string {
	return fmt.Sprintf("%s.%s.%s", a.chart, a.name, what)
}

// analyse finds the tunable places of the app's objects, replaces them with
// holes and collects the values.
func (a *app) analyse() error {
	sts := a.object("statefulset-" + a.name)
	if sts == nil {
		return fmt.Errorf("app %s has no StatefulSet statefulset-%s", a.name, a.name)
	}
	pod := path(sts.tree, "spec", "template", "spec")
	var main *mapping
	for _, c := range items(pod, "containers") {
		if str(c, "name") == a.name {
			main = c
		}
	}
	if main == nil {
		return fmt.Errorf("app %s: its StatefulSet has no container named %s", a.name, a.name)
	}
	if stsLabels := path(sts.tree, "metadata", "labels"); stsLabels != nil {
		a.labels = plain(stsLabels).(map[string]any)
	}
	if sel := path(sts.tree, "spec", "selector", "matchLabels"); sel != nil {
		a.sel = plain(sel).(map[string]any)
	}
	a.notes.namespace = str(path(sts.tree, "metadata"), "namespace")

	if err := a.image(main); err != nil {
		return err
	}
	if err := a.replicas(sts); err != nil {
		return err
	}
	a.resources(main)
	a.storage(sts)
	if err := a.serverConfig(main, sts); err != nil {
		return err
	}
	if err := a.env(main); err != nil {
		return err
	}
	if err := a.expose(); err != nil {
		return err
	}
	if err := a.backup(); err != nil {
		return err
	}
	a.otherServices()
	a.names(sts)
	for _, o := range a.objects {
		a.labelHoles(o.tree)
	}
	a.namespace()
	order := map[string]int{"image": 0, "replicas": 1, "resources": 2, "storage": 3, "env": 4, a.schema.config: 5, "expose": 6, "backup": 7, "namespace": 8}
	sort.SliceStable(a.values, func(i, j int) bool { return order[a.values[i].key] < order[a.values[j].key] })
	return nil
}

// namespaceAction writes the namespace of an app's objects: the value
// namespace when it is set, else the release's.
const namespaceAction = "{{ " + ref + ".namespace | default $.Release.Namespace | quote }}"

// namespace: when the configuration sets a namespace, the objects take the
// release's (helm install -n) unless the value namespace pins one. The
// exception is a configuration that also writes the Namespace object (for
// its Pod Security labels): a chart cannot create the namespace it is
// installed into, so that chart pins the configured namespace by default.
func (a *app) namespace() {
	ns := a.notes.namespace
	if ns == "" {
		return
	}
	for _, o := range a.objects {
		if meta := path(o.tree, "metadata"); meta != nil && str(meta, "namespace") == ns {
			meta.set("namespace", inline{namespaceAction})
		}
		if str(o.tree.(*mapping), "kind") == "RoleBinding" {
			for _, s := range items(o.tree.(*mapping), "subjects") {
				if str(s, "namespace") == ns {
					s.set("namespace", inline{namespaceAction})
				}
			}
		}
	}
	a.schema.namespace = true
	doc := fmt.Sprintf("namespace pins the app's objects to one namespace. Empty: the release's namespace (helm install -n). The CUE configuration names %s: install with -n %s, or set namespace to keep the objects there whatever -n says.", ns, ns)
	value := ""
	if a.ownsNamespace {
		value = ns
		doc = fmt.Sprintf("namespace pins the app's objects to one namespace; empty uses the release's (helm install -n). The configuration writes the Namespace %s with its Pod Security labels, which a chart can only do for a namespace other than the release's, so it is pinned here; set it to \"\" to install into the release's namespace without that Namespace object.", ns)
	}
	a.values = append(a.values, valueEntry{"namespace", doc, value})
}

// image: every container of the app that runs the main container's image
// (init containers, sidecars without their own image, backup jobs using
// the database's tools) follows the image values.
func (a *app) image(main *mapping) error {
	img := str(main, "image")
	if img == "" {
		return nil
	}
	r := parseImage(img)
	action := fmt.Sprintf(`{{ include %s %s.image | quote }}`, goString(a.chart+".image"), ref)
	for _, o := range a.objects {
		walk(o.tree, func(m *mapping) {
			for _, list := range []string{"containers", "initContainers"} {
				for _, c := range items(m, list) {
					if str(c, "image") == img {
						c.set("image", inline{action})
					}
				}
			}
		})
	}
	a.imageRef = &r
	v := imageValue{r.Repository, r.Tag, r.Digest}
	a.schema.image = true
	a.values = append(a.values, valueEntry{"image", "image of the app's containers, joined as repository[:tag][@digest]. Every container of the app that runs this image follows it (init containers, sidecars, backup jobs). Use --set-string for a numeric tag.", v})
	return nil
}

// replicas: the StatefulSet's size, within what the configuration allows.
// The PodDisruptionBudget celestra writes for more than one pod goes away
// below two.
func (a *app) replicas(sts *object) error {
	spec := path(sts.tree, "spec")
	n, ok := spec.vals["replicas"]
	if !ok {
		return nil
	}
	r, err := strconv.Atoi(fmt.Sprint(n))
	if err != nil {
		return fmt.Errorf("app %s: replicas %v: %w", a.name, n, err)
	}
	rule := &replicaRule{min: 0, max: -1}
	var why []string
	if q, err := a.cue.LookupPath(cue.ParsePath("quorumSize")).Int64(); err == nil {
		rule.min, rule.max = int(q), 2*int(q)-1
		why = append(why, fmt.Sprintf("quorumSize %d needs between %d and %d replicas", q, q, 2*q-1))
	}
	cluster, _ := a.cue.LookupPath(cue.ParsePath("clusterMode")).Bool()
	switch {
	case clusterPreset(a.preset) || cluster || (r >= 2 && a.mentionsPod(sts, r-1)):
		rule.only = []int{r}
		fixed := fmt.Sprintf("the cluster's membership is written into its configuration, so the chart keeps its size %d", r)
		if rule.min == 0 {
			rule.only = []int{0, r}
			fixed += " (0 stops it)"
		}
		why = append(why, fixed+": change replicas in the CUE configuration")
	case primaryReplicaPreset(a.preset) && r == 1 && !a.mentionsPod(sts, 0):
		rule.max = 1
		why = append(why, "this configuration runs a single server (0 stops it): more pods would be unrelated databases; set replicas in the CUE configuration to get replication")
	}
	rule.why = strings.Join(why, "; ")
	if rule.why != "" {
		rule.why = strings.ToUpper(rule.why[:1]) + rule.why[1:]
	}
	a.schema.replicas = rule
	spec.set("replicas", inline{fmt.Sprintf("{{ %s.replicas }}", ref)})
	if pdb := a.object("poddisruptionbudget-" + a.name); pdb != nil {
		pdb.cond = fmt.Sprintf("gt (int %s.replicas) 1", ref)
	}
	doc := "replicas is the number of pods."
	if rule.why != "" {
		doc += " " + rule.why + "."
	}
	if a.object("poddisruptionbudget-"+a.name) != nil {
		doc += " Below 2 the PodDisruptionBudget is not written."
	}
	a.values = append(a.values, valueEntry{"replicas", doc, r})
	return nil
}

// mentionsPod reports whether the pods' own configuration (the
// StatefulSet's pod template and the ConfigMaps and Secrets it mounts) names
// the app's pod of that ordinal, as a peer list or a primary's address does.
// Backup jobs that reach pod 0 do not count.
func (a *app) mentionsPod(sts *object, ordinal int) bool {
	re := regexp.MustCompile(`(^|[^a-z0-9-])` + regexp.QuoteMeta(fmt.Sprintf("%s-%d", a.name, ordinal)) + `($|[^a-z0-9-])`)
	found := false
	check := func(s string) {
		if re.MatchString(s) {
			found = true
		}
	}
	template := path(sts.tree, "spec", "template")
	walkStrings(template, check)
	mounted := map[string]bool{}
	for _, v := range items(path(template, "spec"), "volumes") {
		if n := str(path(v, "configMap"), "name"); n != "" {
			mounted["ConfigMap/"+n] = true
		}
		if n := str(path(v, "secret"), "secretName"); n != "" {
			mounted["Secret/"+n] = true
		}
	}
	for _, o := range a.objects {
		meta := path(o.tree, "metadata")
		if mounted[str(o.tree.(*mapping), "kind")+"/"+str(meta, "name")] {
			walkStrings(path(o.tree, "data"), check)
			walkStrings(path(o.tree, "stringData"), check)
		}
	}
	return found
}

// resources of the main container.
func (a *app) resources(main *mapping) {
	v := map[string]any{}
	if r, ok := main.get("resources"); ok {
		v = plain(r).(map[string]any)
	}
	main.set("resources", block{func(ind string) string {
		return fmt.Sprintf("%[1]s{{- with %[2]s.resources }}\n%[1]sresources: {{- toYaml . | nindent %[3]d }}\n%[1]s{{- end }}\n", ind, ref, len(ind)+2)
	}})
	a.schema.resources = true
	a.values = append(a.values, valueEntry{"resources", "resources are the requests and limits of the app's container, as Kubernetes quantities in quotes (\"500m\", \"2\", \"4Gi\").", v})
}

// storage: the claim template "data" of the app's storage.
func (a *app) storage(sts *object) {
	if !a.cue.LookupPath(cue.ParsePath("storage")).Exists() {
		return
	}
	var claim *mapping
	for _, c := range items(path(sts.tree, "spec"), "volumeClaimTemplates") {
		if str(path(c, "metadata"), "name") == "data" {
			claim = c
		}
	}
	spec := path(claim, "spec")
	req := path(spec, "resources", "requests")
	size := str(req, "storage")
	if size == "" {
		return
	}
	class := str(spec, "storageClassName")
	req.set("storage", inline{fmt.Sprintf("{{ %s.storage.size | quote }}", ref)})
	spec.set("storageClassName", block{func(ind string) string {
		return fmt.Sprintf("%[1]s{{- with %[2]s.storage.storageClass }}\n%[1]sstorageClassName: {{ quote . }}\n%[1]s{{- end }}\n", ind, ref)
	}})
	a.schema.storage = true
	a.values = append(a.values, valueEntry{"storage", `storage is each pod's volume claim "data". Kubernetes does not let a StatefulSet change its claim templates: a new size or class applies to a new installation (grow existing claims with kubectl, if their class allows expansion). storageClass "" uses the cluster's default class.`,
		map[string]any{"size": size, "storageClass": class}})
}

// env: the main container's variables with literal values. Variables from
// Secrets, ConfigMaps and the pod's fields stay as exported.
func (a *app) env(main *mapping) error {
	userEnv := map[string]string{}
	if err := decodeIfExists(a.cue, "env", &userEnv); err != nil {
		return fmt.Errorf("app %s: read env: %w", a.name, err)
	}
	values := map[string]any{}
	var fixed []any
	for _, e := range items(main, "env") {
		name, val := str(e, "name"), e.vals["value"]
		s, isString := val.(string)
		if len(e.keys) == 2 && isString {
			if u, ok := userEnv[name]; ok && u == s {
				values[name] = s
				continue
			}
		}
		fixed = append(fixed, e)
	}
	if raw, ok := main.get("env"); ok {
		if list, _ := raw.([]any); len(list) != len(fixed)+len(values) {
			return fmt.Errorf("app %s: the container's env holds entries that are not name/value maps", a.name)
		}
	}
	// The variables kept as exported are literal text, one branch per
	// name; those of the values are written with quote. Both are sorted by
	// name, as the YAML export's are.
	var fixedNames []string
	fixedText := map[string]string{}
	for _, e := range fixed {
		name := str(e.(*mapping), "name")
		text, err := literalText([]any{e})
		if err != nil {
			return fmt.Errorf("app %s: env %s: %w", a.name, name, err)
		}
		if _, seen := fixedText[name]; !seen {
			fixedNames = append(fixedNames, name)
		}
		fixedText[name] += text
	}
	main.set("env", block{func(ind string) string {
		var b strings.Builder
		line := func(format string, args ...any) { fmt.Fprintf(&b, ind+format+"\n", args...) }
		line("{{- $env := dict }}")
		if len(fixedNames) > 0 {
			quoted := make([]string, len(fixedNames))
			for i, n := range fixedNames {
				quoted[i] = goString(n)
			}
			line("{{- range $k := list %s }}{{ $_ := set $env $k true }}{{ end }}", strings.Join(quoted, " "))
		}
		line("{{- range $k, $v := %s.env }}{{ $_ := set $env $k false }}{{ end }}", ref)
		line("{{- if $env }}")
		line("env:")
		line("{{- range $k, $fixed := $env }}")
		line("{{- if not $fixed }}")
		line("- name: {{ quote $k }}")
		line("  value: {{ index %s.env $k | toString | quote }}", ref)
		for _, n := range fixedNames {
			line("{{- else if eq $k %s }}", goString(n))
			b.WriteString(indentLines(fixedText[n], ind))
		}
		line("{{- end }}")
		line("{{- end }}")
		line("{{- end }}")
		return b.String()
	}})
	a.schema.env = true
	a.values = append(a.values, valueEntry{"env", "env are the app container's environment variables with literal values, including those the preset sets. A name given here replaces the variable of that name; variables read from Secrets, ConfigMaps or the pod's fields are kept as exported.", values})
	return nil
}

// expose: the client Service named after the app. When the configuration
// does not expose the app, the chart can still write it: the headless
// Service without its headless settings, as celestra's expose: {} renders it.
func (a *app) expose() error {
	headless := a.object("service-" + a.name + "-headless")
	if headless == nil {
		return nil
	}
	for _, p := range items(path(headless.tree, "spec"), "ports") {
		a.notes.ports = append(a.notes.ports, servicePort{str(p, "name"), fmt.Sprint(p.vals["port"])})
	}
	svc := a.object("service-" + a.name)
	exposed := a.cue.LookupPath(cue.ParsePath("expose")).Exists()
	switch {
	case exposed && svc != nil:
	case !exposed && svc == nil && len(a.notes.ports) > 0:
		data, err := jsonText(headless.tree)
		if err != nil {
			return err
		}
		tree, err := parseTree([]byte(data))
		if err != nil {
			return err
		}
		path(tree, "metadata").set("name", a.name)
		spec := path(tree, "spec")
		spec.delete("clusterIP")
		spec.delete("publishNotReadyAddresses")
		spec.set("type", "ClusterIP")
		svc = &object{key: "service-" + a.name, tree: tree, app: a}
		a.objects = append(a.objects, svc)
		sort.Slice(a.objects, func(i, j int) bool { return a.objects[i].key < a.objects[j].key })
	default:
		return nil
	}
	spec := path(svc.tree, "spec")
	typ := str(spec, "type")
	if typ == "" {
		typ = "ClusterIP"
	}
	spec.set("type", inline{fmt.Sprintf("{{ %s.expose.type | quote }}", ref)})
	svc.cond = ref + ".expose.enabled"
	for _, p := range items(spec, "ports") {
		a.notes.exposed = append(a.notes.exposed, servicePort{str(p, "name"), fmt.Sprint(p.vals["port"])})
	}
	a.schema.expose = true
	doc := fmt.Sprintf("expose writes the client Service %q (type ClusterIP, NodePort or LoadBalancer).", a.name)
	if !exposed {
		doc += " The configuration does not expose the app; enabled: true publishes all its ports."
	}
	a.values = append(a.values, valueEntry{"expose", doc, map[string]any{"enabled": exposed, "type": typ}})
	return nil
}

// otherServices notes the app's Services other than the headless one and
// the client one, such as a primary's.
func (a *app) otherServices() {
	for _, o := range a.objects {
		root := o.tree.(*mapping)
		name := str(path(root, "metadata"), "name")
		if str(root, "kind") != "Service" || name == a.name || name == a.name+"-headless" {
			continue
		}
		spec := path(root, "spec")
		s := otherService{name: name, typ: str(spec, "type")}
		if s.typ == "" {
			s.typ = "ClusterIP"
		}
		for _, p := range items(spec, "ports") {
			s.ports = append(s.ports, servicePort{str(p, "name"), fmt.Sprint(p.vals["port"])})
		}
		a.notes.services = append(a.notes.services, s)
	}
}

// backup: the schedule of the app's backup CronJobs.
func (a *app) backup() error {
	v := a.cue.LookupPath(cue.ParsePath("backup.schedule"))
	if !v.Exists() {
		return nil
	}
	schedule, err := v.String()
	if err != nil {
		return fmt.Errorf("app %s: read backup.schedule: %w", a.name, err)
	}
	found := false
	for _, o := range a.objects {
		if str(o.tree.(*mapping), "kind") != "CronJob" {
			continue
		}
		if spec := path(o.tree, "spec"); str(spec, "schedule") == schedule {
			spec.set("schedule", inline{fmt.Sprintf("{{ %s.backup.schedule | quote }}", ref)})
			found = true
		}
	}
	if !found {
		return nil
	}
	a.schema.backup = true
	a.notes.backup = true
	a.values = append(a.values, valueEntry{"backup", "backup.schedule is when the backup CronJob runs, in cron syntax. The other backup settings are written into the job's script: change them in the CUE configuration.", map[string]any{"schedule": schedule}})
	return nil
}

// names: the app's name comes from one helper in the objects named after it.
func (a *app) names(sts *object) {
	name := fmt.Sprintf("(include %s $)", goString(a.helper("name")))
	for _, o := range a.objects {
		meta := path(o.tree, "metadata")
		switch str(meta, "name") {
		case a.name:
			meta.set("name", inline{fmt.Sprintf("{{ %s | quote }}", name)})
		case a.name + "-headless":
			meta.set("name", inline{fmt.Sprintf(`{{ printf "%%s-headless" %s | quote }}`, name)})
		}
	}
	if spec := path(sts.tree, "spec"); str(spec, "serviceName") == a.name+"-headless" {
		spec.set("serviceName", inline{fmt.Sprintf(`{{ printf "%%s-headless" %s | quote }}`, name)})
	}
}

// labelHoles puts the label helpers wherever a mapping holds exactly the
// app's labels or its selector.
func (a *app) labelHoles(v any) {
	switch x := v.(type) {
	case *mapping:
		for _, k := range x.keys {
			m, ok := x.vals[k].(*mapping)
			if !ok {
				a.labelHoles(x.vals[k])
				continue
			}
			p := plain(m)
			switch {
			case k == "labels" && a.labels != nil && equal(p, a.labels):
				x.set(k, includeBlock(k, a.helper("labels")))
			case (k == "matchLabels" || k == "selector") && a.sel != nil && equal(p, a.sel):
				x.set(k, includeBlock(k, a.helper("selectorLabels")))
			default:
				a.labelHoles(m)
			}
		}
	case []any:
		for _, e := range x {
			a.labelHoles(e)
		}
	}
}

func includeBlock(key, helper string) block {
	return block{func(ind string) string {
		return fmt.Sprintf("%s%s: {{- include %s $ | nindent %d }}\n", ind, key, goString(helper), len(ind)+2)
	}}
}

// walk calls f on every mapping of the tree.
func walk(v any, f func(*mapping)) {
	switch x := v.(type) {
	case *mapping:
		if x == nil {
			return
		}
		f(x)
		for _, k := range x.keys {
			walk(x.vals[k], f)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

// walkStrings calls f on every string of the tree, keys excepted.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case *mapping:
		if x == nil {
			return
		}
		for _, k := range x.keys {
			walkStrings(x.vals[k], f)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case string:
		f(x)
	}
}

func decodeIfExists(v cue.Value, field string, into any) error {
	f := v.LookupPath(cue.ParsePath(field))
	if !f.Exists() {
		return nil
	}
	return f.Decode(into)
}

// objectApp is the app an object belongs to, by its instance label.
func objectApp(tree any) string {
	labels := path(tree, "metadata", "labels")
	return str(labels, "app.kubernetes.io/instance")
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }
