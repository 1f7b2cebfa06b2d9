package compose

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/celestra-dev/celestra/internal/engine"
)

// envVar is one environment variable of a container, after Kubernetes'
// rules: a literal value, or a key of a Secret.
type envVar struct {
	name  string
	value string
	// secret is set when the value comes from a Secret key.
	secret *secretRef
	// file is where the container reads the secret value from, once the
	// secret is mounted under /run/secrets.
	file string
}

type secretRef struct {
	obj objKey
	key string
}

// envNamePattern is what Kubernetes accepts as a variable name from envFrom.
var envNamePattern = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// shellName is a variable name /bin/sh can assign.
var shellName = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)

// env resolves the container's variables in Kubernetes order: envFrom
// sources, then env entries, a later definition replacing an earlier one.
// $(VAR) references in env values are expanded with the variables defined
// before them, and downward-API fields become this pod's literal values.
func (b *builder) env(p *podInfo, c *corev1.Container) ([]envVar, error) {
	var vars []envVar
	index := map[string]int{}
	set := func(v envVar) {
		if i, ok := index[v.name]; ok {
			vars[i] = v
			return
		}
		index[v.name] = len(vars)
		vars = append(vars, v)
	}
	lookup := func(name string) (string, bool) {
		i, ok := index[name]
		if !ok || vars[i].secret != nil {
			return "", false
		}
		return vars[i].value, true
	}
	isSecret := func(name string) bool {
		i, ok := index[name]
		return ok && vars[i].secret != nil
	}

	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			k := key(p.ns, ef.ConfigMapRef.Name)
			keys, known := b.dataKeys("configs", k)
			if !known {
				if ef.ConfigMapRef.Optional == nil || !*ef.ConfigMapRef.Optional {
					b.note(p.app, "container %s envFrom ConfigMap %s is managed outside celestra: its variables are not set", c.Name, k.name)
				}
				continue
			}
			cm := b.configs[k]
			for _, dk := range keys {
				name := ef.Prefix + dk
				if !envNamePattern.MatchString(name) {
					continue
				}
				value, ok := cm.Data[dk]
				if !ok {
					value = string(cm.BinaryData[dk])
				}
				set(envVar{name: name, value: value})
			}
		case ef.SecretRef != nil:
			k := key(p.ns, ef.SecretRef.Name)
			keys, known := b.dataKeys("secrets", k)
			if !known {
				if ef.SecretRef.Optional == nil || !*ef.SecretRef.Optional {
					b.note(p.app, "container %s envFrom Secret %s is managed outside celestra: its variables are not set", c.Name, k.name)
				}
				continue
			}
			for _, dk := range keys {
				name := ef.Prefix + dk
				if envNamePattern.MatchString(name) {
					set(envVar{name: name, secret: &secretRef{obj: k, key: dk}})
				}
			}
		}
	}

	for _, e := range c.Env {
		if e.ValueFrom == nil {
			value, refs := expand(e.Value, lookup, isSecret).literal()
			if len(refs) > 0 {
				b.note(p.app, "container %s variable %s refers to %s, which comes from a Secret: not expanded in Compose", c.Name, e.Name, strings.Join(refs, ", "))
			}
			set(envVar{name: e.Name, value: value})
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			value, ok := fieldValue(p, vf.FieldRef.FieldPath)
			if !ok {
				b.note(p.app, "container %s variable %s from field %s: Compose has no such value, it is not set", c.Name, e.Name, vf.FieldRef.FieldPath)
				continue
			}
			if strings.HasPrefix(vf.FieldRef.FieldPath, "status.podIP") {
				b.note(p.app, "container %s variable %s from %s: set to the member's host name, which resolves to its address on the Compose network", c.Name, e.Name, vf.FieldRef.FieldPath)
			}
			set(envVar{name: e.Name, value: value})
		case vf.ResourceFieldRef != nil:
			value, ok := resourceValue(p.spec, c, vf.ResourceFieldRef)
			if !ok {
				b.note(p.app, "container %s variable %s from resource %s: no value is set for it, so Compose cannot compute it", c.Name, e.Name, vf.ResourceFieldRef.Resource)
				continue
			}
			set(envVar{name: e.Name, value: value})
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			k := key(p.ns, ref.Name)
			cm, known := b.configs[k]
			optional := ref.Optional != nil && *ref.Optional
			if !known {
				if !optional {
					b.note(p.app, "container %s variable %s from ConfigMap %s, which is managed outside celestra: not set", c.Name, e.Name, ref.Name)
				}
				continue
			}
			value, ok := cm.Data[ref.Key]
			if !ok {
				if optional {
					continue
				}
				return nil, fmt.Errorf("container %s variable %s: ConfigMap %s has no key %q", c.Name, e.Name, ref.Name, ref.Key)
			}
			set(envVar{name: e.Name, value: value})
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			k := key(p.ns, ref.Name)
			if s, known := b.secrets[k]; known {
				_, inData := s.Data[ref.Key]
				_, inString := s.StringData[ref.Key]
				if !inData && !inString {
					if ref.Optional != nil && *ref.Optional {
						continue
					}
					return nil, fmt.Errorf("container %s variable %s: Secret %s has no key %q", c.Name, e.Name, ref.Name, ref.Key)
				}
			}
			set(envVar{name: e.Name, secret: &secretRef{obj: k, key: ref.Key}})
		default:
			b.note(p.app, "container %s variable %s: this source is not carried over to Compose", c.Name, e.Name)
		}
	}
	return vars, nil
}

