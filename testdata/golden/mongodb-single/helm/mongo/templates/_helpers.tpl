{{/*
Helpers of the mongo chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "mongo.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "mongo": its StatefulSet and Services are named after it.
*/}}
{{- define "mongo.mongo.name" -}}
mongo
{{- end }}

{{/*
Labels of the objects of the app "mongo".
*/}}
{{- define "mongo.mongo.labels" -}}
app.kubernetes.io/instance: mongo
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: mongodb
{{- end }}

{{/*
Selector labels of the app "mongo": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "mongo.mongo.selectorLabels" -}}
app.kubernetes.io/instance: mongo
app.kubernetes.io/name: mongodb
{{- end }}
