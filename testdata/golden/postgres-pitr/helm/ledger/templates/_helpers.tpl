{{/*
Helpers of the ledger chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "ledger.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "ledger": its StatefulSet and Services are named after it.
*/}}
{{- define "ledger.ledger.name" -}}
ledger
{{- end }}

{{/*
Labels of the objects of the app "ledger".
*/}}
{{- define "ledger.ledger.labels" -}}
app.kubernetes.io/instance: ledger
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: postgres
{{- end }}

{{/*
Selector labels of the app "ledger": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "ledger.ledger.selectorLabels" -}}
app.kubernetes.io/instance: ledger
app.kubernetes.io/name: postgres
{{- end }}
