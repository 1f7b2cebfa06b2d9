{{/*
Helpers of the events chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "events.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "events": its StatefulSet and Services are named after it.
*/}}
{{- define "events.events.name" -}}
events
{{- end }}

{{/*
Labels of the objects of the app "events".
*/}}
{{- define "events.events.labels" -}}
app.kubernetes.io/instance: events
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: kafka
{{- end }}

{{/*
Selector labels of the app "events": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "events.events.selectorLabels" -}}
app.kubernetes.io/instance: events
app.kubernetes.io/name: kafka
{{- end }}
