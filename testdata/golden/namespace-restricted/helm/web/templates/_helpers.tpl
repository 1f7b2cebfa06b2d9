{{/*
Helpers of the web chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "web.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "web": its StatefulSet and Services are named after it.
*/}}
{{- define "web.web.name" -}}
web
{{- end }}

{{/*
Labels of the objects of the app "web".
*/}}
{{- define "web.web.labels" -}}
app.kubernetes.io/instance: web
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: web
{{- end }}

{{/*
Selector labels of the app "web": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "web.web.selectorLabels" -}}
app.kubernetes.io/instance: web
app.kubernetes.io/name: web
{{- end }}
