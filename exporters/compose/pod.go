package compose

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podInfo is one pod of a workload, as Compose services will carry it.
type podInfo struct {
	app string
	// name is the pod's name, which is also its hostname.
	name string
	// service is the Compose service of the pod's main container.
	service string
	// ns is the namespace used in DNS names.
	ns string
	// subdomain is the headless Service giving the pod its DNS name.
	subdomain string
	spec      *corev1.PodSpec
	labels    map[string]string
	// claims are the names of the volume claim templates.
	claims  map[string]bool
	build   *types.BuildConfig
	scale   *int
	aliases []string
	ports   []types.ServicePortConfig
	// after is what the pod's first service waits for.
	after types.DependsOnConfig
}

// podResult says how the pods after this one can wait for it.
type podResult struct {
	main    string
	healthy bool
}

// podVolume is where a pod volume's mounts come from.
type podVolume struct {
	kind   string // "volume", "memory", "secrets", "configs", "bind"
	source string // Compose volume name, host path, or object name
	items  []corev1.KeyToPath
	size   *resource.Quantity
	// optional marks a Secret or ConfigMap volume that may be missing.
	optional bool
	// emptyDir marks a named volume standing for an emptyDir.
	emptyDir bool
}

// addPod adds the services of one pod: its init containers, its main
// container and its sidecars.
func (b *builder) addPod(p *podInfo) (*podResult, error) {
	if len(p.spec.Containers) == 0 {
		return nil, fmt.Errorf("the pod has no container")
	}
	vols, err := b.podVolumes(p)
	if err != nil {
		return nil, err
	}
	var inits, sidecars []corev1.Container
	for _, c := range p.spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars = append(sidecars, c)
		} else {
			inits = append(inits, c)
		}
	}
	sidecars = append(sidecars, p.spec.Containers[1:]...)
	domain := ""
	if p.subdomain != "" {
		domain = p.subdomain + "." + p.ns + ".svc.cluster.local"
	}
	var grace *types.Duration
	if p.spec.TerminationGracePeriodSeconds != nil {
		grace = ptr(types.Duration(time.Duration(*p.spec.TerminationGracePeriodSeconds) * time.Second))
	}

	after := p.after
	if prep, ok := b.volumePrep(p, vols); ok {
		prep.Hostname, prep.DomainName = p.name, domain
		prep.DependsOn = after
		if err := b.addService(prep, "volume preparation of pod "+p.name); err != nil {
			return nil, err
		}
		after = types.DependsOnConfig{prep.Name: {Condition: types.ServiceConditionCompletedSuccessfully, Required: true}}
	}
	for i := range inits {
		c := &inits[i]
		name := p.service + "-" + c.Name
		svc, _, err := b.container(p, c, name, vols, false)
		if err != nil {
			return nil, fmt.Errorf("init container %s: %w", c.Name, err)
		}
		svc.Hostname, svc.DomainName = p.name, domain
		svc.Restart = types.RestartPolicyNo
		svc.DependsOn = after
		if err := b.addService(svc, "init container "+c.Name+" of pod "+p.name); err != nil {
			return nil, err
		}
		after = types.DependsOnConfig{name: {Condition: types.ServiceConditionCompletedSuccessfully, Required: true}}
	}

	main := &p.spec.Containers[0]
	svc, healthy, err := b.container(p, main, p.service, vols, true)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", main.Name, err)
	}
	svc.Hostname, svc.DomainName = p.name, domain
	if len(p.aliases) > 0 {
		svc.Networks = map[string]*types.ServiceNetworkConfig{"default": {Aliases: p.aliases}}
	}
	svc.Ports = p.ports
	svc.Restart = types.RestartPolicyUnlessStopped
	svc.DependsOn = after
	svc.StopGracePeriod = grace
	if err := b.addService(svc, "pod "+p.name); err != nil {
		return nil, err
	}

	for i := range sidecars {
		c := &sidecars[i]
		name := p.service + "-" + c.Name
		side, _, err := b.container(p, c, name, vols, true)
		if err != nil {
			return nil, fmt.Errorf("sidecar %s: %w", c.Name, err)
		}
		side.NetworkMode = types.ServicePrefix + p.service
		side.Restart = types.RestartPolicyUnlessStopped
		side.DependsOn = types.DependsOnConfig{p.service: {Condition: types.ServiceConditionStarted, Required: true}}
		side.StopGracePeriod = grace
		if err := b.addService(side, "sidecar "+c.Name+" of pod "+p.name); err != nil {
			return nil, err
		}
	}
	return &podResult{main: p.service, healthy: healthy}, nil
}

