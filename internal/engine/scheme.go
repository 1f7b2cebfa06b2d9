package engine

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// newScheme knows the API groups celestra renders: the same ones the CUE
// definitions are generated from, plus the Prometheus Operator's
// monitoring.coreos.com/v1 for ServiceMonitors, decoded into its own types.
func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		rbacv1.AddToScheme, networkingv1.AddToScheme, autoscalingv2.AddToScheme,
		monitoringv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build Kubernetes scheme: %w", err)
		}
	}
	return s, nil
}
