package gate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// child is an object a controller would create, and how a message names it.
type child struct {
	subject string
	object  runtime.Object
}

// children are the objects the controllers of Kubernetes v1.36.3 would
// create from stored, an object as the API server stores it (defaulted,
// with a UID).
func children(stored runtime.Object) []child {
	switch o := stored.(type) {
	case *appsv1.StatefulSet:
		return statefulSetChildren(o)
	case *batchv1.CronJob:
		job := cronJobJob(o)
		return []child{{subject: "job " + job.Name, object: job}}
	case *batchv1.Job:
		pod := jobPod(o)
		return []child{{subject: "pod " + pod.GenerateName + generatedSuffix, object: pod}}
	default:
		return nil
	}
}

// revisionHash stands for the hash the StatefulSet controller puts in its
// revision names: the decimal FNV-32 hash of the revision, encoded one
// character per digit, so at most 10 characters. The longest is used, since
// the revision name is a label value and its length is what can fail.
const revisionHash = "5d8b4c7f9b"

// statefulSetChildren are the PersistentVolumeClaims and Pods of the first
// and last ordinal, as the StatefulSet controller creates them (with no
// replicas, those of the first ordinal, which scaling up creates).
func statefulSetChildren(set *appsv1.StatefulSet) []child {
	first := 0
	if set.Spec.Ordinals != nil {
		first = int(set.Spec.Ordinals.Start)
	}
	replicas := 1
	if set.Spec.Replicas != nil && *set.Spec.Replicas > 1 {
		replicas = int(*set.Spec.Replicas)
	}
	ordinals := []int{first}
	if last := first + replicas - 1; last != first {
		ordinals = append(ordinals, last)
	}
	var out []child
	for _, ordinal := range ordinals {
		claims := statefulSetClaims(set, ordinal)
		for _, name := range slices.Sorted(maps.Keys(claims)) {
			claim := claims[name]
			out = append(out, child{subject: "claim " + claim.Name, object: claim})
		}
		pod := statefulSetPod(set, ordinal, claims)
		out = append(out, child{subject: "pod " + pod.Name, object: pod})
	}
	return out
}

// statefulSetClaims are the claims of one ordinal, keyed by template name:
// <claim>-<sts>-<ordinal>, labelled with the set's selector.
func statefulSetClaims(set *appsv1.StatefulSet, ordinal int) map[string]*corev1.PersistentVolumeClaim {
	claims := map[string]*corev1.PersistentVolumeClaim{}
	for _, tmpl := range set.Spec.VolumeClaimTemplates {
		claim := tmpl.DeepCopy()
		claim.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
		claim.Name = fmt.Sprintf("%s-%s-%d", tmpl.Name, set.Name, ordinal)
		claim.Namespace = set.Namespace
		if claim.Labels == nil {
			claim.Labels = map[string]string{}
		}
		if set.Spec.Selector != nil {
			maps.Copy(claim.Labels, set.Spec.Selector.MatchLabels)
		}
		claim.OwnerReferences = nil
		claims[tmpl.Name] = claim
	}
	return claims
}

// statefulSetPod is the Pod of one ordinal: the template with the pod's
// identity (name, hostname, subdomain, labels) and the claims as volumes,
// replacing any template volume of the same name.
func statefulSetPod(set *appsv1.StatefulSet, ordinal int, claims map[string]*corev1.PersistentVolumeClaim) *corev1.Pod {
	pod := podFromTemplate(&set.Spec.Template, controllerRef(set.ObjectMeta, "apps/v1", "StatefulSet"))
	pod.Name = fmt.Sprintf("%s-%d", set.Name, ordinal)
	pod.GenerateName = ""
	pod.Namespace = set.Namespace
	pod.Labels[appsv1.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ordinal)
	pod.Labels[appsv1.StatefulSetRevisionLabel] = set.Name + "-" + revisionHash
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName

	volumes := make([]corev1.Volume, 0, len(claims)+len(pod.Spec.Volumes))
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		volumes = append(volumes, corev1.Volume{
			Name: name,
			VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claims[name].Name},
			},
		})
	}
	for _, v := range pod.Spec.Volumes {
		if _, replaced := claims[v.Name]; !replaced {
			volumes = append(volumes, v)
		}
	}
	pod.Spec.Volumes = volumes
	return pod
}

