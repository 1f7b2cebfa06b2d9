package render

import (
	"fmt"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Backups: a CronJob dumps the database with the preset's command into an
// emptyDir, then uploads the file (rclone) and prunes the backups older
// than the retention; with a restore, a Job downloads one backup and loads
// it with the preset's script.

// opsMeta is the metadata of a backup or restore object (name set) or of
// its pods (name ""): the app's instance label but another name, so that
// neither the app's Services nor its PodDisruptionBudget select them.
func (r *renderer) opsMeta(name, component string) metav1.ObjectMeta {
	a := r.app
	m := metav1.ObjectMeta{Name: name, Labels: merge(a.Labels, map[string]string{
		labelName:      "celestra-" + component,
		labelInstance:  a.Name,
		labelComponent: component,
		labelPartOf:    a.Name,
		labelManagedBy: managedBy,
	})}
	if name != "" {
		m.Namespace = a.Namespace
	}
	return m
}

// opsPod is the pod spec shared by backup and restore pods: the app's pod
// security context, no service account token, the app's placement.
func (r *renderer) opsPod() corev1.PodSpec {
	a := r.app
	spec := corev1.PodSpec{
		AutomountServiceAccountToken: ptr(false),
		SecurityContext:              r.podSecurity,
		RestartPolicy:                corev1.RestartPolicyOnFailure,
		Volumes: []corev1.Volume{
			{Name: "backup", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
	}
	if claim := a.Backup.Target.Claim; claim != "" {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "target", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
		}})
	}
	if len(a.NodeSelector) > 0 {
		spec.NodeSelector = copyMap(a.NodeSelector)
	}
	if len(a.Tolerations) > 0 {
		spec.Tolerations = append([]corev1.Toleration(nil), a.Tolerations...)
	}
	return spec
}

// opsContainer adds the restricted security context of backup and restore
// containers, which only write to their mounted folders.
func opsContainer(c corev1.Container) corev1.Container {
	c.SecurityContext = &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	return c
}

// databaseContainer runs the preset's dump or restore script.
func (r *renderer) databaseContainer(name, script string) corev1.Container {
	b := r.app.Backup
	env := []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}}
	names := map[string]bool{}
	for k := range b.Env {
		names[k] = true
	}
	for k := range b.SecretEnv {
		names[k] = true
	}
	for _, k := range sortedKeys(names) {
		v := corev1.EnvVar{Name: k}
		if value, ok := b.Env[k]; ok {
			v.Value = value
		}
		if ref, ok := b.SecretEnv[k]; ok {
			v.ValueFrom = secretEnv(k, ref).ValueFrom
		}
		env = append(env, v)
	}
	requests, limits, _ := quantities(b.Resources)
	if requests == nil {
		requests = corev1.ResourceList{}
	}
	return opsContainer(corev1.Container{
		Name:      name,
		Image:     b.Image,
		Command:   []string{"sh", "-c", script},
		Env:       env,
		Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "backup", MountPath: "/backup"},
			{Name: "tmp", MountPath: "/tmp"},
		},
	})
}

// rcloneContainer uploads or downloads with rclone.
func (r *renderer) rcloneContainer(name, script string) corev1.Container {
	b := r.app.Backup
	c := corev1.Container{
		Name:    name,
		Image:   b.UploaderImage,
		Command: []string{"sh", "-c", script},
		// The uploader needs little: it streams a file.
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("50m"),
			corev1.ResourceMemory: resource.MustParse("64Mi"),
		}},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "backup", MountPath: "/backup"},
			{Name: "tmp", MountPath: "/tmp"},
		},
	}
	for _, k := range sortedKeys(b.Target.Env) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: b.Target.Env[k]})
	}
	if b.CredentialsSecret != "" {
		c.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: b.CredentialsSecret}}}}
	}
	if b.Target.Claim != "" {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "target", MountPath: "/target"})
	}
	return opsContainer(c)
}