// environment sets the service's environment, entrypoint and command from
// the container's variables, command and args. Variables from Secrets never
// get into the Compose file: see the package documentation.
func (b *builder) environment(p *podInfo, c *corev1.Container, svc *types.ServiceConfig, vars []envVar, addSecret func(source, target string)) error {
	fileVars := fileEnvConvention(c.Image)
	var wrapped, envFile []int
	for i := range vars {
		v := &vars[i]
		switch {
		case v.secret == nil:
			if svc.Environment == nil {
				svc.Environment = types.MappingWithEquals{}
			}
			svc.Environment[v.name] = ptr(escape(v.value))
		case fileVars[v.name]:
			name, err := b.secretFile(p.app, v.secret.obj, v.secret.key)
			if err != nil {
				return err
			}
			v.file = "/run/secrets/" + name
			addSecret(name, "")
			if svc.Environment == nil {
				svc.Environment = types.MappingWithEquals{}
			}
			svc.Environment[v.name+"_FILE"] = ptr(escape(v.file))
		case len(c.Command) > 0 && shellName.MatchString(v.name):
			wrapped = append(wrapped, i)
		default:
			envFile = append(envFile, i)
		}
	}
	lookup := func(name string) (string, bool) {
		for _, v := range vars {
			if v.name == name && v.secret == nil {
				return v.value, true
			}
		}
		return "", false
	}
	wrapping := map[string]bool{}
	for _, i := range wrapped {
		wrapping[vars[i].name] = true
	}
	isSecret := func(name string) bool {
		for _, v := range vars {
			if v.name == name && v.secret != nil {
				return true
			}
		}
		return false
	}
	command := make([]segments, len(c.Command))
	for i, s := range c.Command {
		command[i] = expand(s, lookup, isSecret)
	}
	args := make([]segments, len(c.Args))
	for i, s := range c.Args {
		args[i] = expand(s, lookup, isSecret)
	}

	if len(wrapped) > 0 {
		var reads []string
		for _, i := range wrapped {
			v := &vars[i]
			name, err := b.secretFile(p.app, v.secret.obj, v.secret.key)
			if err != nil {
				return err
			}
			v.file = "/run/secrets/" + name
			addSecret(name, "")
			reads = append(reads, readVar(v.name, v.file))
		}
		var words []string
		for _, s := range append(command, args...) {
			word, refs := s.shell(wrapping)
			if len(refs) > 0 {
				b.note(p.app, "container %s command refers to %s, which comes from a Secret not read by the entrypoint: not expanded in Compose", c.Name, strings.Join(refs, ", "))
			}
			words = append(words, word)
		}
		script := "set -e; " + strings.Join(reads, " ") + " exec " + strings.Join(words, " ")
		svc.Entrypoint = types.ShellCommand{"/bin/sh", "-c", escape(script)}
		return nil
	}

	render := func(list []segments) types.ShellCommand {
		var out types.ShellCommand
		for _, s := range list {
			text, refs := s.literal()
			if len(refs) > 0 {
				b.note(p.app, "container %s command refers to %s, which comes from a Secret: not expanded in Compose", c.Name, strings.Join(refs, ", "))
			}
			out = append(out, escape(text))
		}
		return out
	}
	if len(command) > 0 {
		svc.Entrypoint = render(command)
	}
	if len(args) > 0 {
		svc.Command = render(args)
	}

	if len(envFile) > 0 {
		var lines []string
		for _, i := range envFile {
			v := vars[i]
			value, known, err := b.secretValue(v.secret)
			if err != nil {
				return err
			}
			if !known {
				b.note(p.app, "container %s variable %s from Secret %s, which is managed outside celestra: add it to ./secrets/%s.env", c.Name, v.name, v.secret.obj.name, svc.Name)
				continue
			}
			if !dotenvName(v.name) {
				return &engine.ConfigError{Diagnostics: []engine.Diagnostic{{
					Path: "apps." + p.app,
					Message: fmt.Sprintf("container %s variable %s from Secret %s: Compose reads variables from Secrets from an env_file, "+
						"whose names are letters, digits, '_', '.' and '-': rename the variable, or export with --format yaml, helm or kustomize",
						c.Name, strconv.Quote(v.name), v.secret.obj.name),
				}}}
			}
			lines = append(lines, v.name+"="+dotenvQuote(value))
		}
		sort.Strings(lines)
		file := "secrets/" + svc.Name + ".env"
		b.files[file] = []byte(strings.Join(lines, "\n") + "\n")
		svc.EnvFiles = append(svc.EnvFiles, types.EnvFile{Path: "./" + file, Required: true})
	}
	return nil
}

