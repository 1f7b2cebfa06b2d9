{{/*
Helpers of the db chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "db.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "db": its StatefulSet and Services are named after it.
*/}}
{{- define "db.db.name" -}}
db
{{- end }}

{{/*
Labels of the objects of the app "db".
*/}}
{{- define "db.db.labels" -}}
app.kubernetes.io/instance: db
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: postgres
{{- end }}

{{/*
Selector labels of the app "db": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "db.db.selectorLabels" -}}
app.kubernetes.io/instance: db
app.kubernetes.io/name: postgres
{{- end }}
