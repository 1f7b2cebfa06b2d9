package engine

import (
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"
)

func TestRefineReportsObjectsOnTheirApps(t *testing.T) {
	v := cuecontext.New().CompileString(`
apps: {db: {}, "db-backup": {}, q: {}}
kubernetes: "statefulset-db": metadata: labels: "app.kubernetes.io/instance": "db"
`)
	diag := func(path, msg string) Diagnostic {
		elems := strings.Split(path, "|")
		return Diagnostic{Path: strings.Join(elems, "."), Message: msg, elems: elems}
	}
	got := refine([]Diagnostic{
		// Found by the instance label.
		diag(`kubernetes|"statefulset-db"|spec|replicas`, "invalid value 3000000000 (out of bound <=2147483647)"),
		// Found by the longest app name the object's name starts with.
		diag(`kubernetes|"cronjob-db-backup-backup"|spec|schedule`, "invalid value"),
		// The same problem in an environment's overlay is a consequence.
		diag(`overlays|prod|"statefulset-db"|spec|replicas`, "invalid value 3000000000 (out of bound <=2147483647)"),
		// Two apps render one Secret: one message naming both, and no value.
		diag(`kubernetes|"secret-shared"|metadata|labels|"app.kubernetes.io/instance"`, `conflicting values "q" and "db"`),
		diag(`kubernetes|"secret-shared"|data|password`, `conflicting values 'x' and 'y'`),
		// Noise about a rendered object of an app with a clearer problem.
		diag(`kubernetes|"service-q-headless"|spec|ports|0|port`, "incomplete value int32"),
		diag(`apps|q|ports|web|port`, "port 70000 is out of range"),
	}, v, v)
	var lines []string
	for _, d := range got {
		lines = append(lines, d.Path+": "+d.Message)
	}
	// Rule messages first, then bounds.
	want := []string{
		`apps."db-backup": in the rendered cronjob-db-backup-backup.yaml, at spec.schedule: invalid value`,
		`apps.q: apps "db" and "q" both render the Secret "shared" (secret-shared.yaml): an object name must be unique in a configuration; rename it in one of them, or declare it in one app and with existing: true in the others`,
		"apps.q.ports.web.port: port 70000 is out of range",
		"apps.db: in the rendered statefulset-db.yaml, at spec.replicas: invalid value 3000000000 (out of bound <=2147483647)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestRefineTakesARuleFieldAsThePath: a rule held on a definition field
// names the user's field at the head of its message; the diagnostic is then
// reported there. A message without such a field, or naming one the
// configuration lacks, is reported on the struct holding the rule.
func TestRefineTakesARuleFieldAsThePath(t *testing.T) {
	v := cuecontext.New().CompileString(`
apps: web: {
	storage: mountPath: "x"
	configs: "web-config": mountPath: ""
	readinessProbe: tcp: port: "web"
	backup: schedule: "@daily"
}
`)
	for _, tc := range []struct{ path, msg, want string }{
		{`apps|web|#mountRules|storage`, `storage.mountPath: mount path "x" is not absolute`,
			`apps.web.storage.mountPath: mount path "x" is not absolute`},
		{`apps|web|#mountRules|"configs.web-config"`, `configs."web-config".mountPath: mount path "" is not absolute`,
			`apps.web.configs."web-config".mountPath: mount path "" is not absolute`},
		{`apps|web|readinessProbe|#portRule`, `tcp.port: the probe names port "web": name one of its ports`,
			`apps.web.readinessProbe.tcp.port: the probe names port "web": name one of its ports`},
		{`apps|web|backup|#rule`, `backup needs a preset: add one`,
			`apps.web.backup: backup needs a preset: add one`},
		{`apps|web|#mountRules|volumes`, `volumes.scratch.mountPath: not in the configuration`,
			`apps.web: volumes.scratch.mountPath: not in the configuration`},
	} {
		elems := strings.Split(tc.path, "|")
		got := refine([]Diagnostic{{Path: strings.Join(elems, "."), Message: tc.msg, elems: elems}}, v, v)
		if len(got) != 1 || got[0].Path+": "+got[0].Message != tc.want {
			t.Errorf("%s: %s\ngot  %v\nwant %s", tc.path, tc.msg, got, tc.want)
		}
	}
}
