{{/*
Helpers of the postgres chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "postgres.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "postgres": its StatefulSet and Services are named after it.
*/}}
{{- define "postgres.postgres.name" -}}
postgres
{{- end }}

{{/*
Labels of the objects of the app "postgres".
*/}}
{{- define "postgres.postgres.labels" -}}
app.kubernetes.io/instance: postgres
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: postgres
{{- end }}

{{/*
Selector labels of the app "postgres": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "postgres.postgres.selectorLabels" -}}
app.kubernetes.io/instance: postgres
app.kubernetes.io/name: postgres
{{- end }}
