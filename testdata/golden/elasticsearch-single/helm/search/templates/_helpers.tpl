{{/*
Helpers of the search chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "search.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "search": its StatefulSet and Services are named after it.
*/}}
{{- define "search.search.name" -}}
search
{{- end }}

{{/*
Labels of the objects of the app "search".
*/}}
{{- define "search.search.labels" -}}
app.kubernetes.io/instance: search
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: elasticsearch
{{- end }}

{{/*
Selector labels of the app "search": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "search.search.selectorLabels" -}}
app.kubernetes.io/instance: search
app.kubernetes.io/name: elasticsearch
{{- end }}
