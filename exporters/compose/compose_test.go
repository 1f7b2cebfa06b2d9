package compose

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/exporttest"
	"github.com/celestra-dev/celestra/internal/testcases"
)

// configs are every example and testdata case (see internal/testcases).
func configs(t *testing.T) map[string]string { return testcases.All(t) }

func load(t *testing.T, dir string) *engine.Result {
	t.Helper()
	l, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return r
}

func export(t *testing.T, r *engine.Result) exporters.Files {
	t.Helper()
	files, err := Exporter{}.Export(r)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if _, ok := files[FileName]; !ok {
		t.Fatalf("no %s in %v", FileName, keys(files))
	}
	return files
}

func keys(files exporters.Files) []string {
	var out []string
	for k := range files {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// writeTree writes the files into a new folder and returns it.
func writeTree(t *testing.T, files exporters.Files) string { return exporttest.WriteTree(t, files) }

// loadCompose loads the compose file from disk the way `docker compose
// config` does (see exporttest.LoadCompose).
func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	p, err := exporttest.LoadCompose(dir, FileName)
	if err != nil {
		t.Fatalf("compose-go rejects %s: %v", FileName, err)
	}
	return p
}

// checkFiles fails when a secret or config file the project refers to is
// missing, unless the export says the user must provide it.
func checkFiles(t *testing.T, dir string, p *types.Project, compose []byte) {
	t.Helper()
	check := func(kind, name, file string) {
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(file); err == nil {
			return
		}
		if !bytes.Contains(compose, []byte("./"+filepath.ToSlash(rel)+" before docker compose up")) {
			t.Errorf("%s %s: file %s is neither written nor announced as the user's", kind, name, rel)
		}
	}
	for n, s := range p.Secrets {
		check("secret", n, s.File)
	}
	for n, c := range p.Configs {
		check("config", n, c.File)
	}
}

// TestConfigurationsLoadInCompose exports every example and case and loads
// the result with compose-go, validation on.
func TestConfigurationsLoadInCompose(t *testing.T) {
	for name, dir := range configs(t) {
		t.Run(name, func(t *testing.T) {
			r := load(t, dir)
			files := export(t, r)
			out := writeTree(t, files)
			p := loadCompose(t, out)
			checkFiles(t, out, p, files[FileName])
			// Every pod of every StatefulSet is a service.
			for _, o := range r.Objects {
				if o.Kind != "StatefulSet" {
					continue
				}
				if len(p.Services) == 0 {
					t.Fatalf("no service for StatefulSet %s", o.Name)
				}
			}
		})
	}
}

// secretValues are the values of every Secret of the configuration that are
// long enough not to appear by chance.
func secretValues(r *engine.Result) []string {
	var out []string
	for _, o := range r.Objects {
		s, ok := o.Typed.(*corev1.Secret)
		if !ok {
			continue
		}
		for _, v := range s.Data {
			if len(v) >= 6 {
				out = append(out, string(v))
			}
		}
		for _, v := range s.StringData {
			if len(v) >= 6 {
				out = append(out, v)
			}
		}
	}
	return out
}

func TestNoSecretValueInComposeFile(t *testing.T) {
	dirs := configs(t)
	dirs["features"] = "testdata/features"
	checked := 0
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			r := load(t, dir)
			files := export(t, r)
			for _, v := range secretValues(r) {
				checked++
				if bytes.Contains(files[FileName], []byte(v)) {
					t.Errorf("%s holds the secret value %q", FileName, v)
				}
				escaped := []byte(escape(v))
				if bytes.Contains(files[FileName], escaped) {
					t.Errorf("%s holds the secret value %q, escaped", FileName, v)
				}
			}
		})
	}
	if checked == 0 {
		t.Fatal("no secret value was checked")
	}
}

func TestDeterministic(t *testing.T) {
	dirs := configs(t)
	dirs["features"] = "testdata/features"
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			a := export(t, load(t, dir))
			b := export(t, load(t, dir))
			if !slices.Equal(keys(a), keys(b)) {
				t.Fatalf("file lists differ: %v and %v", keys(a), keys(b))
			}
			for p := range a {
				if !bytes.Equal(a[p], b[p]) {
					t.Errorf("%s differs between two exports", p)
				}
			}
		})
	}
}

