// Package yaml writes the Kubernetes objects of a configuration as YAML: one
// file per object, or a single multi-document stream.
package yaml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	goyaml "go.yaml.in/yaml/v2"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/internal/engine"
)

// Exporter writes one "<kind>-<name>.yaml" file per object.
type Exporter struct{}

// Export implements exporters.Exporter.
func (Exporter) Export(r *engine.Result) (exporters.Files, error) {
	if err := exporters.RequireImages(r, "yaml"); err != nil {
		return nil, err
	}
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
	doc, err := FromJSON(o.JSON)
	if err != nil {
		return nil, fmt.Errorf("write %s as YAML: %w", o.Key, err)
	}
	return doc, nil
}

// Marshal writes v, as encoding/json sees it, as a YAML document with sorted
// keys, like sigs.k8s.io/yaml's Marshal.
func Marshal(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return FromJSON(j)
}

// FromJSON writes a JSON document as YAML, byte for byte as sigs.k8s.io/yaml's
// JSONToYAML does (the same emitter, go.yaml.in/yaml/v2, and the same number
// types), for any string in it. JSONToYAML reads the JSON with the YAML
// parser, which refuses a JSON string holding DEL, a C1 control character or
// U+FEFF as raw text ("control characters are not allowed"); here
// encoding/json reads it, and the emitter writes such strings double-quoted
// with escapes, which sigs.k8s.io/yaml (kubectl's reader) reads back
// unchanged.
func FromJSON(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v, err := yamlNumbers(v)
	if err != nil {
		return nil, err
	}
	return goyaml.Marshal(v)
}

// yamlNumbers replaces each json.Number in v by the Go type the YAML parser
// gives that number (int, then uint64, then float64), so that it is written
// as JSONToYAML writes it.
func yamlNumbers(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return int(i), nil
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u, nil
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", v, err)
		}
		return f, nil
	case map[string]any:
		for k, e := range v {
			n, err := yamlNumbers(e)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
	case []any:
		for i, e := range v {
			n, err := yamlNumbers(e)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
	}
	return v, nil
}

// Stream is every object in one multi-document stream, in the order
// `kubectl apply -f -` needs: namespaces and identities before what uses them.
func Stream(r *engine.Result) ([]byte, error) {
	if err := exporters.RequireImages(r, "yaml"); err != nil {
		return nil, err
	}
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
