package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/celestra-dev/celestra/model"
)

// configHashAnnotation carries a hash of the app's Secrets and ConfigMaps:
// a change of their data changes the pod template, which rolls the pods.
const configHashAnnotation = "celestra.dev/config-hash"

func (r *renderer) statefulSet() (*appsv1.StatefulSet, error) {
	a := r.app
	pod, err := r.podSpec()
	if err != nil {
		return nil, err
	}
	annotations, err := r.podAnnotations()
	if err != nil {
		return nil, err
	}
	claims, err := r.claims()
	if err != nil {
		return nil, err
	}
	spec := appsv1.StatefulSetSpec{
		ServiceName:         a.Name + "-headless",
		Replicas:            ptr(int32(a.Replicas)),
		PodManagementPolicy: appsv1.PodManagementPolicyType(a.PodManagementPolicy),
		Selector:            &metav1.LabelSelector{MatchLabels: copyMap(r.selector)},
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: copyMap(r.labels), Annotations: annotations},
			Spec:       pod,
		},
		VolumeClaimTemplates: claims,
	}
	switch a.DeploymentStrategy {
	case "on-delete":
		spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	case "rolling":
		spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
		if ru := a.RollingUpdate; ru != nil {
			u := &appsv1.RollingUpdateStatefulSetStrategy{}
			if ru.Partition != nil {
				u.Partition = ptr(int32(*ru.Partition))
			}
			if ru.MaxUnavailable != nil {
				v := intstr.FromInt32(int32(*ru.MaxUnavailable))
				u.MaxUnavailable = &v
			}
			spec.UpdateStrategy.RollingUpdate = u
		}
	default:
		return nil, fmt.Errorf("app %s: deploymentStrategy %q is neither rolling nor on-delete", a.Name, a.DeploymentStrategy)
	}
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: r.meta(a.Name),
		Spec:       spec,
	}, nil
}

