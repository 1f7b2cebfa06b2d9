package helm

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// helpers is templates/_helpers.tpl: the names and labels of each app,
// defined once, and the image reference.
func (c *chart) helpers() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{{/*
Helpers of the ` + c.name + ` chart, written by celestra. Names and labels are
those of ` + "`celestra export`" + `: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "` + c.name + `.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}
`)
	for _, a := range c.apps {
		fmt.Fprintf(&b, "\n{{/*\nName of the app %q: its StatefulSet and Services are named after it.\n*/}}\n", a.name)
		fmt.Fprintf(&b, "{{- define %s -}}\n%s\n{{- end }}\n", goString(a.helper("name")), escapeDelims(a.name))
		for _, l := range []struct {
			helper, doc string
			labels      map[string]any
		}{
			{"labels", "Labels of the objects of the app %q.", a.labels},
			{"selectorLabels", "Selector labels of the app %q: the identity of its pods, which a StatefulSet\ncannot change.", a.sel},
		} {
			text, err := labelText(l.labels)
			if err != nil {
				return nil, fmt.Errorf("labels of %s: %w", a.name, err)
			}
			fmt.Fprintf(&b, "\n{{/*\n"+l.doc+"\n*/}}\n", a.name)
			fmt.Fprintf(&b, "{{- define %s -}}\n%s{{- end }}\n", goString(a.helper(l.helper)), text)
		}
	}
	return []byte(b.String()), nil
}

func labelText(labels map[string]any) (string, error) {
	if len(labels) == 0 {
		return "{}\n", nil
	}
	n := &yaml.Node{}
	if err := n.Encode(labels); err != nil {
		return "", err
	}
	out, err := encodeYAML(n)
	if err != nil {
		return "", err
	}
	return escapeDelims(string(out)), nil
}

// notes is templates/NOTES.txt: how to reach each app.
func (c *chart) notes() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "{{- /* Shown after helm install and helm upgrade. */ -}}\n")
	fmt.Fprintf(&b, "%s: the objects of `celestra export` as release {{ .Release.Name }}.\n", c.name)
	for _, a := range c.apps {
		// Names are literal text: escapeDelims keeps them so.
		name, ns := escapeDelims(a.name), "{{ .Release.Namespace }}"
		if a.notes.namespace != "" {
			ns = "{{ $app.namespace | default .Release.Namespace }}"
		}
		fmt.Fprintf(&b, "{{- $app := index .Values %s }}\n", goString(a.name))
		fmt.Fprintf(&b, "\n%s", name)
		if a.preset != "" {
			fmt.Fprintf(&b, " (%s)", a.preset)
		}
		b.WriteString(": StatefulSet " + name)
		if a.schema.replicas != nil {
			b.WriteString(", {{ $app.replicas }} pod(s)")
		}
		b.WriteString(", in namespace " + ns + ".\n")
		if len(a.notes.ports) > 0 {
			fmt.Fprintf(&b, "  Each pod: %s-<ordinal>.%s-headless.%s.svc.cluster.local, ports %s.\n", name, name, ns, portList(a.notes.ports))
			fmt.Fprintf(&b, "  First pod: %s-0.%s-headless.%s.svc.cluster.local:%s\n", name, name, ns, a.notes.ports[0].port)
		}
		if len(a.notes.exposed) > 0 {
			fmt.Fprintf(&b, "{{- if $app.expose.enabled }}\n")
			fmt.Fprintf(&b, "  Clients: Service %s.%s.svc.cluster.local ({{ $app.expose.type }}), ports %s.\n", name, ns, portList(a.notes.exposed))
			fmt.Fprintf(&b, "  From your machine: kubectl port-forward --namespace %s svc/%s %s:%s\n", ns, name, a.notes.exposed[0].port, a.notes.exposed[0].port)
			fmt.Fprintf(&b, "{{- if eq $app.expose.type \"LoadBalancer\" }}\n")
			fmt.Fprintf(&b, "  External address: kubectl get svc --namespace %s %s -o jsonpath='{.status.loadBalancer.ingress[0]}'\n", ns, name)
			fmt.Fprintf(&b, "{{- end }}\n")
			fmt.Fprintf(&b, "{{- end }}\n")
		}
		for _, s := range a.notes.services {
			fmt.Fprintf(&b, "  Also: Service %s.%s.svc.cluster.local (%s), ports %s.\n", escapeDelims(s.name), ns, escapeDelims(s.typ), portList(s.ports))
		}
		if a.notes.backup {
			fmt.Fprintf(&b, "  Backups run on the schedule {{ $app.backup.schedule | quote }}.\n")
		}
	}
	return []byte(b.String())
}

func portList(ports []servicePort) string {
	sorted := append([]servicePort(nil), ports...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	parts := make([]string, len(sorted))
	for i, p := range sorted {
		parts[i] = p.name + " " + p.port
	}
	return escapeDelims(strings.Join(parts, ", "))
}
