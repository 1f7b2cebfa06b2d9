package presettest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// mariadbBinDirs are where Debian's mariadb-server package puts the server.
var mariadbBinDirs = []string{"/usr/sbin"}

// TestMySQLScriptsSyntax checks the generated scripts: the server-id script
// runs with sh, the replication script is sourced by the images' bash
// entrypoints.
func TestMySQLScriptsSyntax(t *testing.T) {
	for _, c := range []struct{ caseName, app string }{{"mysql-replicated", "shop"}, {"mysql-mariadb-replicated", "catalog"}} {
		res := loadDBCase(t, c.caseName)
		shellSyntax(t, c.caseName+"/server-id.sh", dbConfigData(t, res, c.app+"-scripts")["server-id.sh"], "sh", "bash")
		shellSyntax(t, c.caseName+"/50-celestra-replication.sh", dbConfigData(t, res, c.app+"-initdb")["50-celestra-replication.sh"], "sh", "bash")
	}
}

// TestMySQLConfigRealServer hands the generated celestra.cnf of the MySQL
// flavor to Debian's MariaDB server, which reads the same [mysqld] group,
// and checks that it accepts every option and reads the values given in
// mysqlConfig.
func TestMySQLConfigRealServer(t *testing.T) {
	mariadbd := lookDBBinary(t, "mariadbd", "mariadb-server", mariadbBinDirs...)
	u := unprivileged(t, "mysql")
	res := loadDBCase(t, "mysql-single")
	cnf := dbConfigData(t, res, "shop-server-config")["celestra.cnf"]
	var settings map[string]string
	dbAppField(t, res, "shop", "mysqlConfig", &settings)

	dir := u.workDir(t, "celestra-mysql-")
	u.writeFile(t, filepath.Join(dir, "celestra.cnf"), cnf, 0o644)
	out := u.mustRun(t, nil, mariadbd, "--defaults-file="+filepath.Join(dir, "celestra.cnf"), "--verbose", "--help")
	vars := helpVariables(out)
	for k, want := range settings {
		name := strings.ReplaceAll(k, "_", "-")
		if want == "" {
			want = "TRUE" // a bare flag
		}
		if got, ok := vars[name]; !ok || got != want {
			t.Errorf("mysqlConfig.%s: mariadbd reads %q (found %v), want %q", k, got, ok, want)
		}
	}
	if got := vars["datadir"]; got != "/var/lib/mysql/data/" {
		t.Errorf("datadir: mariadbd reads %q, want the data sub-directory of the volume", got)
	}
}

// helpVariables reads the "Variables (--variable-name=value)" table of
// mariadbd --verbose --help.
func helpVariables(help string) map[string]string {
	vars := map[string]string{}
	_, table, _ := strings.Cut(help, "---------------------------------------------------------")
	row := regexp.MustCompile(`^(\S+)\s+(.*)$`)
	for _, line := range strings.Split(table, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			vars[m[1]] = strings.TrimSpace(m[2])
		}
	}
	return vars
}

// mariadbNode is one server of the replication test.
type mariadbNode struct {
	host, dir, defaults string
	port                int
}

