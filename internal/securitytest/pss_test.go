package securitytest

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/testcases"
)

// podTemplate is one pod template of a written object.
type podTemplate struct {
	where string // "<case>/<object key>"
	kind  string
	meta  metav1.ObjectMeta
	spec  corev1.PodSpec
}

// configurations lists every example and test case folder (see
// internal/testcases), in a stable order.
func configurations(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, d := range testcases.All(t) {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// podTemplates loads every configuration and returns the pod templates of
// its workloads.
func podTemplates(t *testing.T) []podTemplate {
	t.Helper()
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	var out []podTemplate
	for _, dir := range configurations(t) {
		res, err := loader.Load(dir)
		if err != nil {
			t.Errorf("%s does not load: %v", dir, err)
			continue
		}
		name := filepath.Base(dir)
		for _, o := range res.Objects {
			where := name + "/" + o.Key
			switch obj := o.Typed.(type) {
			case *appsv1.StatefulSet:
				out = append(out, podTemplate{where, "StatefulSet", obj.Spec.Template.ObjectMeta, obj.Spec.Template.Spec})
			case *appsv1.Deployment:
				out = append(out, podTemplate{where, "Deployment", obj.Spec.Template.ObjectMeta, obj.Spec.Template.Spec})
			case *appsv1.DaemonSet:
				out = append(out, podTemplate{where, "DaemonSet", obj.Spec.Template.ObjectMeta, obj.Spec.Template.Spec})
			case *batchv1.CronJob:
				tpl := obj.Spec.JobTemplate.Spec.Template
				out = append(out, podTemplate{where, "CronJob", tpl.ObjectMeta, tpl.Spec})
			case *batchv1.Job:
				out = append(out, podTemplate{where, "Job", obj.Spec.Template.ObjectMeta, obj.Spec.Template.Spec})
			case *corev1.Pod:
				out = append(out, podTemplate{where, "Pod", obj.ObjectMeta, obj.Spec})
			}
		}
	}
	return out
}

func restrictedEvaluator(t *testing.T) (policy.Evaluator, api.LevelVersion) {
	t.Helper()
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev, api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
}

// TestPodTemplates loads every example and test case once and checks each
// pod template it writes.
func TestPodTemplates(t *testing.T) {
	templates := podTemplates(t)
	t.Run("restricted", func(t *testing.T) { checkRestricted(t, templates) })
	t.Run("defaults", func(t *testing.T) { checkSecurityDefaults(t, templates) })
	t.Run("scripts", func(t *testing.T) { checkScriptsParse(t, templates) })
}

// checkRestricted evaluates every pod template with the upstream
// "restricted" checks.
func checkRestricted(t *testing.T, templates []podTemplate) {
	ev, lv := restrictedEvaluator(t)
	kinds := map[string]int{}
	for _, p := range templates {
		kinds[p.kind]++
		for _, r := range ev.EvaluatePod(lv, &p.meta, &p.spec) {
			if !r.Allowed {
				t.Errorf("%s (%s): restricted Pod Security Standard violated: %s: %s", p.where, p.kind, r.ForbiddenReason, r.ForbiddenDetail)
			}
		}
	}
	// The examples and cases must exercise every kind of pod celestra
	// writes, or this test would prove less than it claims.
	for _, k := range []string{"StatefulSet", "CronJob", "Job"} {
		if kinds[k] == 0 {
			t.Errorf("no %s pod template among the examples and test cases", k)
		}
	}
	t.Logf("evaluated %d pod templates: %v", len(templates), kinds)
}

// TestEvaluatorRejects makes sure the evaluation above can fail: a pod
// without the restricted settings is refused for each missing one.
func TestEvaluatorRejects(t *testing.T) {
	ev, lv := restrictedEvaluator(t)
	no := false
	spec := corev1.PodSpec{Containers: []corev1.Container{{
		Name:            "c",
		Image:           "x",
		SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no},
	}}}
	reasons := map[string]bool{}
	for _, r := range ev.EvaluatePod(lv, &metav1.ObjectMeta{}, &spec) {
		if !r.Allowed {
			reasons[r.ForbiddenReason] = true
		}
	}
	for _, want := range []string{"runAsNonRoot != true", "seccompProfile", "unrestricted capabilities"} {
		if !reasons[want] {
			t.Errorf("a bare pod was not refused for %q; refused for %v", want, reasons)
		}
	}
}

// checkSecurityDefaults checks what the restricted standard leaves open but
// celestra promises: no service account token unless a Role is attached,
// and every container of backup and restore pods on a read-only root.
func checkSecurityDefaults(t *testing.T, templates []podTemplate) {
	for _, p := range templates {
		token := p.spec.AutomountServiceAccountToken
		if token == nil {
			t.Errorf("%s: automountServiceAccountToken is not set", p.where)
		} else if *token && p.spec.ServiceAccountName == "" {
			t.Errorf("%s: mounts a service account token without a service account (and Role)", p.where)
		}
		if p.kind == "CronJob" || p.kind == "Job" {
			if *token {
				t.Errorf("%s: a backup or restore pod mounts a service account token", p.where)
			}
			for _, c := range append(append([]corev1.Container{}, p.spec.InitContainers...), p.spec.Containers...) {
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s: container %s has a writable root filesystem", p.where, c.Name)
				}
			}
		}
	}
}

// checkScriptsParse runs `sh -n` on every inline script (sh -c) of every
// container: a syntax error would otherwise only show in the cluster.
func checkScriptsParse(t *testing.T, templates []podTemplate) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine: cannot check the scripts' syntax")
	}
	checked := 0
	for _, p := range templates {
		for _, c := range append(append([]corev1.Container{}, p.spec.InitContainers...), p.spec.Containers...) {
			script, ok := inlineScript(append(append([]string{}, c.Command...), c.Args...))
			if !ok {
				continue
			}
			out, err := exec.Command(sh, "-n", "-c", script).CombinedOutput()
			if err != nil {
				t.Errorf("%s: container %s: script does not parse: %v\n%s\n--- script ---\n%s", p.where, c.Name, err, out, script)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no inline script found: the scan is broken")
	}
	t.Logf("checked %d scripts with %s -n", checked, sh)
}

// inlineScript finds "sh -c <script>" (or bash, ash) in a command line.
func inlineScript(cmd []string) (string, bool) {
	for i := 0; i+2 < len(cmd); i++ {
		if strings.HasSuffix(cmd[i], "sh") && cmd[i+1] == "-c" {
			return cmd[i+2], true
		}
	}
	return "", false
}
