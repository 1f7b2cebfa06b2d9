// Package model is celestra's typed model of one validated app: what the
// renderer (and, later, every exporter) needs to know of it, as plain Go
// data, every preset-specific fact (images, ports, users, paths, scripts,
// configuration files, environment, backup commands, exporters) already
// computed by the CUE presets.
//
// The model is defined in CUE as schemas.#AppModel; schemas.#Model projects a
// validated app onto it:
//
//	(schemas.#Model & {app: apps.db}).out
//
// Decode turns that concrete value, as JSON, into an App. The Go types here
// mirror the CUE definition field by field (same JSON names, compatible
// kinds); a test walks both and fails when they drift apart.
//
// Maps are keyed by name; a renderer orders them by name. A nil pointer is
// a field the app does not set.
package model

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// App is one app as the renderer sees it (schemas.#AppModel).
type App struct {
	// Name names the app and every object of it.
	Name string `json:"name"`
	// Preset is the preset the app was made from ("postgres", ...), or ""
	// for a plain app. It is the app.kubernetes.io/name label.
	Preset string `json:"preset"`
	// Image is the container image: the app's, or "<name>:latest" for an
	// app built from a Dockerfile.
	Image   string          `json:"image"`
	Command []string        `json:"command,omitempty"`
	Args    []string        `json:"args,omitempty"`
	Ports   map[string]Port `json:"ports"`

	// Storage is the per-pod claim named "data", when the app has storage.
	Storage *Storage          `json:"storage,omitempty"`
	Volumes map[string]Volume `json:"volumes"`

	// Env holds literal environment variables.
	Env map[string]string `json:"env"`
	// FieldEnv holds variables from the pod's own fields (downward API),
	// by variable name: the field path.
	FieldEnv          map[string]string `json:"fieldEnv"`
	EnvFromSecrets    []string          `json:"envFromSecrets"`
	EnvFromConfigMaps []string          `json:"envFromConfigMaps"`
	// InitContainers run before the app's container, in name order.
	InitContainers map[string]Container `json:"initContainers"`
	// Sidecars run beside it, in name order.
	Sidecars map[string]Container `json:"sidecars"`

	Replicas  int       `json:"replicas"`
	Resources Resources `json:"resources"`
	// QuorumSize, when set, is the PodDisruptionBudget's minAvailable.
	QuorumSize *int `json:"quorumSize,omitempty"`

	// HealthCheck fills the liveness and readiness probes not given.
	HealthCheck    *HealthCheck `json:"healthCheck,omitempty"`
	LivenessProbe  *Probe       `json:"livenessProbe,omitempty"`
	ReadinessProbe *Probe       `json:"readinessProbe,omitempty"`
	StartupProbe   *Probe       `json:"startupProbe,omitempty"`

	ServiceAccount  *ServiceAccount          `json:"serviceAccount,omitempty"`
	Roles           map[string]Role          `json:"roles"`
	NetworkPolicies map[string]NetworkPolicy `json:"networkPolicies"`
	SecurityPolicy  *SecurityPolicy          `json:"securityPolicy,omitempty"`
	Security        Security                 `json:"security"`

	Secrets map[string]Secret    `json:"secrets"`
	Configs map[string]ConfigMap `json:"configs"`

	// DeploymentStrategy is "rolling" or "on-delete".
	DeploymentStrategy string         `json:"deploymentStrategy"`
	RollingUpdate      *RollingUpdate `json:"rollingUpdate,omitempty"`
	// PodManagementPolicy is "OrderedReady" or "Parallel".
	PodManagementPolicy           string `json:"podManagementPolicy"`
	TerminationGracePeriodSeconds *int   `json:"terminationGracePeriodSeconds,omitempty"`

	// Expose, when set, adds the client Service named after the app.
	Expose   *Expose            `json:"expose,omitempty"`
	Services map[string]Service `json:"services"`

	// Metrics is the Prometheus endpoint, set when observability.metrics
	// is on.
	Metrics *Metrics `json:"metrics,omitempty"`
	// Backup is set when the app has a backup its preset can make.
	Backup *Backup `json:"backup,omitempty"`

	Namespace    string              `json:"namespace,omitempty"`
	Labels       map[string]string   `json:"labels"`
	Annotations  map[string]string   `json:"annotations"`
	NodeSelector map[string]string   `json:"nodeSelector"`
	Tolerations  []corev1.Toleration `json:"tolerations"`
	Affinity     *corev1.Affinity    `json:"affinity,omitempty"`
}

// Port is a container port.
type Port struct {
	Port int `json:"port"`
	// Protocol is TCP, UDP or SCTP.
	Protocol string `json:"protocol"`
}

// Claim is a per-pod PersistentVolumeClaim.
type Claim struct {
	// Size is a Kubernetes quantity.
	Size         string   `json:"size"`
	StorageClass string   `json:"storageClass,omitempty"`
	AccessModes  []string `json:"accessModes"`
}