// TestFeatures checks the mapping on a configuration that uses every part
// of it, as Compose reads the file back.
func TestFeatures(t *testing.T) {
	r := load(t, "testdata/features")
	files := export(t, r)
	dir := writeTree(t, files)
	p := loadCompose(t, dir)
	checkFiles(t, dir, p, files[FileName])

	svc := func(name string) types.ServiceConfig {
		t.Helper()
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("no service %s; services: %v", name, p.ServiceNames())
		}
		return s
	}
	want := []string{"cache", "web-0", "web-0-exporter", "web-0-setup", "web-0-volumes", "web-1", "web-1-exporter", "web-1-setup", "web-1-volumes", "web-2", "web-2-exporter", "web-2-setup", "web-2-volumes"}
	if got := p.ServiceNames(); !slices.Equal(sorted(got), want) {
		t.Errorf("services = %v, want %v", sorted(got), want)
	}

	web1 := svc("web-1")
	if web1.Hostname != "web-1" || web1.DomainName != "web-headless.default.svc.cluster.local" {
		t.Errorf("web-1 hostname %q domainname %q", web1.Hostname, web1.DomainName)
	}
	aliases := web1.Networks["default"].Aliases
	for _, a := range []string{"web", "web-headless", "web-1.web-headless", "web-1.web-headless.default.svc.cluster.local", "web.default.svc"} {
		if !slices.Contains(aliases, a) {
			t.Errorf("web-1 aliases %v lack %s", aliases, a)
		}
	}
	env := func(s types.ServiceConfig, name string) string {
		t.Helper()
		v, ok := s.Environment[name]
		if !ok || v == nil {
			t.Fatalf("%s has no variable %s: %v", s.Name, name, s.Environment)
		}
		return *v
	}
	if got := env(web1, "POD_NAME"); got != "web-1" {
		t.Errorf("POD_NAME = %q, want web-1", got)
	}
	if got := env(web1, "POD_NAMESPACE"); got != "default" {
		t.Errorf("POD_NAMESPACE = %q", got)
	}
	if got := env(web1, "REF"); got != "cost $5!" {
		t.Errorf("REF = %q, want the expanded and unescaped %q", got, "cost $5!")
	}
	for _, secretVar := range []string{"API_TOKEN", "EXT_TOKEN"} {
		if _, ok := web1.Environment[secretVar]; ok {
			t.Errorf("%s is in environment: it comes from a Secret", secretVar)
		}
	}
	if len(web1.Entrypoint) != 3 || web1.Entrypoint[0] != "/bin/sh" {
		t.Fatalf("web-1 entrypoint = %q, want a /bin/sh wrapper", web1.Entrypoint)
	}
	script := web1.Entrypoint[2]
	for _, part := range []string{
		`API_TOKEN="$(cat '/run/secrets/web-secret.token')"; export API_TOKEN;`,
		`EXT_TOKEN="$(cat '/run/secrets/ext.token')"; export EXT_TOKEN;`,
		`exec '/app/server' '--peer=web-1.web-headless' '--token='"${API_TOKEN}" '--literal=$(NOT)' '--greet=cost $5!'`,
	} {
		if !strings.Contains(script, part) {
			t.Errorf("wrapper script %q lacks %q", script, part)
		}
	}
	if len(web1.Command) != 0 {
		t.Errorf("web-1 command = %q, want it inside the wrapper", web1.Command)
	}
	var targets []string
	for _, s := range web1.Secrets {
		targets = append(targets, s.Source+"->"+s.Target)
	}
	for _, want := range []string{"web-secret.token->/run/secrets/web-secret.token", "web-secret.tls.key->/etc/web/tls/tls.key", "web-secret.token->/etc/web/tls/token", "ext.token->/run/secrets/ext.token"} {
		if !slices.Contains(targets, want) {
			t.Errorf("web-1 secrets %v lack %s", targets, want)
		}
	}
	if len(web1.Configs) != 1 || web1.Configs[0].Target != "/etc/web/conf/app.yaml" {
		t.Errorf("web-1 configs = %+v", web1.Configs)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "secrets", "web-secret", "tls.key")); string(got) != "KEY-SECRET-2" {
		t.Errorf("secrets/web-secret/tls.key = %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "configs", "web-config", "app.yaml")); string(got) != "a: 1\n" {
		t.Errorf("configs/web-config/app.yaml = %q", got)
	}
	if _, ok := files["secrets/ext/token"]; ok {
		t.Error("a file was written for a Secret managed outside celestra")
	}

	// Healthcheck from the exec readiness probe, reading the secret first.
	hc := web1.HealthCheck
	if hc == nil {
		t.Fatal("web-1 has no healthcheck")
	}
	if hc.Test[0] != "CMD-SHELL" || !strings.Contains(hc.Test[1], `API_TOKEN="$(cat '/run/secrets/web-secret.token')"`) || !strings.Contains(hc.Test[1], `'test -n "$API_TOKEN"'`) {
		t.Errorf("healthcheck test = %q", hc.Test)
	}
	if *hc.Interval != types.Duration(5*time.Second) || *hc.Timeout != types.Duration(time.Second) || *hc.Retries != 3 {
		t.Errorf("healthcheck timings = %v %v %v", *hc.Interval, *hc.Timeout, *hc.Retries)
	}

	// Resources, security, volumes, build.
	res := web1.Deploy.Resources
	if res.Reservations == nil || res.Reservations.NanoCPUs != 0.25 || res.Limits == nil || res.Limits.MemoryBytes != 512<<20 {
		t.Errorf("resources = %+v / %+v", res.Reservations, res.Limits)
	}
	if web1.User != "1000:1000" || !web1.ReadOnly || !slices.Equal(web1.CapDrop, []string{"ALL"}) || !slices.Contains(web1.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("security: user %q read_only %v cap_drop %v security_opt %v", web1.User, web1.ReadOnly, web1.CapDrop, web1.SecurityOpt)
	}
	var mounts []string
	for _, v := range web1.Volumes {
		mounts = append(mounts, v.Source+"->"+v.Target)
	}
	if !slices.Contains(mounts, "data-web-1->/data") || !slices.Contains(mounts, "cache-web-1->/cache") {
		t.Errorf("web-1 volumes = %v", mounts)
	}
	// A memory emptyDir is a tmpfs volume, unless an init container writes
	// to it: a tmpfs volume empties when its last container stops.
	if v, ok := p.Volumes["scratch-cache-0"]; !ok || v.DriverOpts["type"] != "tmpfs" || v.DriverOpts["o"] != "size=67108864,mode=1777" {
		t.Errorf("memory emptyDir volume = %+v", p.Volumes["scratch-cache-0"])
	}
	if v, ok := p.Volumes["cache-web-1"]; !ok || len(v.DriverOpts) != 0 {
		t.Errorf("memory emptyDir shared with an init container = %+v, want a plain named volume", p.Volumes["cache-web-1"])
	}
	// The emptyDir volumes are made world-writable before anything else runs.
	prep := svc("web-1-volumes")
	if prep.User != "0:0" || len(prep.Entrypoint) != 3 || !strings.Contains(prep.Entrypoint[2], "chmod 0777 '/celestra/volumes/cache'") {
		t.Errorf("volume preparation: user %q entrypoint %q", prep.User, prep.Entrypoint)
	}
	if dep, ok := svc("web-1-setup").DependsOn["web-1-volumes"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("web-1-setup depends_on = %v", svc("web-1-setup").DependsOn)
	}
	if _, ok := p.Volumes["data-web-2"]; !ok {
		t.Error("no named volume data-web-2")
	}
	if web1.Build == nil || web1.Build.Dockerfile != "Dockerfile.prod" || web1.Build.Target != "runtime" || *web1.Build.Args["VERSION"] != "1.2" {
		t.Errorf("build = %+v", web1.Build)
	}

	// Ports: every member of an external app publishes on every interface.
	var published []string
	for _, n := range []string{"web-0", "web-1", "web-2"} {
		for _, port := range svc(n).Ports {
			published = append(published, port.HostIP+":"+port.Published+"->"+strconv.Itoa(int(port.Target)))
		}
	}
	wantPorts := []string{":7946->7946", ":8080->8080", ":7947->7946", ":8081->8080", ":7948->7946", ":8082->8080"}
	if !slices.Equal(published, wantPorts) {
		t.Errorf("published = %v, want %v", published, wantPorts)
	}

	// Init container and sidecar.
	setup := svc("web-1-setup")
	if setup.Restart != types.RestartPolicyNo || setup.Hostname != "web-1" || setup.Build == nil {
		t.Errorf("init service: restart %q hostname %q build %v", setup.Restart, setup.Hostname, setup.Build)
	}
	if dep, ok := web1.DependsOn["web-1-setup"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("web-1 depends_on = %v", web1.DependsOn)
	}
	if _, ok := web1.DependsOn["web-0"]; ok {
		t.Error("Parallel pod management: web-1 must not wait for web-0")
	}
	if !slices.Equal([]string(setup.Entrypoint), []string{"sh", "-c", "echo $HOSTNAME"}) {
		t.Errorf("init entrypoint = %q", setup.Entrypoint)
	}
	exporter := svc("web-1-exporter")
	if exporter.NetworkMode != "service:web-1" || exporter.Build != nil {
		t.Errorf("sidecar network_mode %q build %v", exporter.NetworkMode, exporter.Build)
	}

	// A Secret variable for an image without _FILE and without a known
	// command goes to an env_file, read back unchanged.
	cache := svc("cache")
	if got := env(cache, "REDIS_PASSWORD"); got != "p\"a$s\\w'o\nrd-SECRET-3" {
		t.Errorf("REDIS_PASSWORD read back as %q", got)
	}
	if len(cache.Ports) != 1 || cache.Ports[0].HostIP != "127.0.0.1" || cache.Ports[0].Published != "6379" {
		t.Errorf("cache ports = %+v", cache.Ports)
	}

	// What Compose lacks is listed.
	x, ok := p.Extensions["x-celestra"].(map[string]any)
	if !ok {
		t.Fatalf("x-celestra = %#v", p.Extensions["x-celestra"])
	}
	notes := x["not-in-compose"].(map[string]any)["web"].([]any)
	joined := ""
	for _, n := range notes {
		joined += n.(string) + "\n"
	}
	for _, want := range []string{"PodDisruptionBudget web", "volume claim data (size 1Gi", "Secret ext is managed outside celestra"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q:\n%s", want, joined)
		}
	}
}

