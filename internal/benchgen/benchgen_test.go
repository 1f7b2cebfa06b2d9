package benchgen_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/celestra-dev/celestra/internal/benchgen"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate"
)

// presetApp is what the generated apps of a preset must have.
type presetApp struct {
	// backup: a backup CronJob.
	backup bool
	// pitrShipper is the container that ships WAL or binary logs for
	// point-in-time recovery ("" when the preset has none).
	pitrShipper string
}

// presetApps returns what each preset's generated apps must have, keyed by
// the app.kubernetes.io/name label of the preset's StatefulSet.
func presetApps() map[string]presetApp {
	return map[string]presetApp{
		"postgres":      {backup: true, pitrShipper: "wal-shipper"},
		"mysql":         {backup: true, pitrShipper: "binlog-shipper"},
		"mongodb":       {backup: true},
		"redis":         {backup: true}, // a Redis Cluster excepted: it has no backup
		"kafka":         {},             // Kafka has no backup
		"elasticsearch": {backup: true},
	}
}

// load generates n apps of mix, loads them through the engine and runs the
// Kubernetes gate on the objects, as `celestra export` does, failing the
// test on any problem.
func load(t *testing.T, loader *engine.Loader, g *gate.Gate, n int, mix benchgen.Mix) *engine.Result {
	t.Helper()
	dir := t.TempDir()
	if err := benchgen.WriteMix(dir, n, mix); err != nil {
		t.Fatal(err)
	}
	r, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("%d apps of mix %s are not a valid configuration:\n%v", n, mix, err)
	}
	if err := g.Check(r.Objects); err != nil {
		t.Fatalf("Kubernetes' validation refuses %d apps of mix %s:\n%v", n, mix, err)
	}
	return r
}

func newLoaderAndGate(t *testing.T) (*engine.Loader, *gate.Gate) {
	t.Helper()
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.New()
	if err != nil {
		t.Fatal(err)
	}
	return loader, g
}

// TestPresetMixIsValidAndRealistic loads the default mix at 1 and 10 apps,
// and at two full turns of its cycle (every variant of every kind), and
// checks that every app is what the benchmarks claim: every preset and
// plain apps, each replicated, with metrics and a Secret, backed up where
// the preset can be, with point-in-time recovery for Postgres and MySQL.
func TestPresetMixIsValidAndRealistic(t *testing.T) {
	loader, g := newLoaderAndGate(t)
	const everyVariant = 14 // two turns of the cycle of 7 kinds
	for _, n := range []int{1, 10, everyVariant} {
		t.Run(fmt.Sprintf("apps=%d", n), func(t *testing.T) {
			r := load(t, loader, g, n, benchgen.MixPresets)
			checkApps(t, r, n)
		})
	}
}

