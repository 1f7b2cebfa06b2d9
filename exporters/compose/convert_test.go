package compose

import (
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestCPUs(t *testing.T) {
	for in, want := range map[string]string{
		"500m":  "0.5",
		"2":     "2",
		"4000m": "4",
		"250m":  "0.25",
		"1.5":   "1.5",
		"100m":  "0.1",
		"1m":    "0.001",
	} {
		if line := written(t, types.Resource{NanoCPUs: CPUs(resource.MustParse(in))}, "cpus:"); line != "cpus: "+want {
			t.Errorf("CPUs(%s) is written %q, want cpus: %s", in, line, want)
		}
	}
}

// written is the line starting with prefix when r is written as a
// service's resource limits in a compose file.
func written(t *testing.T, r types.Resource, prefix string) string {
	t.Helper()
	p := &types.Project{Services: types.Services{"s": {Name: "s", Deploy: &types.DeployConfig{Resources: types.Resources{Limits: &r}}}}}
	out, err := p.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, prefix) {
			return line
		}
	}
	t.Fatalf("no %s line in\n%s", prefix, out)
	return ""
}

func TestMemoryBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1Gi":   1073741824,
		"512Mi": 536870912,
		"16Gi":  17179869184,
		"1G":    1000000000,
		"100":   100,
		"1500m": 2, // a fraction of a byte rounds up
	} {
		if got := MemoryBytes(resource.MustParse(in)); int64(got) != want {
			t.Errorf("MemoryBytes(%s) = %d, want %d", in, got, want)
		}
	}
	if line := written(t, types.Resource{MemoryBytes: MemoryBytes(resource.MustParse("1Gi"))}, "memory:"); line != `memory: "1073741824"` {
		t.Errorf("1Gi is written %q", line)
	}
}

