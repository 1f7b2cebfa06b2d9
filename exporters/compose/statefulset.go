package compose

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"github.com/compose-spec/compose-go/v2/types"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/celestra-dev/celestra/internal/engine"
)

// appModel is what the Kubernetes objects do not say about an app and the
// Compose file needs: how to build its image and whether it is exposed.
type appModel struct {
	build   *types.BuildConfig
	exposed bool
}

// model reads apps.<name> from the configuration.
func (b *builder) model(name string) (appModel, error) {
	var m appModel
	app := b.result.Value.LookupPath(cue.MakePath(cue.Str("apps"), cue.Str(name)))
	if !app.Exists() {
		return m, nil
	}
	it, err := app.Fields()
	if err != nil {
		return m, fmt.Errorf("read apps.%s: %w", name, err)
	}
	for it.Next() {
		switch it.Selector().Unquoted() {
		case "expose":
			m.exposed = true
		case "build":
			var bc struct {
				Context    string            `json:"context"`
				Dockerfile string            `json:"dockerfile"`
				Args       map[string]string `json:"args"`
				Target     string            `json:"target"`
			}
			if err := it.Value().Decode(&bc); err != nil {
				return m, fmt.Errorf("read apps.%s.build: %w", name, err)
			}
			m.build = &types.BuildConfig{
				Context:    escape(bc.Context),
				Dockerfile: escape(bc.Dockerfile),
				Target:     escape(bc.Target),
			}
			if len(bc.Args) > 0 {
				m.build.Args = types.MappingWithEquals{}
				for k, v := range bc.Args {
					m.build.Args[k] = ptr(escape(v))
				}
			}
		}
	}
	return m, nil
}

// MaxServicesPerApp is the most pods of one app the Compose export expands
// into services. Each pod is a service with its own volume and host name, so
// a Compose file beyond this is no longer something one machine runs, and
// the expansion itself would take unbounded memory.
const MaxServicesPerApp = 100

// addStatefulSet adds one service per pod of s, with the pod's identity.
func (b *builder) addStatefulSet(s *appsv1.StatefulSet) error {
	app := s.Name
	m, err := b.model(app)
	if err != nil {
		return err
	}
	if m.build != nil {
		b.note(app, "build.context %q is resolved from the folder of docker-compose.yaml: copy or link the build context there, or make it absolute", m.build.Context)
	}
	replicas := 1
	if s.Spec.Replicas != nil {
		replicas = int(*s.Spec.Replicas)
	}
	if replicas > MaxServicesPerApp {
		return &engine.ConfigError{Diagnostics: []engine.Diagnostic{{
			Path: cue.MakePath(cue.Str("apps"), cue.Str(app), cue.Str("replicas")).String(),
			Message: fmt.Sprintf("app %s: replicas %d is more than the %d services a Compose file holds for one app: "+
				"Compose runs each pod as a service of its own; use fewer replicas, or --format yaml, helm or kustomize", app, replicas, MaxServicesPerApp),
		}}}
	}
	ns := key(s.Namespace, "").ns
	tmpl := s.Spec.Template
	selecting := b.selecting(ns, tmpl.Labels)
	claims := map[string]bool{}
	for _, c := range s.Spec.VolumeClaimTemplates {
		claims[c.Name] = true
		b.noteClaim(app, c)
	}
	b.notePod(app, &tmpl.Spec)
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		b.note(app, "updateStrategy OnDelete: docker compose up recreates changed services at once")
	}
	ordered := s.Spec.PodManagementPolicy != appsv1.ParallelPodManagement

	count := replicas
	var scale *int
	if replicas == 0 {
		// Keep the definition, started with none: docker compose up --scale.
		count, scale = 1, ptr(0)
	}
	var previous *podResult
	for i := 0; i < count; i++ {
		p := &podInfo{
			app:       app,
			name:      fmt.Sprintf("%s-%d", app, i),
			ns:        ns,
			subdomain: s.Spec.ServiceName,
			spec:      &tmpl.Spec,
			labels:    tmpl.Labels,
			claims:    claims,
			build:     m.build,
			scale:     scale,
		}
		p.service = p.name
		if replicas <= 1 {
			p.service = app
		}
		p.aliases = aliases(p, selecting)
		ports, err := b.publish(p, m, selecting)
		if err != nil {
			return err
		}
		p.ports = ports
		if ordered && previous != nil {
			condition := types.ServiceConditionStarted
			if previous.healthy {
				condition = types.ServiceConditionHealthy
			}
			p.after = types.DependsOnConfig{previous.main: {Condition: condition, Required: true}}
		}
		res, err := b.addPod(p)
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.name, err)
		}
		previous = res
	}
	return nil
}