func (r *renderer) backupCronJob() *batchv1.CronJob {
	a := r.app
	b := a.Backup
	pod := r.opsPod()
	dump := r.databaseContainer("dump", dumpScript(a.Name, b.Suffix, b.Dump))
	if b.Upload {
		pod.InitContainers = []corev1.Container{dump}
		pod.Containers = []corev1.Container{r.rcloneContainer("upload", uploadScript(b.Target.Remote, b.Retention))}
	} else {
		pod.Containers = []corev1.Container{dump}
	}
	podMeta := r.opsMeta("", "backup")
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: r.opsMeta(a.Name+"-backup", "backup"),
		Spec: batchv1.CronJobSpec{
			Schedule:                   b.Schedule,
			TimeZone:                   ptr(b.TimeZone),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr(int64(3600)),
			SuccessfulJobsHistoryLimit: ptr(int32(3)),
			FailedJobsHistoryLimit:     ptr(int32(3)),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyMap(podMeta.Labels)},
				Spec: batchv1.JobSpec{
					BackoffLimit: ptr(int32(2)),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: copyMap(podMeta.Labels)},
						Spec:       pod,
					},
				},
			},
		},
	}
}

func (r *renderer) restoreJob() *batchv1.Job {
	a := r.app
	b := a.Backup
	pod := r.opsPod()
	if b.Upload {
		pod.InitContainers = []corev1.Container{r.rcloneContainer("download", downloadScript(b.Target.Remote, b.Restore.From, b.Restore.Fetch))}
	}
	pod.Containers = []corev1.Container{r.databaseContainer("restore", restoreScript(b.Restore.From, b.Restore.Script))}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: r.opsMeta(a.Name+"-restore", "restore"),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(3)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: r.opsMeta("", "restore").Labels},
				Spec:       pod,
			},
		},
	}
}

// dumpScript wraps a preset's dump: a clean folder, a dated file name, a
// check that something was written.
func dumpScript(app, suffix, dump string) string {
	return strings.Join([]string{
		"set -eu",
		"rm -rf /backup/*",
		fmt.Sprintf(`BACKUP_FILE="/backup/%s-$(date -u +%%Y%%m%%dT%%H%%M%%SZ).%s"`, app, suffix),
		"export BACKUP_FILE",
		dump,
		`test -s "$BACKUP_FILE"`,
		`echo "backup written: $(basename "$BACKUP_FILE") ($(wc -c < "$BACKUP_FILE") bytes)"`,
	}, "\n")
}

// uploadScript copies the new backup to the location, then deletes the
// backups older than the retention, only after a successful upload.
func uploadScript(remote string, retention int) string {
	return strings.Join([]string{
		"set -eu",
		fmt.Sprintf(`rclone copy /backup "%s" --no-traverse --immutable --verbose`, remote),
		fmt.Sprintf(`rclone delete "%s" --min-age %dd --verbose`, remote, retention),
	}, "\n")
}

// downloadScript fetches one backup by name, and the folders of archived
// logs the restore replays.
func downloadScript(remote, from string, fetch map[string]string) string {
	lines := []string{
		"set -eu",
		fmt.Sprintf(`rclone copyto "%s/%s" "/backup/%s" --verbose`, remote, from, from),
	}
	for _, d := range sortedKeys(fetch) {
		lines = append(lines, fmt.Sprintf(`rclone copy "%s/%s" "/backup/%s" --verbose`, remote, fetch[d], d))
	}
	return strings.Join(lines, "\n")
}

// restoreScript runs a preset's restore on the downloaded file.
func restoreScript(from, restore string) string {
	return strings.Join([]string{
		"set -eu",
		fmt.Sprintf(`BACKUP_FILE="/backup/%s"`, from),
		"export BACKUP_FILE",
		restore,
		`echo "restored $(basename "$BACKUP_FILE")"`,
	}, "\n")
}