func TestHealthcheck(t *testing.T) {
	seconds := func(s int) types.Duration { return types.Duration(time.Duration(s) * time.Second) }
	exec := func(argv ...string) corev1.ProbeHandler {
		return corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: argv}}
	}
	tests := []struct {
		name            string
		probe, startup  *corev1.Probe
		test            []string
		interval, tmout types.Duration
		retries         uint64
		start           *types.Duration
	}{
		{
			name:  "shell script, Kubernetes defaults",
			probe: &corev1.Probe{ProbeHandler: exec("sh", "-c", "pg_isready -p 5432")},
			test:  []string{"CMD-SHELL", "pg_isready -p 5432"},
			// Kubernetes' defaults, not Compose's 30s/30s.
			interval: seconds(10), tmout: seconds(1), retries: 3,
		},
		{
			name:     "argv with timings",
			probe:    &corev1.Probe{ProbeHandler: exec("mysqladmin", "ping"), PeriodSeconds: 20, TimeoutSeconds: 5, FailureThreshold: 6, InitialDelaySeconds: 30},
			test:     []string{"CMD", "mysqladmin", "ping"},
			interval: seconds(20), tmout: seconds(5), retries: 6, start: ptr(seconds(30)),
		},
		{
			name:     "startup probe lengthens the start period",
			probe:    &corev1.Probe{ProbeHandler: exec("/bin/sh", "-c", "true"), InitialDelaySeconds: 5},
			startup:  &corev1.Probe{ProbeHandler: exec("true"), PeriodSeconds: 10, FailureThreshold: 30},
			test:     []string{"CMD-SHELL", "true"},
			interval: seconds(10), tmout: seconds(1), retries: 3, start: ptr(seconds(300)),
		},
		{
			name:     "sh with more arguments stays argv",
			probe:    &corev1.Probe{ProbeHandler: exec("sh", "-c", "exit $0", "1")},
			test:     []string{"CMD", "sh", "-c", "exit $0", "1"},
			interval: seconds(10), tmout: seconds(1), retries: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := healthcheck(tt.probe, tt.startup)
			if hc == nil {
				t.Fatal("no healthcheck")
			}
			if strings.Join(hc.Test, "|") != strings.Join(tt.test, "|") {
				t.Errorf("test = %q, want %q", hc.Test, tt.test)
			}
			if *hc.Interval != tt.interval || *hc.Timeout != tt.tmout || *hc.Retries != tt.retries {
				t.Errorf("interval %v timeout %v retries %d, want %v %v %d", *hc.Interval, *hc.Timeout, *hc.Retries, tt.interval, tt.tmout, tt.retries)
			}
			switch {
			case tt.start == nil && hc.StartPeriod != nil:
				t.Errorf("start_period = %v, want none", *hc.StartPeriod)
			case tt.start != nil && (hc.StartPeriod == nil || *hc.StartPeriod != *tt.start):
				t.Errorf("start_period = %v, want %v", hc.StartPeriod, *tt.start)
			}
		})
	}

	for name, p := range map[string]*corev1.Probe{
		"none": nil,
		"http": {ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}}},
		"tcp":  {ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}},
	} {
		if hc := healthcheck(p, nil); hc != nil {
			t.Errorf("%s probe gave a healthcheck %+v: Compose cannot run it", name, hc)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "x", "B": "$(A)"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	isSecret := func(n string) bool { return n == "PASS" }
	for in, want := range map[string]string{
		"$(A)-$(A)":      "x-x",
		"$$(A)":          "$(A)",
		"$(UNKNOWN)":     "$(UNKNOWN)",
		"cost $5":        "cost $5",
		"$(A":            "$(A",
		"end$":           "end$",
		"$(B)":           "$(A)", // values are not expanded twice
		"p=$(PASS);":     "p=$(PASS);",
		"${HOSTNAME##*}": "${HOSTNAME##*}",
	} {
		got, _ := expand(in, lookup, isSecret).literal()
		if got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
	word, refs := expand("--pass=$(PASS)'s", lookup, isSecret).shell(map[string]bool{"PASS": true})
	if word != `'--pass='"${PASS}"''\''s'` || len(refs) != 0 {
		t.Errorf("shell word = %s (refs %v)", word, refs)
	}
	if _, refs := expand("$(PASS)", lookup, isSecret).shell(nil); len(refs) != 1 {
		t.Errorf("a reference not exported is not reported: %v", refs)
	}
}

func TestDotenvQuoteRoundTrip(t *testing.T) {
	for _, v := range []string{"plain", `with "quotes"`, "it's", `back\slash\`, "dollar $HOME ${X}", "two\nlines\r\n", "#hash", " spaced ",
		"del\x7f", "nel\u0085", "c1\u0080", "ctl\x01", "tab\there", "\ufeffbom", "line\u2028sep", "nul\x00"} {
		src := "V=" + dotenvQuote(v) + "\n"
		got, err := dotenv.ParseWithLookup(strings.NewReader(src), func(string) (string, bool) { return "INTERPOLATED", true })
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got["V"] != v {
			t.Errorf("%q reads back as %q", v, got["V"])
		}
	}
}

// TestDotenvName: compose-go's env_file parser reads each name dotenvName
// accepts back as it is.
func TestDotenvName(t *testing.T) {
	for _, name := range []string{"PASSWORD", "a", "_x", "1st", "with.dot", "with-dash", "MiXeD_09"} {
		if !dotenvName(name) {
			t.Errorf("%q refused", name)
			continue
		}
		got, err := dotenv.ParseWithLookup(strings.NewReader(name+"=\"v\"\n"), nil)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if _, ok := got[name]; !ok || len(got) != 1 {
			t.Errorf("%q reads back as %v", name, got)
		}
	}
	for _, name := range []string{"", `"quoted"`, `back\slash`, "a b", "#x", "export X", "a=b", "é", "x[0]", "tab\t", "ctl\x01"} {
		if dotenvName(name) {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestImageName(t *testing.T) {
	for in, want := range map[string]string{
		"postgres":                             "postgres",
		"postgres:17":                          "postgres",
		"docker.io/library/postgres:17-alpine": "postgres",
		"registry:5000/team/mysql:8@sha256:ab": "mysql",
		"mongo@sha256:abc":                     "mongo",
	} {
		if got := imageName(in); got != want {
			t.Errorf("imageName(%s) = %s, want %s", in, got, want)
		}
	}
}
