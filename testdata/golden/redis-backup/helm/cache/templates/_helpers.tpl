{{/*
Helpers of the cache chart, written by celestra. Names and labels are
those of `celestra export`: they do not depend on the release name, so that
the chart renders exactly the exported objects, which refer to each other by
name. Install two releases of the chart in different namespaces.
*/}}

{{/*
An image reference from its repository, tag and digest values.
*/}}
{{- define "cache.image" -}}
{{ .repository }}{{ with .tag }}:{{ . }}{{ end }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/*
Name of the app "cache": its StatefulSet and Services are named after it.
*/}}
{{- define "cache.cache.name" -}}
cache
{{- end }}

{{/*
Labels of the objects of the app "cache".
*/}}
{{- define "cache.cache.labels" -}}
app.kubernetes.io/instance: cache
app.kubernetes.io/managed-by: celestra
app.kubernetes.io/name: redis
{{- end }}

{{/*
Selector labels of the app "cache": the identity of its pods, which a StatefulSet
cannot change.
*/}}
{{- define "cache.cache.selectorLabels" -}}
app.kubernetes.io/instance: cache
app.kubernetes.io/name: redis
{{- end }}