func (b *builder) addService(svc types.ServiceConfig, what string) error {
	if err := b.claim("service", svc.Name, what); err != nil {
		return err
	}
	b.project.Services[svc.Name] = svc
	return nil
}

// podVolumes resolves every volume of the pod, declaring the named volumes.
func (b *builder) podVolumes(p *podInfo) (map[string]podVolume, error) {
	vols := map[string]podVolume{}
	initMounts := map[string]bool{}
	for _, c := range p.spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.MountPath != "/dev/shm" {
				initMounts[m.Name] = true
			}
		}
	}
	named := func(vol, name string, cfg types.VolumeConfig) error {
		if err := b.claim("volume", name, "volume "+vol+" of pod "+p.name); err != nil {
			return err
		}
		b.project.Volumes[name] = cfg
		vols[vol] = podVolume{kind: "volume", source: name}
		return nil
	}
	var claims []string
	for c := range p.claims {
		claims = append(claims, c)
	}
	sort.Strings(claims)
	for _, c := range claims {
		// Named like the PersistentVolumeClaim the StatefulSet creates.
		if err := named(c, c+"-"+p.name, types.VolumeConfig{}); err != nil {
			return nil, err
		}
	}
	for _, v := range p.spec.Volumes {
		switch {
		case v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory && !initMounts[v.Name]:
			vols[v.Name] = podVolume{kind: "memory", source: v.Name + "-" + p.name, size: v.EmptyDir.SizeLimit}
		case v.EmptyDir != nil:
			// A volume per pod, so that the pod's containers share it. A
			// tmpfs volume would be emptied when an init container that
			// wrote to it stops.
			if err := named(v.Name, v.Name+"-"+p.name, types.VolumeConfig{}); err != nil {
				return nil, err
			}
			vol := vols[v.Name]
			vol.emptyDir = true
			vols[v.Name] = vol
			if v.EmptyDir.Medium == corev1.StorageMediumMemory {
				b.note(p.app, "emptyDir %s (medium Memory) is written by an init container: a disk named volume per member, since a tmpfs volume empties when the init container stops", v.Name)
			}
			b.note(p.app, "emptyDir %s: a named volume per member, kept when the container restarts (Kubernetes empties it with the pod)", v.Name)
		case v.PersistentVolumeClaim != nil:
			if err := b.claim("volume", v.PersistentVolumeClaim.ClaimName, "claim "+v.PersistentVolumeClaim.ClaimName); err != nil {
				return nil, err
			}
			b.project.Volumes[v.PersistentVolumeClaim.ClaimName] = types.VolumeConfig{}
			vols[v.Name] = podVolume{kind: "volume", source: v.PersistentVolumeClaim.ClaimName}
		case v.Secret != nil:
			vols[v.Name] = podVolume{kind: "secrets", source: v.Secret.SecretName, items: v.Secret.Items,
				optional: v.Secret.Optional != nil && *v.Secret.Optional}
		case v.ConfigMap != nil:
			vols[v.Name] = podVolume{kind: "configs", source: v.ConfigMap.Name, items: v.ConfigMap.Items,
				optional: v.ConfigMap.Optional != nil && *v.ConfigMap.Optional}
		case v.HostPath != nil:
			vols[v.Name] = podVolume{kind: "bind", source: v.HostPath.Path}
		default:
			b.note(p.app, "volume %s: this volume type is not carried over to Compose", v.Name)
		}
	}
	return vols, nil
}

