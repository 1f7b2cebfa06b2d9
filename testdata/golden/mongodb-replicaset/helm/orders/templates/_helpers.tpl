{{/*
Helpers of the orders chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "orders.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "orders": its StatefulSet and Services are named after it.
*/}}
{{- define "orders.orders.name" -}}
orders
{{- end }}

{{/*
Labels of the objects of the app "orders".
*/}}
{{- define "orders.orders.labels" -}}
app.kubernetes.io/instance: orders
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: mongodb
{{- end }}

{{/*
Selector labels of the app "orders": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "orders.orders.selectorLabels" -}}
app.kubernetes.io/instance: orders
app.kubernetes.io/name: mongodb
{{- end }}