// TestMySQLReplicationRealServer runs the exported MariaDB configuration on
// Debian's MariaDB: two servers initialised the way the image does, each
// with the generated option files, the server-id init script and the
// replication init script; then a row written on pod 0 must reach pod 1.
func TestMySQLReplicationRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four MariaDB servers")
	}
	mariadbd := lookDBBinary(t, "mariadbd", "mariadb-server", mariadbBinDirs...)
	installDB := lookDBBinary(t, "mariadb-install-db", "mariadb-server")
	client := lookDBBinary(t, "mariadb", "mariadb-client")
	u := unprivileged(t, "mysql")

	res := loadDBCase(t, "mysql-mariadb-replicated")
	sts := dbStatefulSet(t, res, "catalog")
	main := dbContainer(t, sts, "catalog")
	serverID := dbContainer(t, sts, "server-id")
	config := dbConfigData(t, res, "catalog-server-config")
	serverIDScript := dbConfigData(t, res, "catalog-scripts")["server-id.sh"]
	replScript := dbConfigData(t, res, "catalog-initdb")["50-celestra-replication.sh"]
	rootPassword := dbSecretValue(t, res, "catalog-secret", "password")
	replPassword := dbSecretValue(t, res, "catalog-secret", "replication-password")
	podConfigDir := dbEnv(t, serverID, "CELESTRA_POD_CONFIG_DIR")
	var settings map[string]string
	dbAppField(t, res, "catalog", "mysqlConfig", &settings)

	dir := u.workDir(t, "celestra-mariadb-")
	u.writeFile(t, filepath.Join(dir, "server-id.sh"), serverIDScript, 0o444)
	u.writeFile(t, filepath.Join(dir, "50-celestra-replication.sh"), replScript, 0o444)

	nodes := make([]mariadbNode, 2)
	for i := range nodes {
		n := mariadbNode{host: fmt.Sprintf("catalog-%d", i), dir: filepath.Join(dir, fmt.Sprintf("pod%d", i)), port: freeDBPort(t)}
		// The image's /etc/mysql/conf.d holds the generated files; the
		// test's own file adds where this server keeps its data and
		// listens, and points the per-pod include at the pod's folder.
		for name, content := range config {
			content = strings.ReplaceAll(content, podConfigDir, filepath.Join(n.dir, "pod-config"))
			u.writeFile(t, filepath.Join(n.dir, "conf.d", name), content, 0o644)
		}
		u.writeFile(t, filepath.Join(n.dir, "pod-config", ".keep"), "", 0o644)
		u.writeFile(t, filepath.Join(n.dir, "data", ".keep"), "", 0o644)
		n.defaults = filepath.Join(n.dir, "my.cnf")
		u.writeFile(t, n.defaults, fmt.Sprintf("[mysqld]\n!includedir %s\n[mysqld]\ndatadir = %s\nsocket = %s\nport = %d\nbind_address = 127.0.0.1\npid_file = %s\n[client]\nsocket = %s\n",
			filepath.Join(n.dir, "conf.d"), filepath.Join(n.dir, "data"), filepath.Join(n.dir, "mysqld.sock"), n.port,
			filepath.Join(n.dir, "mysqld.pid"), filepath.Join(n.dir, "mysqld.sock")), 0o644)

		// The server-id init container.
		env := []string{"HOSTNAME=" + n.host, "CELESTRA_POD_CONFIG_DIR=" + filepath.Join(n.dir, "pod-config")}
		for _, e := range serverID.Env {
			if e.Name != "CELESTRA_POD_CONFIG_DIR" {
				env = append(env, e.Name+"="+e.Value)
			}
		}
		t.Logf("server-id: %s", strings.TrimSpace(u.mustRun(t, env, "sh", filepath.Join(dir, "server-id.sh"))))
		nodes[i] = n
	}

	sql := func(n mariadbNode, tcp bool, query string) (string, error) {
		args := []string{"--defaults-file=" + n.defaults, "--user=root", "--password=" + rootPassword, "--batch", "--skip-column-names", "--execute=" + query}
		if tcp {
			args = append(args, "--protocol=TCP", "--host=127.0.0.1", fmt.Sprintf("--port=%d", n.port))
		}
		out, err := u.run(t, nil, client, args...)
		return strings.TrimSpace(out), err
	}

	for i, n := range nodes {
		// Initialise like the image's entrypoint: install the system
		// tables, then, on a temporary server without networking, set the
		// root password and run the init scripts with docker_process_sql.
		u.mustRun(t, nil, installDB, "--defaults-file="+n.defaults, "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-log-bin")
		temp := u.start(t, n.host+" temporary server", syscall.SIGTERM, nil, mariadbd, "--defaults-file="+n.defaults, "--skip-networking")
		eventually(t, n.host+" temporary server up", 60*time.Second, func() error {
			_, err := u.run(t, nil, client, "--defaults-file="+n.defaults, "--user=root", "--execute=SELECT 1")
			return err
		})
		u.mustRun(t, nil, client, "--defaults-file="+n.defaults, "--user=root", "--execute=SET SESSION sql_log_bin=0; DROP USER IF EXISTS root@'127.0.0.1', root@'::1'; SET PASSWORD FOR root@localhost = PASSWORD('"+rootPassword+"'); "+
			"CREATE USER root@'%' IDENTIFIED BY '"+rootPassword+"'; GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;")
		env := []string{"HOSTNAME=" + n.host, "CELESTRA_REPLICATION_PASSWORD=" + replPassword, "DEFAULTS=" + n.defaults, "MARIADB_ROOT_PASSWORD=" + rootPassword,
			"CELESTRA_PRIMARY_HOST=127.0.0.1", fmt.Sprintf("CELESTRA_PRIMARY_PORT=%d", nodes[0].port)}
		for _, e := range main.Env {
			if e.ValueFrom == nil && e.Name != "CELESTRA_PRIMARY_HOST" && e.Name != "CELESTRA_PRIMARY_PORT" {
				env = append(env, e.Name+"="+e.Value)
			}
		}
		out := u.mustRun(t, env, "bash", "-ec", `docker_process_sql() { MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb --defaults-file="$DEFAULTS" --protocol=socket -uroot "$@"; }
. "$0"`, filepath.Join(dir, "50-celestra-replication.sh"))
		t.Logf("replication script on %s: %s", n.host, strings.TrimSpace(out))
		temp.stop(syscall.SIGTERM)

		u.start(t, n.host, syscall.SIGTERM, nil, mariadbd, "--defaults-file="+n.defaults)
		eventually(t, n.host+" up", 60*time.Second, func() error {
			if out, err := sql(n, true, "SELECT 1"); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		})
		if got, err := sql(n, true, "SELECT @@server_id, @@read_only, @@log_bin"); err != nil || got != fmt.Sprintf("%d\t%d\t1", 100+i, min(i, 1)) {
			t.Errorf("%s: server_id, read_only, log_bin = %q (%v)", n.host, got, err)
		}
		for k, want := range settings {
			got, err := sql(n, true, "SELECT @@"+strings.ReplaceAll(k, "-", "_"))
			if want == "" {
				want = "1" // a bare flag
			}
			if err != nil || got != want {
				t.Errorf("%s: mysqlConfig.%s = %q (%v), want %q", n.host, k, got, err, want)
			}
		}
	}

	// The probes, as the kubelet runs them (the test's port, and its socket
	// through the user option file ~/.my.cnf, which clients read last).
	for _, n := range nodes {
		u.writeFile(t, filepath.Join(n.dir, ".my.cnf"), "[client]\nsocket = "+filepath.Join(n.dir, "mysqld.sock")+"\n", 0o644)
	}
	probe := func(p *corev1.Probe, n mariadbNode, password string) error {
		t.Helper()
		if p == nil || p.Exec == nil || len(p.Exec.Command) != 3 {
			t.Fatalf("not an sh -c exec probe: %+v", p)
		}
		script := strings.ReplaceAll(p.Exec.Command[2], fmt.Sprintf("--port=%d", main.Ports[0].ContainerPort), fmt.Sprintf("--port=%d", n.port))
		out, err := u.run(t, []string{"MARIADB_ROOT_PASSWORD=" + password, "HOME=" + n.dir}, "sh", "-c", script)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for _, n := range nodes {
		for name, p := range map[string]*corev1.Probe{"startup": main.StartupProbe, "liveness": main.LivenessProbe, "readiness": main.ReadinessProbe} {
			if err := probe(p, n, rootPassword); err != nil {
				t.Errorf("%s probe on %s: %v", name, n.host, err)
			}
		}
		if err := probe(main.ReadinessProbe, n, "wrong"); err == nil {
			t.Errorf("the readiness probe on %s passes with a wrong password: it does not run a real query", n.host)
		}
		if err := probe(main.LivenessProbe, n, "wrong"); err != nil {
			t.Errorf("the liveness probe on %s fails when only the login is refused (the server is alive): %v", n.host, err)
		}
	}

	eventually(t, "replica connected", 60*time.Second, func() error {
		running, err := sql(nodes[1], false, "SELECT variable_value FROM information_schema.global_status WHERE variable_name = 'Slave_running'")
		if err != nil || running != "ON" {
			return fmt.Errorf("Slave_running %q %v", running, err)
		}
		return nil
	})
	if out, err := sql(nodes[0], true, "CREATE DATABASE probe; CREATE TABLE probe.t (v varchar(20)); INSERT INTO probe.t VALUES ('replicated')"); err != nil {
		t.Fatalf("write on pod 0: %v: %s", err, out)
	}
	eventually(t, "row on the replica", 30*time.Second, func() error {
		got, err := sql(nodes[1], true, "SELECT v FROM probe.t")
		if err != nil || got != "replicated" {
			return fmt.Errorf("%q %v", got, err)
		}
		return nil
	})
}