// volumePrep is the one-shot service that gives the pod's named volumes the
// ownership Kubernetes gives them: an emptyDir is a world-writable folder
// (group fsGroup when set), and with fsGroup every volume's files belong to
// that group, group-writable, checked at the root only as with
// fsGroupChangePolicy OnRootMismatch. It runs as root in the main
// container's image (which needs sh, chmod, chgrp, stat and find), with only
// the capabilities it needs.
func (b *builder) volumePrep(p *podInfo, vols map[string]podVolume) (types.ServiceConfig, bool) {
	var fsGroup *int64
	if p.spec.SecurityContext != nil {
		fsGroup = p.spec.SecurityContext.FSGroup
	}
	var names []string
	for n, v := range vols {
		if v.kind == "volume" && (v.emptyDir || fsGroup != nil) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return types.ServiceConfig{}, false
	}
	sort.Strings(names)
	main := p.spec.Containers[0]
	svc := types.ServiceConfig{Name: p.service + "-volumes"}
	svc.Image = main.Image
	if p.build != nil {
		build := *p.build
		svc.Build = &build
	}
	svc.Scale = p.scale
	svc.Restart = types.RestartPolicyNo
	svc.User = "0:0"
	svc.CapDrop = []string{"ALL"}
	svc.CapAdd = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER"}
	svc.SecurityOpt = []string{"no-new-privileges:true"}
	script := []string{"set -e"}
	for _, n := range names {
		v := vols[n]
		dir := "/celestra/volumes/" + n
		svc.Volumes = append(svc.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: v.source, Target: dir})
		q := shellQuote(dir)
		switch {
		case v.emptyDir && fsGroup != nil:
			script = append(script, fmt.Sprintf("chgrp %d %s", *fsGroup, q), "chmod 2777 "+q)
		case v.emptyDir:
			script = append(script, "chmod 0777 "+q)
		default:
			g := strconv.FormatInt(*fsGroup, 10)
			script = append(script, fmt.Sprintf(`if [ "$(stat -c %%g %s)" != %s ]; then chgrp -R %s %s; chmod -R g+rwX %s; find %s -type d -exec chmod g+s {} +; fi`, q, g, g, q, q, q))
		}
	}
	svc.Entrypoint = types.ShellCommand{"/bin/sh", "-c", escape(strings.Join(script, "\n"))}
	if fsGroup != nil {
		b.note(p.app, "fsGroup %d: no Compose setting; a one-shot service <member>-volumes sets the group of the volumes' files as root, in the app's image", *fsGroup)
	}
	return svc, true
}

// container converts one container of the pod. probes says whether its
// probes become a healthcheck; healthy reports that one was made.
func (b *builder) container(p *podInfo, c *corev1.Container, name string, vols map[string]podVolume, probes bool) (svc types.ServiceConfig, healthy bool, err error) {
	svc.Name = name
	svc.Image = c.Image
	if p.build != nil && c.Image == p.spec.Containers[0].Image {
		build := *p.build
		svc.Build = &build
	}
	svc.Scale = p.scale
	svc.WorkingDir = escape(c.WorkingDir)
	if len(p.labels) > 0 {
		svc.Labels = types.Labels{}
		for k, v := range p.labels {
			svc.Labels[k] = escape(v)
		}
	}
	mounted := map[string]bool{}
	addSecret := func(source, target string) {
		if !mounted[source+"\x00"+target] {
			mounted[source+"\x00"+target] = true
			svc.Secrets = append(svc.Secrets, types.ServiceSecretConfig{Source: source, Target: target})
		}
	}

	vars, err := b.env(p, c)
	if err != nil {
		return svc, false, err
	}
	if err := b.environment(p, c, &svc, vars, addSecret); err != nil {
		return svc, false, err
	}
	if err := b.mounts(p, c, &svc, vols, addSecret); err != nil {
		return svc, false, err
	}
	deploy, err := b.resources(p.app, c)
	if err != nil {
		return svc, false, err
	}
	svc.Deploy = deploy
	b.security(p, c, &svc)

	if probes {
		probe := c.ReadinessProbe
		if probe == nil || probe.Exec == nil {
			probe = c.LivenessProbe
		}
		if hc := healthcheck(probe, c.StartupProbe); hc != nil {
			hc.Test = wrapProbe(hc.Test, vars)
			hc.Test = escapeAll(hc.Test)
			svc.HealthCheck = hc
			healthy = true
		}
	}
	return svc, healthy, nil
}

