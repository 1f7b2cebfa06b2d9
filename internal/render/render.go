// Package render builds the Kubernetes objects of one app from its model
// (package model): typed k8s.io/api objects, keyed "<kind>-<name>" like the
// files celestra writes. It knows no preset: every preset-specific fact
// (images, ports, scripts, exporters, backup commands) comes from the model.
//
// It is the Go port of the CUE renderer (kubernetes/*.cue) and produces the
// same objects; a test holds the two equal on every example and case.
package render

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/celestra-dev/celestra/model"
)

// Object is one rendered object.
type Object struct {
	// Key is "<kind>-<name>" with the kind in lower case: the stem of the
	// object's file name.
	Key    string
	Object runtime.Object
}

// Label keys celestra sets.
const (
	labelName      = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	labelManagedBy = "app.kubernetes.io/managed-by"
	labelComponent = "app.kubernetes.io/component"
	labelPartOf    = "app.kubernetes.io/part-of"
	managedBy      = "celestra"
)

// App renders one app into its objects, sorted by key.
func App(a model.App) ([]Object, error) {
	r := newRenderer(a)
	objects := map[string]runtime.Object{}
	add := func(kind, name string, o runtime.Object) error {
		key := strings.ToLower(kind) + "-" + name
		if _, dup := objects[key]; dup {
			return fmt.Errorf("app %s: two objects named %s", a.Name, key)
		}
		objects[key] = o
		return nil
	}
	var errs []error
	must := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	sts, err := r.statefulSet()
	if err != nil {
		return nil, err
	}
	must(add("StatefulSet", a.Name, sts))
	must(add("Service", a.Name+"-headless", r.headlessService()))
	if a.Expose != nil {
		typ := corev1.ServiceTypeClusterIP
		if a.Expose.External {
			typ = corev1.ServiceTypeLoadBalancer
		}
		must(add("Service", a.Name, r.clientService(a.Name, r.selector, typ, a.Expose.Ports, a.Expose.Annotations)))
	}
	for _, n := range sortedKeys(a.Services) {
		s := a.Services[n]
		selector := merge(r.selector, s.Selector)
		must(add("Service", n, r.clientService(n, selector, corev1.ServiceType(s.Type), s.Ports, s.Annotations)))
	}
	for _, n := range sortedKeys(a.Secrets) {
		if s := a.Secrets[n]; !s.Existing {
			must(add("Secret", n, r.secret(n, s)))
		}
	}
	for _, n := range sortedKeys(a.Configs) {
		if c := a.Configs[n]; !c.Existing {
			must(add("ConfigMap", n, r.configMap(n, c)))
		}
	}
	if r.serviceAccountName != "" && (a.ServiceAccount == nil || !a.ServiceAccount.Existing) {
		must(add("ServiceAccount", r.serviceAccountName, r.serviceAccount()))
	}
	for _, n := range sortedKeys(a.Roles) {
		must(add("Role", n, r.role(n, a.Roles[n])))
		must(add("RoleBinding", n, r.roleBinding(n)))
	}
	for _, n := range sortedKeys(a.NetworkPolicies) {
		must(add("NetworkPolicy", n, r.networkPolicy(n, a.NetworkPolicies[n])))
	}
	if a.Replicas > 1 {
		must(add("PodDisruptionBudget", a.Name, r.podDisruptionBudget()))
	}
	if a.SecurityPolicy != nil && a.Namespace != "" {
		must(add("Namespace", a.Namespace, r.namespace()))
	}
	if m := a.Metrics; m != nil && m.ServiceMonitor != nil {
		must(add("Service", a.Name+"-metrics", r.metricsService()))
		must(add("ServiceMonitor", a.Name, r.serviceMonitor()))
	}
	if b := a.Backup; b != nil {
		must(add("CronJob", a.Name+"-backup", r.backupCronJob()))
		if b.Restore != nil {
			must(add("Job", a.Name+"-restore", r.restoreJob()))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]Object, 0, len(objects))
	for _, k := range sortedKeys(objects) {
		out = append(out, Object{Key: k, Object: objects[k]})
	}
	return out, nil
}

// renderer holds what several objects of one app share.
type renderer struct {
	app model.App
	// selector is the app's identity: the StatefulSet's selector.
	selector map[string]string
	// labels are the app's labels with the selector and managed-by.
	labels             map[string]string
	portNames          []string
	servicePorts       []corev1.ServicePort
	serviceAccountName string
	// podSecurity and containerSecurity are the app's security contexts,
	// shared by its containers and its backup pods.
	podSecurity       *corev1.PodSecurityContext
	containerSecurity *corev1.SecurityContext
	// mounts are the app's volume mounts, by volume name.
	mounts map[string]corev1.VolumeMount
}