// podAnnotations are the app's annotations, the config hash and the
// Prometheus scrape annotations; nil when there are none.
func (r *renderer) podAnnotations() (map[string]string, error) {
	a := r.app
	out := copyMap(a.Annotations)
	if out == nil {
		out = map[string]string{}
	}
	hash, err := configHash(a)
	if err != nil {
		return nil, err
	}
	if hash != "" {
		out[configHashAnnotation] = hash
	}
	if m := a.Metrics; m != nil {
		out["prometheus.io/scrape"] = "true"
		out["prometheus.io/port"] = strconv.Itoa(m.Port)
		out["prometheus.io/path"] = m.Path
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// configHash is the SHA-256, in hex, of the data of the Secrets and
// ConfigMaps the app creates, written as the JSON
// {"configs":{name:data},"secrets":{name:data}} with sorted keys and no HTML
// escaping; "" when the app creates none.
func configHash(a model.App) (string, error) {
	data := struct {
		Configs map[string]map[string]string `json:"configs"`
		Secrets map[string]map[string]string `json:"secrets"`
	}{map[string]map[string]string{}, map[string]map[string]string{}}
	for n, c := range a.Configs {
		if !c.Existing {
			data.Configs[n] = orEmpty(c.Data)
		}
	}
	for n, s := range a.Secrets {
		if !s.Existing {
			data.Secrets[n] = orEmpty(s.Data)
		}
	}
	if len(data.Configs)+len(data.Secrets) == 0 {
		return "", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return "", fmt.Errorf("app %s: config hash: %w", a.Name, err)
	}
	sum := sha256.Sum256(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return hex.EncodeToString(sum[:]), nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (r *renderer) podSpec() (corev1.PodSpec, error) {
	a := r.app
	spec := corev1.PodSpec{
		ServiceAccountName:           r.serviceAccountName,
		AutomountServiceAccountToken: ptr(len(a.Roles) > 0),
		SecurityContext:              r.podSecurity,
		NodeSelector:                 copyMap(a.NodeSelector),
		Tolerations:                  slices.Clone(a.Tolerations),
		Affinity:                     a.Affinity,
	}
	if len(spec.NodeSelector) == 0 {
		spec.NodeSelector = nil
	}
	if len(spec.Tolerations) == 0 {
		spec.Tolerations = nil
	}
	if t := a.TerminationGracePeriodSeconds; t != nil {
		spec.TerminationGracePeriodSeconds = ptr(int64(*t))
	}
	main, err := r.mainContainer()
	if err != nil {
		return spec, err
	}
	for _, n := range sortedKeys(a.InitContainers) {
		c, err := r.extraContainer(n, a.InitContainers[n])
		if err != nil {
			return spec, err
		}
		spec.InitContainers = append(spec.InitContainers, c)
	}
	spec.Containers = []corev1.Container{main}
	for _, n := range sortedKeys(a.Sidecars) {
		c, err := r.extraContainer(n, a.Sidecars[n])
		if err != nil {
			return spec, err
		}
		spec.Containers = append(spec.Containers, c)
	}
	spec.Volumes, err = r.volumes()
	return spec, err
}

func (r *renderer) mainContainer() (corev1.Container, error) {
	a := r.app
	c := corev1.Container{
		Name:            a.Name,
		Image:           a.Image,
		Command:         slices.Clone(a.Command),
		Args:            slices.Clone(a.Args),
		SecurityContext: r.containerSecurity,
	}
	for _, n := range r.portNames {
		p := a.Ports[n]
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: n, ContainerPort: int32(p.Port), Protocol: corev1.Protocol(p.Protocol)})
	}
	// Environment: literal values, then single keys of attached Secrets
	// and ConfigMaps, by name.
	env := map[string]corev1.EnvVar{}
	for k, v := range a.Env {
		env[k] = corev1.EnvVar{Name: k, Value: v}
	}
	for k, f := range a.FieldEnv {
		env[k] = fieldEnv(k, f)
	}
	for sn, s := range a.Secrets {
		for k, key := range s.Env {
			env[k] = corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: sn}, Key: key,
			}}}
		}
	}
	for cn, cm := range a.Configs {
		for k, key := range cm.Env {
			env[k] = corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: cn}, Key: key,
			}}}
		}
	}
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, env[k])
	}
	var secrets, configs []string
	for n, s := range a.Secrets {
		if s.EnvFrom {
			secrets = append(secrets, n)
		}
	}
	secrets = append(secrets, a.EnvFromSecrets...)
	slices.Sort(secrets)
	for n, cm := range a.Configs {
		if cm.EnvFrom {
			configs = append(configs, n)
		}
	}
	configs = append(configs, a.EnvFromConfigMaps...)
	slices.Sort(configs)
	for _, n := range secrets {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n}}})
	}
	for _, n := range configs {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n}}})
	}
	var err error
	c.Resources.Requests, c.Resources.Limits, err = quantities(a.Resources)
	if err != nil {
		return c, fmt.Errorf("app %s: resources: %w", a.Name, err)
	}
	for _, n := range sortedKeys(r.mounts) {
		m := r.mounts[n]
		m.Name = n
		c.VolumeMounts = append(c.VolumeMounts, m)
	}
	// Probes: explicit ones win; healthCheck fills liveness and readiness
	// with an HTTP check.
	var health *corev1.Probe
	if hc := a.HealthCheck; hc != nil {
		port := intstr.IntOrString{}
		switch {
		case hc.Port != nil:
			port = *hc.Port
		case len(r.portNames) > 0:
			port = intstr.FromString(r.portNames[0])
		default:
			return c, fmt.Errorf("app %s: healthCheck has no port and the app has none", a.Name)
		}
		health = probe(&model.Probe{HTTP: &model.HTTPProbe{Path: hc.Path, Port: port, Scheme: string(corev1.URISchemeHTTP)}})
	}
	c.LivenessProbe = probe(a.LivenessProbe)
	if c.LivenessProbe == nil {
		c.LivenessProbe = health
	}
	c.ReadinessProbe = probe(a.ReadinessProbe)
	if c.ReadinessProbe == nil {
		c.ReadinessProbe = health
	}
	c.StartupProbe = probe(a.StartupProbe)
	return c, nil
}

// extraContainer is an init container or a sidecar: the app's image unless
// it names its own, the app's security context, the app's volumes.
func (r *renderer) extraContainer(name string, in model.Container) (corev1.Container, error) {
	c := corev1.Container{
		Name:            name,
		Image:           in.Image,
		Command:         slices.Clone(in.Command),
		Args:            slices.Clone(in.Args),
		SecurityContext: r.containerSecurity,
	}
	if c.Image == "" {
		c.Image = r.app.Image
	}
	for _, n := range sortedKeys(in.Ports) {
		p := in.Ports[n]
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: n, ContainerPort: int32(p.Port), Protocol: corev1.Protocol(p.Protocol)})
	}
	env := map[string]corev1.EnvVar{}
	for k, v := range in.Env {
		env[k] = corev1.EnvVar{Name: k, Value: v}
	}
	for k, f := range in.FieldEnv {
		env[k] = fieldEnv(k, f)
	}
	for k, ref := range in.SecretEnv {
		env[k] = secretEnv(k, ref)
	}
	for _, k := range sortedKeys(env) {
		c.Env = append(c.Env, env[k])
	}
	for _, n := range in.EnvFromSecrets {
		c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n}}})
	}
	var err error
	c.Resources.Requests, c.Resources.Limits, err = quantities(in.Resources)
	if err != nil {
		return c, fmt.Errorf("app %s: container %s: resources: %w", r.app.Name, name, err)
	}
	// A container that lists its volumes mounts only those.
	for _, n := range sortedKeys(r.mounts) {
		if in.Volumes != nil && !slices.Contains(*in.Volumes, n) {
			continue
		}
		m := r.mounts[n]
		m.Name = n
		if p, ok := in.Mounts[n]; ok {
			m.MountPath = p
		}
		c.VolumeMounts = append(c.VolumeMounts, m)
	}
	c.LivenessProbe = probe(in.LivenessProbe)
	c.ReadinessProbe = probe(in.ReadinessProbe)
	return c, nil
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