// mounts adds the container's volume mounts.
func (b *builder) mounts(p *podInfo, c *corev1.Container, svc *types.ServiceConfig, vols map[string]podVolume, addSecret func(source, target string)) error {
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			if !p.claims[m.Name] {
				b.note(p.app, "container %s mount %s at %s: its volume is not carried over", c.Name, m.Name, m.MountPath)
			}
			continue
		}
		if m.SubPathExpr != "" {
			b.note(p.app, "container %s mount %s: subPathExpr is not carried over", c.Name, m.Name)
		}
		switch v.kind {
		case "volume":
			vol := types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: v.source, Target: escape(m.MountPath), ReadOnly: m.ReadOnly}
			if m.SubPath != "" {
				vol.Volume = &types.ServiceVolumeVolume{Subpath: escape(m.SubPath)}
			}
			svc.Volumes = append(svc.Volumes, vol)
		case "bind":
			svc.Volumes = append(svc.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: escape(v.source), Target: escape(m.MountPath), ReadOnly: m.ReadOnly})
		case "memory":
			if m.MountPath == "/dev/shm" {
				size, err := shmSize(v.size, c)
				if err != nil {
					return err
				}
				if size == 0 {
					size = 1 << 30
					b.note(p.app, "emptyDir %s at /dev/shm has no sizeLimit and the container no memory limit: shm_size is 1GiB", m.Name)
				}
				svc.ShmSize = types.UnitBytes(size)
				continue
			}
			opts := "mode=1777"
			if v.size != nil {
				opts = fmt.Sprintf("size=%d,%s", v.size.Value(), opts)
			}
			if err := b.claim("volume", v.source, "volume "+m.Name+" of pod "+p.name); err != nil {
				return err
			}
			b.project.Volumes[v.source] = types.VolumeConfig{Driver: "local", DriverOpts: types.Options{"type": "tmpfs", "device": "tmpfs", "o": opts}}
			vol := types.ServiceVolumeConfig{Type: types.VolumeTypeVolume, Source: v.source, Target: escape(m.MountPath), ReadOnly: m.ReadOnly}
			if m.SubPath != "" {
				vol.Volume = &types.ServiceVolumeVolume{Subpath: escape(m.SubPath)}
			}
			svc.Volumes = append(svc.Volumes, vol)
		case "secrets", "configs":
			if err := b.mountObject(p, c, svc, v, m, addSecret); err != nil {
				return err
			}
		}
	}
	return nil
}

// mountObject mounts the keys of a Secret or ConfigMap volume as Compose
// secrets or configs, each at the path Kubernetes gives its file.
func (b *builder) mountObject(p *podInfo, c *corev1.Container, svc *types.ServiceConfig, v podVolume, m corev1.VolumeMount, addSecret func(source, target string)) error {
	k := key(p.ns, v.source)
	// files maps each key to its path under the mount.
	type file struct{ key, path string }
	var files []file
	if len(v.items) > 0 {
		for _, it := range v.items {
			files = append(files, file{it.Key, it.Path})
		}
	} else {
		keys, known := b.dataKeys(v.kind, k)
		if !known {
			if v.optional {
				return nil
			}
			// The keys are unknown: mount the folder the user fills.
			dir := v.kind + "/" + b.dirs[v.kind][k]
			b.note(p.app, "%s %s is managed outside celestra: put its keys as files in ./%s before docker compose up", kindName(v.kind), v.source, dir)
			svc.Volumes = append(svc.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: "./" + dir, Target: escape(m.MountPath), ReadOnly: true})
			return nil
		}
		for _, key := range keys {
			files = append(files, file{key, key})
		}
	}
	for _, f := range files {
		target := path.Join(m.MountPath, f.path)
		if m.SubPath != "" {
			if f.path != m.SubPath {
				continue
			}
			target = m.MountPath
		}
		if v.kind == "secrets" {
			name, err := b.secretFile(p.app, k, f.key)
			if err != nil {
				return err
			}
			addSecret(name, escape(target))
		} else {
			name, err := b.configFile(p.app, k, f.key)
			if err != nil {
				return err
			}
			svc.Configs = append(svc.Configs, types.ServiceConfigObjConfig{Source: name, Target: escape(target)})
		}
	}
	return nil
}