// Storage is the app's own claim and where it is mounted.
type Storage struct {
	Claim
	MountPath string `json:"mountPath"`
}

// Volume is an extra volume with exactly one source.
type Volume struct {
	MountPath             string    `json:"mountPath"`
	ReadOnly              *bool     `json:"readOnly,omitempty"`
	SubPath               string    `json:"subPath,omitempty"`
	ConfigMap             string    `json:"configMap,omitempty"`
	Secret                string    `json:"secret,omitempty"`
	EmptyDir              *EmptyDir `json:"emptyDir,omitempty"`
	PersistentVolumeClaim *Claim    `json:"persistentVolumeClaim,omitempty"`
}

// EmptyDir is a pod-lifetime scratch volume.
type EmptyDir struct {
	// Medium is "" or "Memory".
	Medium    string `json:"medium,omitempty"`
	SizeLimit string `json:"sizeLimit,omitempty"`
}

// Resources are requests (CPU, Memory) and limits, "" when not set.
type Resources struct {
	CPU         string `json:"cpu,omitempty"`
	Memory      string `json:"memory,omitempty"`
	CPULimit    string `json:"cpuLimit,omitempty"`
	MemoryLimit string `json:"memoryLimit,omitempty"`
}

// SecretKey is one key of a Secret.
type SecretKey struct {
	Secret string `json:"secret"`
	Key    string `json:"key"`
}

// Probe is a health probe with exactly one handler.
type Probe struct {
	Exec                []string   `json:"exec,omitempty"`
	HTTP                *HTTPProbe `json:"http,omitempty"`
	TCP                 *TCPProbe  `json:"tcp,omitempty"`
	InitialDelaySeconds *int       `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       *int       `json:"periodSeconds,omitempty"`
	TimeoutSeconds      *int       `json:"timeoutSeconds,omitempty"`
	FailureThreshold    *int       `json:"failureThreshold,omitempty"`
	SuccessThreshold    *int       `json:"successThreshold,omitempty"`
}

// HTTPProbe is an HTTP GET check.
type HTTPProbe struct {
	Path string `json:"path"`
	// Port is a number or a port name.
	Port intstr.IntOrString `json:"port"`
	// Scheme is HTTP or HTTPS.
	Scheme string `json:"scheme"`
}

// TCPProbe is a TCP connect check.
type TCPProbe struct {
	// Port is a number or a port name.
	Port intstr.IntOrString `json:"port"`
}

// HealthCheck is the seed's health_check: an HTTP path, on Port or else on
// the first port by name.
type HealthCheck struct {
	Path string              `json:"path"`
	Port *intstr.IntOrString `json:"port,omitempty"`
}

// Container is an init container or a sidecar. It runs with the app's
// security context and sees the app's volumes.
type Container struct {
	// Image is "" when the container runs the app's image.
	Image          string               `json:"image,omitempty"`
	Command        []string             `json:"command,omitempty"`
	Args           []string             `json:"args,omitempty"`
	Env            map[string]string    `json:"env"`
	FieldEnv       map[string]string    `json:"fieldEnv"`
	SecretEnv      map[string]SecretKey `json:"secretEnv"`
	EnvFromSecrets []string             `json:"envFromSecrets"`
	Ports          map[string]Port      `json:"ports"`
	Resources      Resources            `json:"resources"`
	// Mounts overrides mount paths of the app's volumes, by volume name
	// ("data" is the app's storage).
	Mounts map[string]string `json:"mounts"`
	// Volumes, when not nil, limits the app's volumes mounted here to
	// these names (none when empty); nil mounts them all.
	Volumes        *[]string `json:"volumes,omitempty"`
	LivenessProbe  *Probe    `json:"livenessProbe,omitempty"`
	ReadinessProbe *Probe    `json:"readinessProbe,omitempty"`
}

// ServiceAccount is the identity the pods run as.
type ServiceAccount struct {
	Name string `json:"name"`
	// Existing is true for an account managed elsewhere.
	Existing bool `json:"existing"`
}

// Role is a namespaced Role bound to the app's service account.
type Role struct {
	Rules []PolicyRule `json:"rules"`
}

// PolicyRule is one rule of a Role.
type PolicyRule struct {
	APIGroups     []string `json:"apiGroups"`
	Resources     []string `json:"resources"`
	Verbs         []string `json:"verbs"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// NetworkPolicy admits ingress from pods with labels.
type NetworkPolicy struct {
	AllowPodsWithLabels map[string]string `json:"allowPodsWithLabels"`
	// AllowNamespacesWithLabels, when not nil, admits those pods from the
	// namespaces with these labels instead of the app's own only.
	AllowNamespacesWithLabels map[string]string `json:"allowNamespacesWithLabels,omitempty"`
}

// SecurityPolicy is the namespace's Pod Security Standard.
type SecurityPolicy struct {
	// PodSecurityStandard is restricted, baseline or privileged.
	PodSecurityStandard string `json:"podSecurityStandard"`
}

// Security is the pod's and the container's security context.
type Security struct {
	RunAsUser              *int64 `json:"runAsUser,omitempty"`
	RunAsGroup             *int64 `json:"runAsGroup,omitempty"`
	FSGroup                *int64 `json:"fsGroup,omitempty"`
	RunAsNonRoot           bool   `json:"runAsNonRoot"`
	ReadOnlyRootFilesystem bool   `json:"readOnlyRootFilesystem"`
}

// Secret is a Secret attached to the app.
type Secret struct {
	// Existing is true for a Secret managed elsewhere (then Data is empty).
	Existing bool              `json:"existing"`
	Type     string            `json:"type"`
	Data     map[string]string `json:"data"`
	// MountPath, when set, mounts every key as a file.
	MountPath string `json:"mountPath,omitempty"`
	// Env maps variable names to keys.
	Env map[string]string `json:"env"`
	// EnvFrom exposes every key as a variable.
	EnvFrom bool `json:"envFrom"`
}

// ConfigMap is a ConfigMap attached to the app.
type ConfigMap struct {
	Existing  bool              `json:"existing"`
	Data      map[string]string `json:"data"`
	MountPath string            `json:"mountPath,omitempty"`
	Env       map[string]string `json:"env"`
	EnvFrom   bool              `json:"envFrom"`
}

// RollingUpdate tunes the rolling update.
type RollingUpdate struct {
	Partition      *int `json:"partition,omitempty"`
	MaxUnavailable *int `json:"maxUnavailable,omitempty"`
}

// Expose publishes the app through a Service named after it.
type Expose struct {
	// External makes it a LoadBalancer, else ClusterIP.
	External bool `json:"external"`
	// Ports are the port names published; all when empty.
	Ports       []string          `json:"ports"`
	Annotations map[string]string `json:"annotations"`
}

// Service is an extra Service in front of the app.
type Service struct {
	// Type is ClusterIP, NodePort or LoadBalancer.
	Type        string            `json:"type"`
	Ports       []string          `json:"ports"`
	Annotations map[string]string `json:"annotations"`
	// Selector adds pod labels to the app's selector.
	Selector map[string]string `json:"selector"`
}

// Metrics is the Prometheus endpoint of the app's pods.
type Metrics struct {
	Port int    `json:"port"`
	Path string `json:"path"`
	// ServiceMonitor, when set, asks for a <name>-metrics Service and a
	// Prometheus Operator ServiceMonitor.
	ServiceMonitor *ServiceMonitor `json:"serviceMonitor,omitempty"`
}

// ServiceMonitor holds the ServiceMonitor's own settings.
type ServiceMonitor struct {
	Labels         map[string]string `json:"labels"`
	ScrapeInterval string            `json:"scrapeInterval"`
}

// Backup is a scheduled backup with the preset's tools.
type Backup struct {
	// Schedule is a cron line, in TimeZone.
	Schedule          string `json:"schedule"`
	TimeZone          string `json:"timeZone"`
	Retention         int    `json:"retention"`
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// Resources of the dump and restore containers.
	Resources Resources `json:"resources"`
	// Target is the location as rclone sees it.
	Target BackupTarget `json:"target"`
	// UploaderImage uploads, downloads and prunes (rclone).
	UploaderImage string `json:"uploaderImage"`
	// Image runs the dump and the restore.
	Image string `json:"image"`
	// Suffix is the backup file's extension.
	Suffix    string               `json:"suffix"`
	Env       map[string]string    `json:"env"`
	SecretEnv map[string]SecretKey `json:"secretEnv"`
	// Dump writes one backup into $BACKUP_FILE (run with sh -c).
	Dump string `json:"dump"`
	// Upload is false when Dump writes to the location itself.
	Upload bool `json:"upload"`
	// Restore is set when the app restores from a backup with a Job.
	Restore *Restore `json:"restore,omitempty"`
}

// BackupTarget is a backup location in rclone's terms.
type BackupTarget struct {
	Remote string            `json:"remote"`
	Env    map[string]string `json:"env"`
	// Claim is the PersistentVolumeClaim of a pvc:// location.
	Claim string `json:"claim,omitempty"`
}

// Restore loads one backup into the app.
type Restore struct {
	// From is the backup's file name.
	From string `json:"from"`
	// Script loads $BACKUP_FILE into the app (run with sh -c).
	Script string `json:"script"`
	// Fetch maps folders under /backup to folders of the location that
	// are downloaded too.
	Fetch map[string]string `json:"fetch"`
}

// Decode reads an App from the JSON of a schemas.#Model's out, refusing any
// field the Go type does not have.
func Decode(data []byte) (App, error) {
	var app App
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&app); err != nil {
		return App{}, fmt.Errorf("decode app model: %w", err)
	}
	if dec.More() {
		return App{}, fmt.Errorf("decode app model: more than one value")
	}
	return app, nil
}
