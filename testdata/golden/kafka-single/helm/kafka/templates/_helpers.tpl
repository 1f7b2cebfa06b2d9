{{/*
Helpers of the kafka chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "kafka.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "kafka": its StatefulSet and Services are named after it.
*/}}
{{- define "kafka.kafka.name" -}}
kafka
{{- end }}

{{/*
Labels of the objects of the app "kafka".
*/}}
{{- define "kafka.kafka.labels" -}}
app.kubernetes.io/instance: kafka
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: kafka
{{- end }}

{{/*
Selector labels of the app "kafka": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "kafka.kafka.selectorLabels" -}}
app.kubernetes.io/instance: kafka
app.kubernetes.io/name: kafka
{{- end }}