func kindName(kind string) string {
	if kind == "secrets" {
		return "Secret"
	}
	return "ConfigMap"
}

// shmSize is the size of a memory-backed /dev/shm: its sizeLimit, or the
// container's memory limit, which bounds it in Kubernetes.
func shmSize(limit *resource.Quantity, c *corev1.Container) (int64, error) {
	if limit != nil {
		return limit.Value(), nil
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		return q.Value(), nil
	}
	return 0, nil
}

// resources converts requests and limits into deploy.resources.
func (b *builder) resources(app string, c *corev1.Container) (*types.DeployConfig, error) {
	conv := func(list corev1.ResourceList, what string) (*types.Resource, error) {
		if len(list) == 0 {
			return nil, nil
		}
		r := &types.Resource{}
		var names []string
		for n := range list {
			names = append(names, string(n))
		}
		sort.Strings(names)
		for _, n := range names {
			q := list[corev1.ResourceName(n)]
			switch corev1.ResourceName(n) {
			case corev1.ResourceCPU:
				r.NanoCPUs = CPUs(q)
			case corev1.ResourceMemory:
				r.MemoryBytes = MemoryBytes(q)
			default:
				b.note(app, "container %s %s %s %s: Compose has no such resource", c.Name, what, n, q.String())
			}
		}
		if r.NanoCPUs == 0 && r.MemoryBytes == 0 {
			return nil, nil
		}
		return r, nil
	}
	limits, err := conv(c.Resources.Limits, "limits")
	if err != nil {
		return nil, err
	}
	reservations, err := conv(c.Resources.Requests, "requests")
	if err != nil {
		return nil, err
	}
	if limits == nil && reservations == nil {
		return nil, nil
	}
	return &types.DeployConfig{Resources: types.Resources{Limits: limits, Reservations: reservations}}, nil
}

// CPUs converts a Kubernetes CPU quantity into Compose's decimal CPUs:
// 500m is 0.5, 2 is 2.
func CPUs(q resource.Quantity) types.NanoCPUs {
	return types.NanoCPUs(float64(q.MilliValue()) / 1000)
}

// MemoryBytes converts a Kubernetes memory quantity into bytes, rounding a
// fraction of a byte up: 1Gi is 1073741824.
func MemoryBytes(q resource.Quantity) types.UnitBytes {
	return types.UnitBytes(q.Value())
}

