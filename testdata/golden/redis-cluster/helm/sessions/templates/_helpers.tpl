{{/*
Helpers of the sessions chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "sessions.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "sessions": its StatefulSet and Services are named after it.
*/}}
{{- define "sessions.sessions.name" -}}
sessions
{{- end }}

{{/*
Labels of the objects of the app "sessions".
*/}}
{{- define "sessions.sessions.labels" -}}
app.kubernetes.io/instance: sessions
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: redis
{{- end }}

{{/*
Selector labels of the app "sessions": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "sessions.sessions.selectorLabels" -}}
app.kubernetes.io/instance: sessions
app.kubernetes.io/name: redis
{{- end }}