// secretValue is the value of a Secret key, when celestra knows it.
func (b *builder) secretValue(ref *secretRef) (string, bool, error) {
	s, ok := b.secrets[ref.obj]
	if !ok {
		return "", false, nil
	}
	if v, ok := s.StringData[ref.key]; ok {
		return v, true, nil
	}
	if v, ok := s.Data[ref.key]; ok {
		return string(v), true, nil
	}
	return "", false, fmt.Errorf("Secret %s has no key %q", ref.obj.name, ref.key)
}

// fileEnvConvention lists, for the official images whose entrypoint reads
// <VAR>_FILE, the variables it reads that way.
func fileEnvConvention(image string) map[string]bool {
	list := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	switch imageName(image) {
	case "postgres", "postgis":
		return list("POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS")
	case "mysql":
		return list("MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "MYSQL_USER", "MYSQL_DATABASE", "MYSQL_ROOT_HOST")
	case "mariadb":
		return list("MARIADB_ROOT_PASSWORD", "MARIADB_PASSWORD", "MARIADB_USER", "MARIADB_DATABASE", "MARIADB_ROOT_HOST",
			"MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "MYSQL_USER", "MYSQL_DATABASE", "MYSQL_ROOT_HOST")
	case "mongo":
		return list("MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD")
	}
	return nil
}

// imageName is the last path element of an image reference, without tag
// or digest: "postgres" for docker.io/library/postgres:17@sha256:...
func imageName(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, "/"); i >= 0 {
		image = image[i+1:]
	}
	if i := strings.Index(image, ":"); i >= 0 {
		image = image[:i]
	}
	return image
}

// fieldValue is the value of a downward-API field for this pod.
func fieldValue(p *podInfo, field string) (string, bool) {
	switch field {
	case "metadata.name":
		return p.name, true
	case "metadata.namespace":
		return p.ns, true
	case "spec.serviceAccountName":
		if p.spec.ServiceAccountName != "" {
			return p.spec.ServiceAccountName, true
		}
		return "default", true
	case "status.podIP", "status.podIPs":
		return p.name, true
	}
	if strings.HasPrefix(field, "metadata.labels['") && strings.HasSuffix(field, "']") {
		v, ok := p.labels[strings.TrimSuffix(strings.TrimPrefix(field, "metadata.labels['"), "']")]
		return v, ok
	}
	return "", false
}

// resourceValue is the value of a resourceFieldRef: the container's request
// or limit divided by the divisor, rounded up, as the kubelet computes it.
func resourceValue(spec *corev1.PodSpec, c *corev1.Container, ref *corev1.ResourceFieldSelector) (string, bool) {
	target := c
	if ref.ContainerName != "" {
		target = nil
		for i := range spec.Containers {
			if spec.Containers[i].Name == ref.ContainerName {
				target = &spec.Containers[i]
			}
		}
		if target == nil {
			return "", false
		}
	}
	list := target.Resources.Limits
	name := strings.TrimPrefix(ref.Resource, "limits.")
	if strings.HasPrefix(ref.Resource, "requests.") {
		list, name = target.Resources.Requests, strings.TrimPrefix(ref.Resource, "requests.")
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		return "", false
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	var v float64
	if name == string(corev1.ResourceCPU) {
		v = math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue()))
	} else {
		v = math.Ceil(float64(q.Value()) / float64(divisor.Value()))
	}
	return strconv.FormatFloat(v, 'f', 0, 64), true
}