// TestMySQLFlavor checks what the image name selects.
func TestMySQLFlavor(t *testing.T) {
	for _, c := range []struct {
		caseName, app, group, rootEnv string
		mysqlx                        bool
	}{
		{"mysql-single", "shop", "[mysqld]", "MYSQL_ROOT_PASSWORD", true},
		{"mysql-mariadb-replicated", "catalog", "[mariadb]", "MARIADB_ROOT_PASSWORD", false},
	} {
		res := loadDBCase(t, c.caseName)
		if cnf := dbConfigData(t, res, c.app+"-server-config")["celestra.cnf"]; !strings.Contains(cnf, c.group+"\n") {
			t.Errorf("%s: celestra.cnf has no %s group:\n%s", c.caseName, c.group, cnf)
		}
		main := dbContainer(t, dbStatefulSet(t, res, c.app), c.app)
		var env []string
		for _, e := range main.Env {
			env = append(env, e.Name)
		}
		if !strings.Contains(strings.Join(env, " "), c.rootEnv) {
			t.Errorf("%s: no %s in %v", c.caseName, c.rootEnv, env)
		}
		hasX := false
		for _, p := range main.Ports {
			hasX = hasX || p.Name == "mysqlx"
		}
		if hasX != c.mysqlx {
			t.Errorf("%s: mysqlx port present = %v, want %v", c.caseName, hasX, c.mysqlx)
		}
	}
}
