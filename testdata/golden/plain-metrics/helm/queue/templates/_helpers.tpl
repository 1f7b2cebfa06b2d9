{{/*
Helpers of the queue chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "queue.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "queue": its StatefulSet and Services are named after it.
*/}}
{{- define "queue.queue.name" -}}
queue
{{- end }}

{{/*
Labels of the objects of the app "queue".
*/}}
{{- define "queue.queue.labels" -}}
app.kubernetes.io/instance: queue
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: queue
{{- end }}

{{/*
Selector labels of the app "queue": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "queue.queue.selectorLabels" -}}
app.kubernetes.io/instance: queue
app.kubernetes.io/name: queue
{{- end }}
