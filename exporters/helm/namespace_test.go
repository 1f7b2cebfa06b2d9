package helm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/exporttest"
)

// exportSource writes src as a configuration and exports it as a chart.
func exportSource(t *testing.T, src string) *exported {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := exporttest.NewLoader(t).Load(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return exportResult(t, r)
}

// namespaces maps each rendered object to its metadata.namespace ("" when
// it has none), and each RoleBinding subject's namespace under
// "<key> subject".
func namespaces(objs exporttest.Objects) map[string]string {
	out := map[string]string{}
	for k, o := range objs {
		meta, _ := o["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		out[k] = ns
		if subjects, ok := o["subjects"].([]any); ok {
			for _, s := range subjects {
				ns, _ := s.(map[string]any)["namespace"].(string)
				out[k+" subject"] = ns
			}
		}
	}
	return out
}

// TestChartUsesReleaseNamespace: a configuration that names a namespace
// gives a chart whose objects go where helm install -n puts them, unless the
// value namespace pins one; Helm's engine renders it under another
// namespace than the configured one.
func TestChartUsesReleaseNamespace(t *testing.T) {
	e := exportSource(t, `package shop

apps: queue: {
	image: "ghcr.io/acme/queue:2.4.1"
	namespace: "shop"
	ports: amqp: port: 5672
	storage: size: "1Gi"
	roles: reader: rules: [{verbs: ["get"], resources: ["pods"]}]
}
`)
	lintStrict(t, e.dir)
	if e.namespace != "shop" {
		t.Fatalf("the YAML export's namespace is %q, want shop", e.namespace)
	}
	// Installed into the configured namespace, the chart renders exactly
	// the YAML export.
	checkDefaultRender(t, e)

	other, err := exporttest.RenderChartIn(e.chart, nil, "other")
	if err != nil {
		t.Fatal(err)
	}
	got := namespaces(other)
	if len(got) < 4 {
		t.Fatalf("too few objects rendered: %v", got)
	}
	for k, ns := range got {
		if ns != "other" {
			t.Errorf("helm install -n other: %s is in namespace %q, want other", k, ns)
		}
	}
	if _, ok := got["RoleBinding/reader subject"]; !ok {
		t.Errorf("no RoleBinding subject rendered: %v", got)
	}

	pinned, err := exporttest.RenderChartIn(e.chart, set("queue", map[string]any{"namespace": "shop"}), "other")
	if err != nil {
		t.Fatal(err)
	}
	for k, ns := range namespaces(pinned) {
		if ns != "shop" {
			t.Errorf("namespace pinned to shop, helm install -n other: %s is in namespace %q", k, ns)
		}
	}

	if _, err := exporttest.RenderChartIn(e.chart, set("queue", map[string]any{"namespace": "Shop_1"}), "other"); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("namespace Shop_1 (not a DNS label) was not refused by values.schema.json: %v", err)
	}
}

// TestChartPinsNamespaceItCreates: with securityPolicy the configuration
// writes its Namespace (with the Pod Security labels). A chart cannot own
// the namespace it is installed into, so its value namespace pins the
// configured one by default; emptied, the objects follow the release and
// the Namespace object is not written.
func TestChartPinsNamespaceItCreates(t *testing.T) {
	e := exportSource(t, `package shop

apps: queue: {
	image: "ghcr.io/acme/queue:2.4.1"
	namespace: "shop"
	securityPolicy: podSecurityStandard: "restricted"
	ports: amqp: port: 5672
	storage: size: "1Gi"
}
`)
	lintStrict(t, e.dir)
	checkDefaultRender(t, e)
	def, err := exporttest.RenderChartIn(e.chart, nil, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := def["Namespace/shop"]; !ok {
		t.Errorf("default render lacks Namespace/shop: %v", namespaces(def))
	}
	for k, ns := range namespaces(def) {
		if k != "Namespace/shop" && ns != "shop" {
			t.Errorf("default render, helm install -n other: %s is in namespace %q, want shop (pinned)", k, ns)
		}
	}
	released, err := exporttest.RenderChartIn(e.chart, set("queue", map[string]any{"namespace": ""}), "other")
	if err != nil {
		t.Fatal(err)
	}
	for k, ns := range namespaces(released) {
		if strings.HasPrefix(k, "Namespace/") {
			t.Errorf("namespace \"\": the chart still writes %s", k)
		} else if ns != "other" {
			t.Errorf("namespace \"\", helm install -n other: %s is in namespace %q", k, ns)
		}
	}
}
