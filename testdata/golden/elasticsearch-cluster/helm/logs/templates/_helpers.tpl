{{/*
Helpers of the logs chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "logs.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "logs": its StatefulSet and Services are named after it.
*/}}
{{- define "logs.logs.name" -}}
logs
{{- end }}

{{/*
Labels of the objects of the app "logs".
*/}}
{{- define "logs.logs.labels" -}}
app.kubernetes.io/instance: logs
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: elasticsearch
{{- end }}

{{/*
Selector labels of the app "logs": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "logs.logs.selectorLabels" -}}
app.kubernetes.io/instance: logs
app.kubernetes.io/name: elasticsearch
{{- end }}