func newRenderer(a model.App) *renderer {
	r := &renderer{app: a}
	name := a.Preset
	if name == "" {
		name = a.Name
	}
	r.selector = map[string]string{labelName: name, labelInstance: a.Name}
	r.labels = merge(a.Labels, r.selector, map[string]string{labelManagedBy: managedBy})
	r.portNames = sortedKeys(a.Ports)
	for _, n := range r.portNames {
		p := a.Ports[n]
		r.servicePorts = append(r.servicePorts, corev1.ServicePort{
			Name: n, Port: int32(p.Port), TargetPort: intstr.FromString(n), Protocol: corev1.Protocol(p.Protocol),
		})
	}
	switch {
	case a.ServiceAccount != nil:
		r.serviceAccountName = a.ServiceAccount.Name
	case len(a.Roles) > 0:
		r.serviceAccountName = a.Name
	}
	s := a.Security
	r.podSecurity = &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr(s.RunAsNonRoot),
		RunAsUser:      s.RunAsUser,
		RunAsGroup:     s.RunAsGroup,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	if s.FSGroup != nil {
		r.podSecurity.FSGroup = s.FSGroup
		r.podSecurity.FSGroupChangePolicy = ptr(corev1.FSGroupChangeOnRootMismatch)
	}
	r.containerSecurity = &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(s.ReadOnlyRootFilesystem),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	r.mounts = map[string]corev1.VolumeMount{}
	if a.Storage != nil {
		r.mounts["data"] = corev1.VolumeMount{MountPath: a.Storage.MountPath}
	}
	for n, v := range a.Volumes {
		m := corev1.VolumeMount{MountPath: v.MountPath, SubPath: v.SubPath}
		if v.ReadOnly != nil {
			m.ReadOnly = *v.ReadOnly
		}
		r.mounts[n] = m
	}
	for n, s := range a.Secrets {
		if s.MountPath != "" {
			r.mounts["secret-"+n] = corev1.VolumeMount{MountPath: s.MountPath, ReadOnly: true}
		}
	}
	for n, c := range a.Configs {
		if c.MountPath != "" {
			r.mounts["config-"+n] = corev1.VolumeMount{MountPath: c.MountPath, ReadOnly: true}
		}
	}
	return r
}

// meta is the metadata of the app's own objects.
func (r *renderer) meta(name string) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: name, Namespace: r.app.Namespace, Labels: copyMap(r.labels)}
	if len(r.app.Annotations) > 0 {
		m.Annotations = copyMap(r.app.Annotations)
	}
	return m
}

func (r *renderer) headlessService() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(r.app.Name + "-headless"),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 copyMap(r.selector),
			Ports:                    slices.Clone(r.servicePorts),
		},
	}
}

// clientService is a Service clients use: the app's ports, or only those
// named in only.
func (r *renderer) clientService(name string, selector map[string]string, typ corev1.ServiceType, only []string, annotations map[string]string) *corev1.Service {
	m := r.meta(name)
	if len(annotations) > 0 {
		m.Annotations = merge(m.Annotations, annotations)
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: m,
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: copyMap(selector),
			Ports:    r.portsNamed(only),
		},
	}
}

// portsNamed are the service ports named in only, or all when only is empty.
func (r *renderer) portsNamed(only []string) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range r.servicePorts {
		if len(only) == 0 || slices.Contains(only, p.Name) {
			out = append(out, p)
		}
	}
	return out
}

func (r *renderer) secret(name string, s model.Secret) *corev1.Secret {
	o := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: r.meta(name),
		Type:       corev1.SecretType(s.Type),
	}
	if len(s.Data) > 0 {
		o.Data = map[string][]byte{}
		for k, v := range s.Data {
			o.Data[k] = []byte(v)
		}
	}
	return o
}

func (r *renderer) configMap(name string, c model.ConfigMap) *corev1.ConfigMap {
	o := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(name),
	}
	if len(c.Data) > 0 {
		o.Data = copyMap(c.Data)
	}
	return o
}

func (r *renderer) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   r.meta(r.serviceAccountName),
		AutomountServiceAccountToken: ptr(false),
	}
}

func (r *renderer) role(name string, role model.Role) *rbacv1.Role {
	o := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: r.meta(name),
	}
	for _, rule := range role.Rules {
		o.Rules = append(o.Rules, rbacv1.PolicyRule{
			APIGroups:     slices.Clone(rule.APIGroups),
			Resources:     slices.Clone(rule.Resources),
			Verbs:         slices.Clone(rule.Verbs),
			ResourceNames: slices.Clone(rule.ResourceNames),
		})
	}
	return o
}

func (r *renderer) roleBinding(name string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: r.meta(name),
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{
			Kind: "ServiceAccount", Name: r.serviceAccountName, Namespace: r.app.Namespace,
		}},
	}
}

func (r *renderer) networkPolicy(name string, p model.NetworkPolicy) *networkingv1.NetworkPolicy {
	peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: copyMap(p.AllowPodsWithLabels)}}
	if p.AllowNamespacesWithLabels != nil {
		peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: copyMap(p.AllowNamespacesWithLabels)}
	}
	first := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peer}}
	for _, sp := range r.servicePorts {
		first.Ports = append(first.Ports, policyPort(int(sp.Port), sp.Protocol))
	}
	ingress := []networkingv1.NetworkPolicyIngressRule{
		first,
		// The app's own pods talk to each other (replication, gossip).
		{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: copyMap(r.selector)}}}},
	}
	ingress = append(ingress, r.extraIngress()...)
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: r.meta(name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: copyMap(r.selector)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     ingress,
		},
	}
}