// security maps the pod's and the container's security context.
func (b *builder) security(p *podInfo, c *corev1.Container, svc *types.ServiceConfig) {
	pod := p.spec.SecurityContext
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	csc := c.SecurityContext
	if csc == nil {
		csc = &corev1.SecurityContext{}
	}
	uid, gid := pod.RunAsUser, pod.RunAsGroup
	if csc.RunAsUser != nil {
		uid = csc.RunAsUser
	}
	if csc.RunAsGroup != nil {
		gid = csc.RunAsGroup
	}
	switch {
	case uid != nil && gid != nil:
		svc.User = fmt.Sprintf("%d:%d", *uid, *gid)
	case uid != nil:
		svc.User = strconv.FormatInt(*uid, 10)
	case gid != nil:
		b.note(p.app, "container %s runAsGroup %d without runAsUser: Compose sets a group only with a user", c.Name, *gid)
	}
	groups := map[int64]bool{}
	if pod.FSGroup != nil {
		groups[*pod.FSGroup] = true
	}
	for _, g := range pod.SupplementalGroups {
		groups[g] = true
	}
	var gs []int64
	for g := range groups {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i] < gs[j] })
	for _, g := range gs {
		svc.GroupAdd = append(svc.GroupAdd, strconv.FormatInt(g, 10))
	}
	if caps := csc.Capabilities; caps != nil {
		for _, c := range caps.Drop {
			svc.CapDrop = append(svc.CapDrop, string(c))
		}
		for _, c := range caps.Add {
			svc.CapAdd = append(svc.CapAdd, string(c))
		}
	}
	if csc.AllowPrivilegeEscalation != nil && !*csc.AllowPrivilegeEscalation {
		svc.SecurityOpt = append(svc.SecurityOpt, "no-new-privileges:true")
	}
	seccomp := pod.SeccompProfile
	if csc.SeccompProfile != nil {
		seccomp = csc.SeccompProfile
	}
	if seccomp != nil && seccomp.Type == corev1.SeccompProfileTypeUnconfined {
		svc.SecurityOpt = append(svc.SecurityOpt, "seccomp=unconfined")
	}
	if csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem {
		svc.ReadOnly = true
	}
	if csc.Privileged != nil && *csc.Privileged {
		svc.Privileged = true
	}
}

// healthcheck converts an exec probe into a Compose healthcheck with the
// Kubernetes timings (period 10s, timeout 1s, 3 failures by default). A
// startup probe lengthens the start period to the time it allows. It
// returns nil for a probe Compose cannot run (HTTP, TCP, gRPC).
func healthcheck(probe, startup *corev1.Probe) *types.HealthCheckConfig {
	if probe == nil || probe.Exec == nil || len(probe.Exec.Command) == 0 {
		return nil
	}
	or := func(v, def int32) int32 {
		if v > 0 {
			return v
		}
		return def
	}
	seconds := func(s int32) *types.Duration {
		return ptr(types.Duration(time.Duration(s) * time.Second))
	}
	hc := &types.HealthCheckConfig{
		Test:     healthTest(probe.Exec.Command),
		Interval: seconds(or(probe.PeriodSeconds, 10)),
		Timeout:  seconds(or(probe.TimeoutSeconds, 1)),
		Retries:  ptr(uint64(or(probe.FailureThreshold, 3))),
	}
	start := probe.InitialDelaySeconds
	if startup != nil {
		if window := startup.InitialDelaySeconds + or(startup.PeriodSeconds, 10)*or(startup.FailureThreshold, 3); window > start {
			start = window
		}
	}
	if start > 0 {
		hc.StartPeriod = seconds(start)
	}
	return hc
}

// healthTest is the test of an exec probe: CMD-SHELL for "sh -c SCRIPT",
// CMD with the arguments otherwise.
func healthTest(argv []string) types.HealthCheckTest {
	if len(argv) == 3 && (argv[0] == "sh" || argv[0] == "/bin/sh") && argv[1] == "-c" {
		return types.HealthCheckTest{"CMD-SHELL", argv[2]}
	}
	return append(types.HealthCheckTest{"CMD"}, argv...)
}

// wrapProbe makes a probe that mentions a variable the container takes from
// a Secret through a file read that file first: Compose runs healthchecks
// with the container's configured environment only.
func wrapProbe(test types.HealthCheckTest, vars []envVar) types.HealthCheckTest {
	text := strings.Join(test[1:], " ")
	var reads []string
	for _, v := range vars {
		if v.file == "" || !shellName.MatchString(v.name) || !strings.Contains(text, v.name) {
			continue
		}
		reads = append(reads, readVar(v.name, v.file))
	}
	if len(reads) == 0 {
		return test
	}
	var argv []string
	if test[0] == "CMD-SHELL" {
		argv = []string{"/bin/sh", "-c", test[1]}
	} else {
		argv = test[1:]
	}
	var words []string
	for _, a := range argv {
		words = append(words, shellQuote(a))
	}
	return types.HealthCheckTest{"CMD-SHELL", strings.Join(reads, " ") + " exec " + strings.Join(words, " ")}
}
