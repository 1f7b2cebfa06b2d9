package engine

import (
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	batchv1 "k8s.io/api/batch/v1"
)

// A ServiceMonitor decodes strictly into the Prometheus Operator's own type.
func TestDecodeServiceMonitor(t *testing.T) {
	l := newTestLoader(t)
	raw := []byte(`{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor","metadata":{"name":"db"},` +
		`"spec":{"selector":{"matchLabels":{"app.kubernetes.io/instance":"db"}},"endpoints":[{"port":"metrics","path":"/metrics","interval":"30s"}]}}`)
	o, err := l.decodeObject("servicemonitor-db", raw)
	if err != nil {
		t.Fatal(err)
	}
	sm, ok := o.Typed.(*monitoringv1.ServiceMonitor)
	if !ok {
		t.Fatalf("typed object is %T, want *monitoringv1.ServiceMonitor", o.Typed)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "metrics" || string(sm.Spec.Endpoints[0].Interval) != "30s" {
		t.Errorf("endpoints = %+v", sm.Spec.Endpoints)
	}
}

// A field the operator's type does not have is refused, as for the
// Kubernetes kinds.
func TestDecodeServiceMonitorRejectsUnknownFields(t *testing.T) {
	l := newTestLoader(t)
	raw := []byte(`{"apiVersion":"monitoring.coreos.com/v1","kind":"ServiceMonitor","metadata":{"name":"db"},` +
		`"spec":{"selector":{},"endpoints":[{"port":"metrics","scrapeEvery":"30s"}]}}`)
	_, err := l.decodeObject("servicemonitor-db", raw)
	if err == nil || !strings.Contains(err.Error(), `unknown field "scrapeEvery"`) {
		t.Fatalf("err = %v, want unknown field scrapeEvery", err)
	}
}

// The backup CronJob of the postgres-backup example decodes into a typed
// CronJob, with the example's schedule and the Forbid policy.
func TestBackupCronJobDecodes(t *testing.T) {
	l := newTestLoader(t)
	res, err := l.Load("../../examples/postgres-backup")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range res.Objects {
		kinds[o.Kind] = true
		if cj, ok := o.Typed.(*batchv1.CronJob); ok {
			if cj.Spec.Schedule != "0 2 * * *" || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("CronJob %s: schedule %q, concurrency %q", cj.Name, cj.Spec.Schedule, cj.Spec.ConcurrencyPolicy)
			}
		}
	}
	for _, k := range []string{"CronJob", "ServiceMonitor", "NetworkPolicy", "StatefulSet"} {
		if !kinds[k] {
			t.Errorf("no %s in the example's objects", k)
		}
	}
}