// TestPostgresFileConvention: the official postgres image reads
// POSTGRES_PASSWORD_FILE, and the healthcheck keeps its shell variable.
func TestPostgresFileConvention(t *testing.T) {
	files := export(t, load(t, "../../examples/postgres"))
	dir := writeTree(t, files)
	p := loadCompose(t, dir)
	pg := p.Services["postgres-0"] // the example runs 3 replicas: one service per pod
	if v := pg.Environment["POSTGRES_PASSWORD_FILE"]; v == nil || *v != "/run/secrets/postgres-secret.password" {
		t.Errorf("POSTGRES_PASSWORD_FILE = %v", v)
	}
	if _, ok := pg.Environment["POSTGRES_PASSWORD"]; ok {
		t.Error("POSTGRES_PASSWORD is set in environment")
	}
	if pg.HealthCheck == nil || !strings.Contains(pg.HealthCheck.Test[1], `"${POSTGRES_USER:-postgres}"`) {
		t.Errorf("healthcheck = %+v", pg.HealthCheck)
	}
	if pg.ShmSize == 0 {
		t.Error("the memory /dev/shm volume did not set shm_size")
	}
}

func TestNameClash(t *testing.T) {
	dir := t.TempDir()
	src := `package clash

import "github.com/celestra-dev/celestra"

celestra.#Config

apps: db: {image: "db:1", replicas: 2}
apps: "db-1": {image: "db:1"}
`
	if err := os.WriteFile(filepath.Join(dir, "clash.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Exporter{}.Export(load(t, dir))
	if err == nil || !strings.Contains(err.Error(), `"db-1"`) {
		t.Fatalf("err = %v, want a clash on service db-1", err)
	}
}

// TestDockerComposeConfig runs the real `docker compose config` when the
// Compose plugin is installed.
func TestDockerComposeConfig(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skip("docker compose (v2 plugin) is not installed: compose-go's loader checks the files instead")
	}
	dirs := configs(t)
	dirs["features"] = "testdata/features"
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			out := writeTree(t, export(t, load(t, dir)))
			cmd := exec.Command("docker", "compose", "-f", filepath.Join(out, FileName), "config", "--quiet")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("docker compose config: %v\n%s", err, msg)
			}
		})
	}
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}
