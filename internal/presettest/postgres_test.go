package presettest

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// postgresBinDirs are where Debian's postgresql package puts the server.
var postgresBinDirs = []string{"/usr/lib/postgresql/*/bin"}

// TestPostgresScriptsSyntax checks the generated scripts with the shells
// that run them: the clone script with sh, the init script (sourced by the
// image's bash entrypoint) with sh and bash.
func TestPostgresScriptsSyntax(t *testing.T) {
	res := loadDBCase(t, "postgres-replicated")
	shellSyntax(t, "clone-replica.sh", dbConfigData(t, res, "db-scripts")["clone-replica.sh"], "sh", "bash")
	shellSyntax(t, "50-celestra-replication.sh", dbConfigData(t, res, "db-initdb")["50-celestra-replication.sh"], "sh", "bash")
}

// TestPostgresReplicationRealServer runs the exported configuration against
// Debian's PostgreSQL: the primary is initialised like the image does and
// runs the generated init script, both servers start with the generated -c
// settings, the generated clone script copies the primary into the standby
// with pg_basebackup, and a row written on the primary shows up on the
// standby.
func TestPostgresReplicationRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two PostgreSQL servers")
	}
	postgres := lookDBBinary(t, "postgres", "postgresql", postgresBinDirs...)
	bin := filepath.Dir(postgres)
	u := unprivileged(t, "postgres")

	res := loadDBCase(t, "postgres-replicated")
	sts := dbStatefulSet(t, res, "db")
	main := dbContainer(t, sts, "db")
	clone := dbContainer(t, sts, "clone-replica")
	initScript := dbConfigData(t, res, "db-initdb")["50-celestra-replication.sh"]
	cloneScript := dbConfigData(t, res, "db-scripts")["clone-replica.sh"]
	superPassword := dbSecretValue(t, res, "db-secret", "password")
	replPassword := dbSecretValue(t, res, "db-secret", "replication-password")
	replUser := dbEnv(t, main, "CELESTRA_REPLICATION_USER")
	if got := dbEnv(t, clone, "CELESTRA_REPLICATION_USER"); got != replUser {
		t.Fatalf("the clone init container replicates as %q, the primary creates %q", got, replUser)
	}
	var settings map[string]string
	dbAppField(t, res, "db", "postgresConfig", &settings)
	if len(main.Args) == 0 {
		t.Fatal("the server container has no -c arguments")
	}

	dir := u.workDir(t, "celestra-pg-")
	path := "PATH=" + bin + ":/usr/bin:/bin"
	primaryData := filepath.Join(dir, "primary", "pgdata")
	replicaData := filepath.Join(dir, "replica", "pgdata")
	u.writeFile(t, filepath.Join(dir, "superuser-password"), superPassword, 0o600)
	u.writeFile(t, filepath.Join(dir, "secrets", "replication-password"), replPassword, 0o400)
	u.writeFile(t, filepath.Join(dir, "50-celestra-replication.sh"), initScript, 0o444)
	u.writeFile(t, filepath.Join(dir, "clone-replica.sh"), cloneScript, 0o444)
	u.writeFile(t, filepath.Join(dir, "primary", ".keep"), "", 0o644)
	u.writeFile(t, filepath.Join(dir, "replica", ".keep"), "", 0o644)

	// Initialise like the image: superuser postgres with a password, local
	// connections trusted, every host connection by password. (initdb's own
	// loopback replication entries are dropped, so that only the entry the
	// init script adds lets the standby in.)
	u.mustRun(t, []string{path}, filepath.Join(bin, "initdb"), "-D", primaryData, "--username=postgres",
		"--pwfile="+filepath.Join(dir, "superuser-password"), "--auth-local=trust", "--auth-host=scram-sha-256")
	u.writeFile(t, filepath.Join(primaryData, "pg_hba.conf"), "local all all trust\nhost all all all scram-sha-256\n", 0o600)

	// The image runs the init scripts against a temporary server that
	// listens on its socket only.
	port := freeDBPort(t)
	pgEnv := []string{path, "PGDATA=" + primaryData, "PGHOST=" + dir, fmt.Sprintf("PGPORT=%d", port)}
	temp := u.start(t, "temporary primary", syscall.SIGINT, pgEnv, postgres, "-D", primaryData, "-c", "listen_addresses=", "-k", dir, "-p", fmt.Sprint(port))
	eventually(t, "temporary server up", 30*time.Second, func() error {
		_, err := u.run(t, pgEnv, filepath.Join(bin, "pg_isready"), "-q", "-h", dir, "-p", fmt.Sprint(port))
		return err
	})
	out := u.mustRun(t, append(pgEnv, "POSTGRES_USER=postgres", "CELESTRA_REPLICATION_USER="+replUser, "CELESTRA_REPLICATION_PASSWORD="+replPassword),
		"bash", "-ec", `. "$0"`, filepath.Join(dir, "50-celestra-replication.sh"))
	t.Logf("init script: %s", strings.TrimSpace(out))
	temp.stop(syscall.SIGINT)

	// The primary with the generated settings (the test adds where to listen).
	primaryArgs := append(append([]string{"-D", primaryData}, main.Args...), "-c", "listen_addresses=127.0.0.1", "-k", dir, "-p", fmt.Sprint(port))
	u.start(t, "primary", syscall.SIGINT, pgEnv, postgres, primaryArgs...)
	psql := func(port int, query string) (string, error) {
		out, err := u.run(t, []string{path, "PGPASSWORD=" + superPassword}, filepath.Join(bin, "psql"),
			"-X", "-h", "127.0.0.1", "-p", fmt.Sprint(port), "-U", "postgres", "-d", "postgres", "-Atqc", query)
		return strings.TrimSpace(out), err
	}
	eventually(t, "primary up", 30*time.Second, func() error { _, err := psql(port, "SELECT 1"); return err })
	for k, want := range settings {
		got, err := psql(port, "SHOW "+k)
		if err != nil {
			t.Fatalf("SHOW %s: %v: %s", k, err, got)
		}
		if got != want {
			t.Errorf("postgresConfig.%s: the server runs with %q, want %q", k, got, want)
		}
	}

	// Pod 0 never clones; a standby clones once.
	cloneEnv := func(host, data string) []string {
		return []string{path, "HOSTNAME=" + host, "PGDATA=" + data, fmt.Sprintf("PGPORT=%d", port),
			"CELESTRA_PRIMARY_HOST=127.0.0.1", "CELESTRA_REPLICATION_USER=" + replUser,
			"CELESTRA_REPLICATION_PASSWORD_FILE=" + filepath.Join(dir, "secrets", "replication-password")}
	}
	if out := u.mustRun(t, cloneEnv("db-0", primaryData), "sh", filepath.Join(dir, "clone-replica.sh")); !strings.Contains(out, "nothing to clone") {
		t.Errorf("clone script on pod 0: %s", out)
	}
	out = u.mustRun(t, cloneEnv("db-1", replicaData), "sh", filepath.Join(dir, "clone-replica.sh"))
	t.Logf("clone script: %s", strings.TrimSpace(out))
	if out := u.mustRun(t, cloneEnv("db-1", replicaData), "sh", filepath.Join(dir, "clone-replica.sh")); !strings.Contains(out, "not cloning") {
		t.Errorf("clone script on an initialised standby: %s", out)
	}

	replicaPort := freeDBPort(t)
	replicaArgs := append(append([]string{"-D", replicaData}, main.Args...), "-c", "listen_addresses=127.0.0.1", "-k", dir, "-p", fmt.Sprint(replicaPort))
	u.start(t, "standby", syscall.SIGINT, []string{path}, postgres, replicaArgs...)
	eventually(t, "standby up", 30*time.Second, func() error { _, err := psql(replicaPort, "SELECT 1"); return err })
	if got, err := psql(replicaPort, "SELECT pg_is_in_recovery()"); err != nil || got != "t" {
		t.Fatalf("the standby is not in recovery: %q %v", got, err)
	}
	eventually(t, "standby streaming", 30*time.Second, func() error {
		got, err := psql(port, "SELECT application_name || ' ' || state FROM pg_stat_replication")
		if err != nil || got != "db-1 streaming" {
			return fmt.Errorf("pg_stat_replication: %q %v", got, err)
		}
		return nil
	})
	// The probes, as the kubelet runs them (with the test's ports).
	for _, p := range []int{port, replicaPort} {
		for name, probe := range map[string]*corev1.Probe{"liveness": main.LivenessProbe, "readiness": main.ReadinessProbe} {
			if probe == nil || probe.Exec == nil || len(probe.Exec.Command) != 3 {
				t.Fatalf("%s probe is not an sh -c exec probe: %+v", name, probe)
			}
			script := strings.ReplaceAll(probe.Exec.Command[2], fmt.Sprintf("-p %d", main.Ports[0].ContainerPort), fmt.Sprintf("-p %d", p))
			if out, err := u.run(t, []string{path}, "sh", "-c", script); err != nil {
				t.Errorf("%s probe on port %d: %v: %s", name, p, err, out)
			}
		}
	}

	if got, err := psql(port, "CREATE TABLE celestra_probe (v text); INSERT INTO celestra_probe VALUES ('replicated')"); err != nil {
		t.Fatalf("write on the primary: %v: %s", err, got)
	}
	eventually(t, "row on the standby", 30*time.Second, func() error {
		got, err := psql(replicaPort, "SELECT v FROM celestra_probe")
		if err != nil || got != "replicated" {
			return fmt.Errorf("%q %v", got, err)
		}
		return nil
	})
	if got, err := psql(replicaPort, "INSERT INTO celestra_probe VALUES ('x')"); err == nil || !strings.Contains(got, "read-only") {
		t.Errorf("a write on the standby should be refused as read-only, got %q %v", got, err)
	}
}