func secretEnv(name string, ref model.SecretKey) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: ref.Secret}, Key: ref.Key,
	}}}
}

// probe maps a model probe onto a Kubernetes probe; nil for nil.
func probe(p *model.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	out := &corev1.Probe{}
	switch {
	case p.Exec != nil:
		out.Exec = &corev1.ExecAction{Command: slices.Clone(p.Exec)}
	case p.HTTP != nil:
		out.HTTPGet = &corev1.HTTPGetAction{Path: p.HTTP.Path, Port: p.HTTP.Port, Scheme: corev1.URIScheme(p.HTTP.Scheme)}
	case p.TCP != nil:
		out.TCPSocket = &corev1.TCPSocketAction{Port: p.TCP.Port}
	}
	set := func(dst *int32, v *int) {
		if v != nil {
			*dst = int32(*v)
		}
	}
	set(&out.InitialDelaySeconds, p.InitialDelaySeconds)
	set(&out.PeriodSeconds, p.PeriodSeconds)
	set(&out.TimeoutSeconds, p.TimeoutSeconds)
	set(&out.FailureThreshold, p.FailureThreshold)
	set(&out.SuccessThreshold, p.SuccessThreshold)
	return out
}

// volumes are the pod's volumes by name: the app's volumes other than
// claims, and the Secrets and ConfigMaps mounted as files.
func (r *renderer) volumes() ([]corev1.Volume, error) {
	a := r.app
	byName := map[string]corev1.VolumeSource{}
	for n, v := range a.Volumes {
		if v.PersistentVolumeClaim != nil {
			continue
		}
		var src corev1.VolumeSource
		switch {
		case v.ConfigMap != "":
			src.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap}}
		case v.Secret != "":
			src.Secret = &corev1.SecretVolumeSource{SecretName: v.Secret}
		case v.EmptyDir != nil:
			src.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(v.EmptyDir.Medium)}
			if v.EmptyDir.SizeLimit != "" {
				q, err := resource.ParseQuantity(v.EmptyDir.SizeLimit)
				if err != nil {
					return nil, fmt.Errorf("app %s: volume %s: sizeLimit: %w", a.Name, n, err)
				}
				src.EmptyDir.SizeLimit = &q
			}
		}
		byName[n] = src
	}
	for n, s := range a.Secrets {
		if s.MountPath != "" {
			byName["secret-"+n] = corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: n, DefaultMode: ptr(int32(0o400))}}
		}
	}
	for n, c := range a.Configs {
		if c.MountPath != "" {
			byName["config-"+n] = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: n}, DefaultMode: ptr(int32(0o444)),
			}}
		}
	}
	var out []corev1.Volume
	for _, n := range sortedKeys(byName) {
		out = append(out, corev1.Volume{Name: n, VolumeSource: byName[n]})
	}
	return out, nil
}

// claims are the StatefulSet's claim templates by name: "data" for the
// app's storage, and the volumes that are claims.
func (r *renderer) claims() ([]corev1.PersistentVolumeClaim, error) {
	a := r.app
	specs := map[string]model.Claim{}
	if a.Storage != nil {
		specs["data"] = a.Storage.Claim
	}
	for n, v := range a.Volumes {
		if v.PersistentVolumeClaim != nil {
			specs[n] = *v.PersistentVolumeClaim
		}
	}
	var out []corev1.PersistentVolumeClaim
	for _, n := range sortedKeys(specs) {
		c := specs[n]
		size, err := resource.ParseQuantity(c.Size)
		if err != nil {
			return nil, fmt.Errorf("app %s: claim %s: size: %w", a.Name, n, err)
		}
		pvc := corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: n},
			Spec: corev1.PersistentVolumeClaimSpec{
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
			},
		}
		for _, m := range c.AccessModes {
			pvc.Spec.AccessModes = append(pvc.Spec.AccessModes, corev1.PersistentVolumeAccessMode(m))
		}
		if c.StorageClass != "" {
			pvc.Spec.StorageClassName = ptr(c.StorageClass)
		}
		out = append(out, pvc)
	}
	return out, nil
}