// selecting are the Services in namespace ns whose selector matches labels.
func (b *builder) selecting(ns string, labels map[string]string) []*corev1.Service {
	var out []*corev1.Service
	for _, s := range b.services {
		if key(s.Namespace, "").ns != ns || len(s.Spec.Selector) == 0 {
			continue
		}
		match := true
		for k, v := range s.Spec.Selector {
			if labels[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// aliases are the DNS names Kubernetes gives a pod and the Services that
// select it, in every form a client may use.
func aliases(p *podInfo, selecting []*corev1.Service) []string {
	set := map[string]bool{p.name: true}
	forms := func(name string) {
		set[name] = true
		set[name+"."+p.ns] = true
		set[name+"."+p.ns+".svc"] = true
		set[name+"."+p.ns+".svc.cluster.local"] = true
	}
	if p.subdomain != "" {
		forms(p.name + "." + p.subdomain)
	}
	for _, s := range selecting {
		forms(s.Name)
	}
	delete(set, p.service)
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// publish returns the ports an exposed app publishes on the host: those of
// its LoadBalancer and NodePort Services on every interface, and those of
// the Service of `expose` on 127.0.0.1 when it is a ClusterIP one. Each
// takes the Service's port on the host, or the next free one.
func (b *builder) publish(p *podInfo, m appModel, selecting []*corev1.Service) ([]types.ServicePortConfig, error) {
	type want struct {
		target uint32
		proto  string
		host   int32
		hostIP string
	}
	wanted := map[string]*want{}
	for _, s := range selecting {
		hostIP := ""
		switch s.Spec.Type {
		case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
		case corev1.ServiceTypeClusterIP, "":
			if s.Spec.ClusterIP == corev1.ClusterIPNone || !m.exposed || s.Name != p.app {
				continue
			}
			hostIP = "127.0.0.1"
		default:
			continue
		}
		for _, sp := range s.Spec.Ports {
			target, err := targetPort(p.spec, sp)
			if err != nil {
				return nil, fmt.Errorf("Service %s: %w", s.Name, err)
			}
			proto := strings.ToLower(string(sp.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			k := proto + "/" + strconv.Itoa(int(target))
			if w, ok := wanted[k]; ok {
				if hostIP == "" {
					w.hostIP = ""
				}
				continue
			}
			wanted[k] = &want{target: target, proto: proto, host: sp.Port, hostIP: hostIP}
		}
	}
	var list []*want
	for _, w := range wanted {
		list = append(list, w)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].target != list[j].target {
			return list[i].target < list[j].target
		}
		return list[i].proto < list[j].proto
	})
	var out []types.ServicePortConfig
	for _, w := range list {
		host := int(w.host)
		for b.hostPorts[w.proto+"/"+strconv.Itoa(host)] {
			host++
		}
		if host > 65535 {
			return nil, fmt.Errorf("no free host port left above %d for container port %d", w.host, w.target)
		}
		b.hostPorts[w.proto+"/"+strconv.Itoa(host)] = true
		out = append(out, types.ServicePortConfig{
			Mode:      "ingress",
			HostIP:    w.hostIP,
			Target:    w.target,
			Published: strconv.Itoa(host),
			Protocol:  w.proto,
		})
	}
	return out, nil
}

// targetPort resolves a Service port's targetPort against the pod's
// container ports.
func targetPort(spec *corev1.PodSpec, sp corev1.ServicePort) (uint32, error) {
	tp := sp.TargetPort
	if tp.StrVal == "" && tp.IntVal == 0 {
		return uint32(sp.Port), nil
	}
	if tp.StrVal == "" {
		return uint32(tp.IntVal), nil
	}
	for _, c := range spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp.StrVal {
				return uint32(cp.ContainerPort), nil
			}
		}
	}
	return 0, fmt.Errorf("targetPort %q names no container port", tp.StrVal)
}

// noteClaim records what Compose does not keep of a volume claim template.
func (b *builder) noteClaim(app string, c corev1.PersistentVolumeClaim) {
	var parts []string
	if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		parts = append(parts, "size "+q.String())
	}
	if c.Spec.StorageClassName != nil {
		parts = append(parts, "storageClassName "+*c.Spec.StorageClassName)
	}
	var modes []string
	for _, m := range c.Spec.AccessModes {
		modes = append(modes, string(m))
	}
	if len(modes) > 0 {
		parts = append(parts, "accessModes "+strings.Join(modes, ","))
	}
	if len(parts) > 0 {
		b.note(app, "volume claim %s (%s): a local named volume per member, without size, class or access modes", c.Name, strings.Join(parts, ", "))
	}
}

// notePod records the pod settings Compose has no place for.
func (b *builder) notePod(app string, spec *corev1.PodSpec) {
	if len(spec.NodeSelector) > 0 {
		var kv []string
		for k, v := range spec.NodeSelector {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		b.note(app, "nodeSelector %s: Compose runs everything on one host", strings.Join(kv, ","))
	}
	if len(spec.Tolerations) > 0 {
		b.note(app, "tolerations (%d): Compose runs everything on one host", len(spec.Tolerations))
	}
	if spec.Affinity != nil {
		b.note(app, "affinity: Compose runs everything on one host")
	}
	if len(spec.TopologySpreadConstraints) > 0 {
		b.note(app, "topologySpreadConstraints: Compose runs everything on one host")
	}
	if spec.PriorityClassName != "" {
		b.note(app, "priorityClassName %s: Compose has no scheduling priorities", spec.PriorityClassName)
	}
	if spec.ServiceAccountName != "" {
		b.note(app, "serviceAccountName %s: no Kubernetes API credentials are mounted in Compose", spec.ServiceAccountName)
	}
	if sc := spec.SecurityContext; sc != nil {
		if sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser == nil {
			b.note(app, "runAsNonRoot without runAsUser: Compose does not check that the image's user is not root")
		}
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeLocalhost {
			b.note(app, "seccompProfile Localhost: give the profile with security_opt seccomp=<file> yourself")
		}
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		if c.Lifecycle != nil {
			b.note(app, "container %s lifecycle hooks: not carried over to Compose", c.Name)
		}
		for _, pr := range []struct {
			kind  string
			probe *corev1.Probe
		}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
			if pr.probe == nil {
				continue
			}
			switch {
			case pr.probe.HTTPGet != nil:
				b.note(app, "container %s %s (HTTP %s on port %s): Compose healthchecks run a command in the container, and the image may have no HTTP client", c.Name, pr.kind, pr.probe.HTTPGet.Path, pr.probe.HTTPGet.Port.String())
			case pr.probe.TCPSocket != nil:
				b.note(app, "container %s %s (TCP port %s): Compose healthchecks run a command in the container", c.Name, pr.kind, pr.probe.TCPSocket.Port.String())
			case pr.probe.GRPC != nil:
				b.note(app, "container %s %s (gRPC port %d): Compose healthchecks run a command in the container", c.Name, pr.kind, pr.probe.GRPC.Port)
			case pr.kind == "livenessProbe":
				b.note(app, "container %s livenessProbe: Compose marks an unhealthy container but does not restart it", c.Name)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