// segments is a string after $(VAR) expansion: literal text and references
// to variables whose value comes from a Secret.
type segments []segment

type segment struct {
	text string
	ref  string
}

// expand applies the kubelet's $(VAR) expansion: "$$" is "$", $(NAME) is
// the value of NAME when it is defined, and stays as written otherwise.
// References to variables from Secrets are kept apart.
func expand(s string, lookup func(string) (string, bool), isSecret func(string) bool) segments {
	var out segments
	var buf strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			buf.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			buf.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				buf.WriteString(s[i:])
				i = len(s)
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				buf.WriteString(v)
			} else if isSecret(name) {
				out = append(out, segment{text: buf.String()}, segment{ref: name})
				buf.Reset()
			} else {
				buf.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			buf.WriteByte('$')
		}
	}
	return append(out, segment{text: buf.String()})
}

// literal is the text, with Secret references left as $(NAME); refs lists
// them.
func (s segments) literal() (text string, refs []string) {
	var b strings.Builder
	for _, seg := range s {
		if seg.ref != "" {
			b.WriteString("$(" + seg.ref + ")")
			refs = append(refs, seg.ref)
			continue
		}
		b.WriteString(seg.text)
	}
	return b.String(), refs
}

// shell is the text as one shell word: literal parts single-quoted, the
// references to variables in exported double-quoted; refs lists the others.
func (s segments) shell(exported map[string]bool) (word string, refs []string) {
	var b strings.Builder
	for _, seg := range s {
		switch {
		case seg.ref != "" && exported[seg.ref]:
			b.WriteString(`"${` + seg.ref + `}"`)
		case seg.ref != "":
			b.WriteString(shellQuote("$(" + seg.ref + ")"))
			refs = append(refs, seg.ref)
		case seg.text != "":
			b.WriteString(shellQuote(seg.text))
		}
	}
	if b.Len() == 0 {
		return "''", refs
	}
	return b.String(), refs
}

// shellQuote single-quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readVar is the shell statements that set and export name from a file.
func readVar(name, file string) string {
	return name + `="$(cat ` + shellQuote(file) + `)"; export ` + name + ";"
}

// dotenvName reports whether name can be a variable's name in a Compose
// env_file: ASCII letters, digits, '_', '.' and '-' (compose-go's parser
// also takes other Unicode letters and '[' ']', but skips white space and
// reads "#" as a comment and "export " as a keyword).
func dotenvName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// dotenvQuote writes a value for a Compose env_file: double-quoted, with
// backslash, quote, dollar and line breaks escaped, so that Compose reads it
// back unchanged and interpolates nothing.
func dotenvQuote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\r", `\r`)
	return `"` + r.Replace(v) + `"`
}