// checkApps checks the apps of a configuration of the preset mix from its
// objects, the way a user would read them.
func checkApps(t *testing.T, r *engine.Result, n int) {
	t.Helper()
	statefulSets := map[string]*appsv1.StatefulSet{}
	backedUp := map[string]bool{}
	secrets := map[string]int{}
	for _, o := range r.Objects {
		switch typed := o.Typed.(type) {
		case *appsv1.StatefulSet:
			statefulSets[typed.Labels["app.kubernetes.io/instance"]] = typed
		case *batchv1.CronJob:
			backedUp[typed.Labels["app.kubernetes.io/instance"]] = true
		case *corev1.Secret:
			secrets[typed.Labels["app.kubernetes.io/instance"]]++
		}
	}
	if len(statefulSets) != n {
		t.Fatalf("%d apps generated, %d StatefulSets rendered", n, len(statefulSets))
	}
	presets := presetApps()
	kinds := map[string]bool{}
	for _, app := range slices.Sorted(maps.Keys(statefulSets)) {
		sts := statefulSets[app]
		kind := sts.Labels["app.kubernetes.io/name"]
		if kind == app {
			kind = "plain"
		}
		kinds[kind] = true
		pod := sts.Spec.Template
		clusterMode := slices.ContainsFunc(pod.Spec.Containers[0].Env, func(e corev1.EnvVar) bool {
			return e.Name == "CELESTRA_MODE" && e.Value == "cluster"
		})
		if replicas := ptr.Deref(sts.Spec.Replicas, 1); replicas < 2 {
			t.Errorf("%s (%s): replicas %d, want more than 1", app, kind, replicas)
		}
		if pod.Annotations["prometheus.io/scrape"] != "true" {
			t.Errorf("%s (%s): pod not scraped for metrics (annotations %v)", app, kind, pod.Annotations)
		}
		if secrets[app] == 0 {
			t.Errorf("%s (%s): no Secret", app, kind)
		}
		want := presets[kind]
		if wantBackup := want.backup && !clusterMode; backedUp[app] != wantBackup {
			t.Errorf("%s (%s): backed up %t, want %t", app, kind, backedUp[app], wantBackup)
		}
		if want.pitrShipper != "" && !slices.ContainsFunc(pod.Spec.Containers, func(c corev1.Container) bool {
			return c.Name == want.pitrShipper
		}) {
			t.Errorf("%s (%s): no %s container: point-in-time recovery is off", app, kind, want.pitrShipper)
		}
	}
	wantKinds := map[string]bool{"plain": true}
	for kind := range presets {
		wantKinds[kind] = true
	}
	if n >= len(wantKinds) && !maps.Equal(kinds, wantKinds) {
		t.Errorf("kinds of apps %v, want every preset and plain apps: %v",
			slices.Sorted(maps.Keys(kinds)), slices.Sorted(maps.Keys(wantKinds)))
	}
}

// TestPlainPostgresMixIsValid keeps the mix of the first measurements
// loadable, so that they can be repeated.
func TestPlainPostgresMixIsValid(t *testing.T) {
	loader, g := newLoaderAndGate(t)
	for _, n := range []int{1, 10} {
		t.Run(fmt.Sprintf("apps=%d", n), func(t *testing.T) {
			r := load(t, loader, g, n, benchgen.MixPlainPostgres)
			if got := len(r.Objects); got < n {
				t.Errorf("%d objects for %d apps", got, n)
			}
		})
	}
}

// TestLargerConfigurationsExtendSmallerOnes checks that a configuration of
// n apps starts with the apps of every smaller one, so that the growth
// from 100 to 1000 apps measures more of the same apps.
func TestLargerConfigurationsExtendSmallerOnes(t *testing.T) {
	for _, mix := range benchgen.Mixes() {
		large, err := benchgen.Source(1000, mix)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 10, 100} {
			small, err := benchgen.Source(n, mix)
			if err != nil {
				t.Fatal(err)
			}
			_, smallApps, _ := strings.Cut(small, "\napps: ")
			if !strings.Contains(large, "\napps: "+smallApps) {
				t.Errorf("mix %s: the %d apps are not the first apps of 1000", mix, n)
			}
			again, err := benchgen.Source(n, mix)
			if err != nil {
				t.Fatal(err)
			}
			if again != small {
				t.Errorf("mix %s: two configurations of %d apps differ", mix, n)
			}
		}
		if got := strings.Count(large, "\napps: "); got != 1000 {
			t.Errorf("mix %s: %d apps written for 1000", mix, got)
		}
	}
}

func TestSourceRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		n    int
		mix  benchgen.Mix
		want string
	}{
		{0, benchgen.MixPresets, "benchgen: 0 apps: the number of apps must be at least 1"},
		{-3, benchgen.MixPresets, "benchgen: -3 apps: the number of apps must be at least 1"},
		{10, "postgres-only", `benchgen: unknown mix "postgres-only": use presets or plain-postgres`},
	} {
		_, err := benchgen.Source(tc.n, tc.mix)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Source(%d, %q) = %v, want %q", tc.n, tc.mix, err, tc.want)
		}
	}
}
