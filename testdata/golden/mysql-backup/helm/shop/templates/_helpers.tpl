{{/*
Helpers of the shop chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "shop.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "shop": its StatefulSet and Services are named after it.
*/}}
{{- define "shop.shop.name" -}}
shop
{{- end }}

{{/*
Labels of the objects of the app "shop".
*/}}
{{- define "shop.shop.labels" -}}
app.kubernetes.io/instance: shop
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: mysql
{{- end }}

{{/*
Selector labels of the app "shop": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "shop.shop.selectorLabels" -}}
app.kubernetes.io/instance: shop
app.kubernetes.io/name: mysql
{{- end }}
