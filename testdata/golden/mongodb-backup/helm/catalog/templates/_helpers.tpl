{{/*
Helpers of the catalog chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "catalog.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "catalog": its StatefulSet and Services are named after it.
*/}}
{{- define "catalog.catalog.name" -}}
catalog
{{- end }}

{{/*
Labels of the objects of the app "catalog".
*/}}
{{- define "catalog.catalog.labels" -}}
app.kubernetes.io/instance: catalog
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: mongodb
{{- end }}

{{/*
Selector labels of the app "catalog": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "catalog.catalog.selectorLabels" -}}
app.kubernetes.io/instance: catalog
app.kubernetes.io/name: mongodb
{{- end }}