// scheduledTime is the time a CronJob's Job is built for; its name carries
// it in minutes since the epoch (8 digits until the year 2160).
var scheduledTime = time.Date(2026, time.January, 1, 2, 0, 0, 0, time.UTC)

// cronJobJob is the Job the CronJob controller creates for a scheduled
// time.
func cronJobJob(cj *batchv1.CronJob) *batchv1.Job {
	location, err := time.LoadLocation(ptrValue(cj.Spec.TimeZone))
	if err != nil {
		// The API server has refused the time zone already.
		location = time.UTC
	}
	job := &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{
			Name:              fmt.Sprintf("%s-%d", cj.Name, scheduledTime.Unix()/60),
			Namespace:         cj.Namespace,
			Labels:            maps.Clone(cj.Spec.JobTemplate.Labels),
			Annotations:       maps.Clone(cj.Spec.JobTemplate.Annotations),
			CreationTimestamp: metav1.Time{Time: scheduledTime},
			OwnerReferences:   []metav1.OwnerReference{controllerRef(cj.ObjectMeta, "batch/v1", "CronJob")},
		},
	}
	if job.Labels == nil {
		job.Labels = map[string]string{}
	}
	if job.Annotations == nil {
		job.Annotations = map[string]string{}
	}
	job.Annotations[batchv1.CronJobScheduledTimestampAnnotation] = scheduledTime.In(location).Format(time.RFC3339)
	cj.Spec.JobTemplate.Spec.DeepCopyInto(&job.Spec)
	return job
}

// jobPod is the Pod the Job controller creates for a stored Job: the
// template (with the labels the API server added to it), the job-tracking
// finalizer and, for an Indexed Job, the index of its first completion.
func jobPod(job *batchv1.Job) *corev1.Pod {
	tmpl := job.Spec.Template.DeepCopy()
	generate := job.Name + "-"
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		const index = 0
		for _, containers := range [][]corev1.Container{tmpl.Spec.InitContainers, tmpl.Spec.Containers} {
			for i := range containers {
				addCompletionIndexEnv(&containers[i])
			}
		}
		if tmpl.Annotations == nil {
			tmpl.Annotations = map[string]string{}
		}
		if tmpl.Labels == nil {
			tmpl.Labels = map[string]string{}
		}
		tmpl.Annotations[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(index)
		tmpl.Labels[batchv1.JobCompletionIndexAnnotation] = strconv.Itoa(index)
		tmpl.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, index)
		suffix := fmt.Sprintf("-%d-", index)
		generate = job.Name + suffix
		if len(generate) > maxGeneratedNameLength {
			generate = generate[:maxGeneratedNameLength-len(suffix)] + suffix
		}
	}
	if !slices.Contains(tmpl.Finalizers, batchv1.JobTrackingFinalizer) {
		tmpl.Finalizers = append(tmpl.Finalizers, batchv1.JobTrackingFinalizer)
	}
	pod := podFromTemplate(tmpl, controllerRef(job.ObjectMeta, "batch/v1", "Job"))
	pod.GenerateName = generate
	pod.Namespace = job.Namespace
	return pod
}

// addCompletionIndexEnv gives a container of an Indexed Job the
// JOB_COMPLETION_INDEX variable, unless it sets it itself.
func addCompletionIndexEnv(c *corev1.Container) {
	const name = "JOB_COMPLETION_INDEX"
	for _, e := range c.Env {
		if e.Name == name {
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{
		Name: name,
		ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
			FieldPath: fmt.Sprintf("metadata.labels['%s']", batchv1.JobCompletionIndexAnnotation),
		}},
	})
}

// podFromTemplate is a Pod made from a template as every workload
// controller makes it: the template's labels, annotations, finalizers and
// spec, owned by the controller, named from the owner's name.
func podFromTemplate(tmpl *corev1.PodTemplateSpec, owner metav1.OwnerReference) *corev1.Pod {
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    owner.Name + "-",
			Labels:          maps.Clone(tmpl.Labels),
			Annotations:     maps.Clone(tmpl.Annotations),
			Finalizers:      slices.Clone(tmpl.Finalizers),
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	if pod.Finalizers == nil {
		pod.Finalizers = []string{}
	}
	return pod
}

// controllerRef is the owner reference a controller sets on what it
// creates.
func controllerRef(owner metav1.ObjectMeta, apiVersion, kind string) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{
		APIVersion: apiVersion, Kind: kind, Name: owner.Name, UID: owner.UID,
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
