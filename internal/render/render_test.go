package render_test

import (
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/render"
	"github.com/celestra-dev/celestra/model"
)

// minimal is the smallest app the renderer accepts.
func minimal() model.App {
	return model.App{
		Name: "q", Image: "q:1", Replicas: 1,
		DeploymentStrategy: "rolling", PodManagementPolicy: "OrderedReady",
		Security: model.Security{RunAsNonRoot: true},
	}
}

// TestAppRefuses lists the models the renderer refuses (the CUE schemas
// refuse them first; a program building a model by hand gets these).
func TestAppRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*model.App)
		want   string
	}{
		{"bad quantity", func(a *model.App) { a.Resources.CPU = "2 cores" }, `app q: resources: cpu "2 cores": quantities must match the regular expression`},
		{"bad claim size", func(a *model.App) { a.Storage = &model.Storage{Claim: model.Claim{Size: "big"}, MountPath: "/d"} }, `app q: claim data: size: quantities must match`},
		{"bad strategy", func(a *model.App) { a.DeploymentStrategy = "blue-green" }, `app q: deploymentStrategy "blue-green" is neither rolling nor on-delete`},
		{"two objects with one key", func(a *model.App) {
			a.Services = map[string]model.Service{"q-headless": {Type: "ClusterIP"}}
		}, `app q: two objects named service-q-headless`},
		{"health check without port", func(a *model.App) { a.HealthCheck = &model.HealthCheck{Path: "/h"} }, `app q: healthCheck has no port and the app has none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := minimal()
			tc.change(&a)
			_, err := render.App(a)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestMinimal checks the objects of the smallest app: a StatefulSet and its
// headless Service, in key order.
func TestMinimal(t *testing.T) {
	objects, err := render.App(minimal())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	if got := strings.Join(keys, " "); got != "service-q-headless statefulset-q" {
		t.Errorf("keys %q", got)
	}
	raw, err := render.JSON(objects[1].Object)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"labels":{"app.kubernetes.io/instance":"q","app.kubernetes.io/managed-by":"celestra","app.kubernetes.io/name":"q"},"name":"q"},` +
		`"spec":{"podManagementPolicy":"OrderedReady","replicas":1,"selector":{"matchLabels":{"app.kubernetes.io/instance":"q","app.kubernetes.io/name":"q"}},"serviceName":"q-headless",` +
		`"template":{"metadata":{"labels":{"app.kubernetes.io/instance":"q","app.kubernetes.io/managed-by":"celestra","app.kubernetes.io/name":"q"}},` +
		`"spec":{"automountServiceAccountToken":false,"containers":[{"image":"q:1","name":"q","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":false}}],` +
		`"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}},"updateStrategy":{"type":"RollingUpdate"}}}`
	if string(raw) != want {
		t.Errorf("got  %s\nwant %s", raw, want)
	}
}
