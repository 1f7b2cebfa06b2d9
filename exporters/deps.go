package exporters

// Blank imports that pin the exporters' format libraries in go.mod while the
// exporter packages are written; each exporter package imports what it uses.
import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/compose-spec/compose-go/v2/types"
	_ "helm.sh/helm/v3/pkg/chart"
	_ "helm.sh/helm/v3/pkg/chart/loader"
	_ "helm.sh/helm/v3/pkg/chartutil"
	_ "helm.sh/helm/v3/pkg/engine"
	_ "helm.sh/helm/v3/pkg/lint"
	_ "k8s.io/pod-security-admission/policy"
	_ "sigs.k8s.io/kustomize/api/krusty"
	_ "sigs.k8s.io/kustomize/api/types"
	_ "sigs.k8s.io/kustomize/kyaml/filesys"
)