// extraIngress are the ingress rules other features add to every network
// policy, in the order of their names: backup, exposed, metrics.
func (r *renderer) extraIngress() []networkingv1.NetworkPolicyIngressRule {
	a := r.app
	var out []networkingv1.NetworkPolicyIngressRule
	if a.Backup != nil {
		// The backup and restore pods reach the database.
		rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{labelInstance: a.Name},
			MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: labelComponent, Operator: metav1.LabelSelectorOpIn, Values: []string{"backup", "restore"},
			}},
		}}}}
		ports := make([]model.Port, 0, len(a.Ports))
		for _, n := range r.portNames {
			ports = append(ports, a.Ports[n])
		}
		sort.SliceStable(ports, func(i, j int) bool { return ports[i].Port < ports[j].Port })
		for _, p := range ports {
			rule.Ports = append(rule.Ports, policyPort(p.Port, corev1.Protocol(p.Protocol)))
		}
		out = append(out, rule)
	}
	// A LoadBalancer or NodePort Service is reached from outside the
	// cluster: its ports accept any source.
	open := map[string]bool{}
	if a.Expose != nil && a.Expose.External {
		for _, p := range r.portsNamed(a.Expose.Ports) {
			open[p.Name] = true
		}
	}
	for _, s := range a.Services {
		if s.Type != string(corev1.ServiceTypeClusterIP) {
			for _, p := range r.portsNamed(s.Ports) {
				open[p.Name] = true
			}
		}
	}
	if len(open) > 0 {
		var rule networkingv1.NetworkPolicyIngressRule
		for _, p := range r.servicePorts {
			if open[p.Name] {
				rule.Ports = append(rule.Ports, policyPort(int(p.Port), p.Protocol))
			}
		}
		out = append(out, rule)
	}
	if m := a.Metrics; m != nil {
		// Prometheus runs elsewhere: the metrics port accepts scrapes
		// from any source.
		out = append(out, networkingv1.NetworkPolicyIngressRule{
			Ports: []networkingv1.NetworkPolicyPort{policyPort(m.Port, corev1.ProtocolTCP)},
		})
	}
	return out
}

func policyPort(port int, protocol corev1.Protocol) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(int32(port))
	return networkingv1.NetworkPolicyPort{Port: &p, Protocol: &protocol}
}

func (r *renderer) podDisruptionBudget() *policyv1.PodDisruptionBudget {
	spec := policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: copyMap(r.selector)}}
	if q := r.app.QuorumSize; q != nil {
		v := intstr.FromInt32(int32(*q))
		spec.MinAvailable = &v
	} else {
		v := intstr.FromInt32(1)
		spec.MaxUnavailable = &v
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: r.meta(r.app.Name),
		Spec:       spec,
	}
}

func (r *renderer) namespace() *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name: r.app.Namespace,
			Labels: map[string]string{
				labelManagedBy:                       managedBy,
				"pod-security.kubernetes.io/enforce": r.app.SecurityPolicy.PodSecurityStandard,
			},
		},
	}
}

func (r *renderer) metricsService() *corev1.Service {
	m := r.meta(r.app.Name + "-metrics")
	m.Labels[labelComponent] = "metrics"
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: m,
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: copyMap(r.selector),
			Ports: []corev1.ServicePort{{
				Name: "metrics", Port: int32(r.app.Metrics.Port), TargetPort: intstr.FromString("metrics"), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

func (r *renderer) serviceMonitor() *monitoringv1.ServiceMonitor {
	metrics := r.app.Metrics
	m := r.meta(r.app.Name)
	m.Labels = merge(m.Labels, metrics.ServiceMonitor.Labels)
	path := metrics.Path
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
		ObjectMeta: m,
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{
				labelInstance: r.app.Name, labelComponent: "metrics",
			}},
			Endpoints: []monitoringv1.Endpoint{{
				Port:     "metrics",
				Path:     path,
				Interval: monitoringv1.Duration(metrics.ServiceMonitor.ScrapeInterval),
			}},
		},
	}
}

// quantities turns a model's resources into requests and limits.
func quantities(res model.Resources) (requests, limits corev1.ResourceList, err error) {
	set := func(list *corev1.ResourceList, name corev1.ResourceName, v string) {
		if v == "" || err != nil {
			return
		}
		q, perr := resource.ParseQuantity(v)
		if perr != nil {
			err = fmt.Errorf("%s %q: %w", name, v, perr)
			return
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		(*list)[name] = q
	}
	set(&requests, corev1.ResourceCPU, res.CPU)
	set(&requests, corev1.ResourceMemory, res.Memory)
	set(&limits, corev1.ResourceCPU, res.CPULimit)
	set(&limits, corev1.ResourceMemory, res.MemoryLimit)
	return requests, limits, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// merge returns the union of maps, later ones winning; nil when empty.
func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }
