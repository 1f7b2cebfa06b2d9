// Package yaml writes the Kubernetes objects of a configuration as YAML: one
// file per object, or a single multi-document stream.
package yaml

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/internal/engine"
)

// Exporter writes one "<kind>-<name>.yaml" file per object.
type Exporter struct{}

// Export implements exporters.Exporter.
func (Exporter) Export(r *engine.Result) (exporters.Files, error) {
	files := exporters.Files{}
	for _, o := range r.Objects {
		doc, err := Document(o)
		if err != nil {
			return nil, err
		}
		files[o.Key+".yaml"] = doc
	}
	return files, nil
}

// Private implements exporters.PrivateFiles: the files of Secrets.
func (Exporter) Private(p string) bool { return IsSecretFile(p) }

// IsSecretFile reports whether the file at p, in any folder, is a Secret's:
// an object's file is named after its key, "<kind>-<name>" with the kind in
// lower case (a kind has no "-"), so a Secret's starts with "secret-".
func IsSecretFile(p string) bool { return strings.HasPrefix(path.Base(p), "secret-") }

// Document is one object as a YAML document with sorted keys.
func Document(o engine.Object) ([]byte, error) {
	doc, err := sigsyaml.JSONToYAML(o.JSON)
	if err != nil {
		return nil, fmt.Errorf("write %s as YAML: %w", o.Key, err)
	}
	return doc, nil
}

// Stream is every object in one multi-document stream, in the order
// `kubectl apply -f -` needs: namespaces and identities before what uses them.
func Stream(r *engine.Result) ([]byte, error) {
	objects := append([]engine.Object(nil), r.Objects...)
	sort.SliceStable(objects, func(i, j int) bool {
		return ApplyOrder(objects[i].Kind) < ApplyOrder(objects[j].Kind)
	})
	var buf bytes.Buffer
	for i, o := range objects {
		doc, err := Document(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(doc)
	}
	return buf.Bytes(), nil
}

// ApplyOrder ranks kinds so that an object comes after those it refers to.
func ApplyOrder(kind string) int {
	order := []string{"Namespace", "ServiceAccount", "Secret", "ConfigMap", "Role", "RoleBinding",
		"Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy", "CronJob", "Job"}
	for i, k := range order {
		if k == kind {
			return i
		}
	}
	return len(order)
}
