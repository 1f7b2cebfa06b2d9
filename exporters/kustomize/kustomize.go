// Package kustomize writes a configuration as a Kustomize tree: base/ holds
// the objects of the YAML export, and overlays/<env>/ turns them into the
// objects of each environment declared in CUE (environments: <env>: <app>:
// {...}), as patches on the base.
//
// The overlays are computed from the difference between the base objects and
// the environment's objects that CUE renders (overlays.<env>): a JSON 6902
// patch for each object that changes, the object itself for each object that
// exists only in the environment, and a `$patch: delete` patch for each object
// the environment does not have.
package kustomize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/celestra-dev/celestra/exporters"
	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
)

// Exporter writes base/ and one overlays/<env>/ per environment.
type Exporter struct{}

// Export implements exporters.Exporter.
func (Exporter) Export(r *engine.Result) (exporters.Files, error) {
	if err := exporters.RequireImages(r, "kustomize"); err != nil {
		return nil, err
	}
	files := exporters.Files{}
	base := map[string]object{}
	var resources []string
	for _, o := range r.Objects {
		doc, err := yamlexp.Document(o)
		if err != nil {
			return nil, err
		}
		files["base/"+o.Key+".yaml"] = doc
		resources = append(resources, o.Key+".yaml")
		obj, err := decode(o.Key, o.JSON)
		if err != nil {
			return nil, err
		}
		base[o.Key] = obj
	}
	if err := checkKustomizeCanPrint("", base); err != nil {
		return nil, err
	}
	sort.Strings(resources)
	kust, err := marshalKustomization(&types.Kustomization{Resources: resources})
	if err != nil {
		return nil, fmt.Errorf("write base kustomization: %w", err)
	}
	files["base/kustomization.yaml"] = kust

	for _, env := range r.Environments {
		objects := map[string]object{}
		raws := map[string][]byte{}
		for _, o := range env.Objects {
			raws[o.Key] = o.JSON
			if objects[o.Key], err = decode(o.Key, o.JSON); err != nil {
				return nil, err
			}
		}
		if err := checkKustomizeCanPrint(env.Name, objects); err != nil {
			return nil, err
		}
		overlay, err := overlayFiles(base, raws)
		if err != nil {
			return nil, fmt.Errorf("overlay %s: %w", env.Name, err)
		}
		for p, data := range overlay {
			files[path.Join("overlays", env.Name, p)] = data
		}
	}
	return files, nil
}

// Private implements exporters.PrivateFiles: the Secrets of the base, and
// the overlay files that patch, add or delete one (all named after the
// Secret's key, like the YAML export's files).
func (Exporter) Private(p string) bool { return yamlexp.IsSecretFile(p) }

// object is a decoded Kubernetes object and its identity.
type object struct {
	key  string
	id   resid.ResId
	body map[string]any
}

// decode parses an object's JSON, keeping numbers as written.
func decode(key string, raw []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return object{}, fmt.Errorf("object %s: %w", key, err)
	}
	apiVersion, _ := body["apiVersion"].(string)
	kind, _ := body["kind"].(string)
	meta, _ := body["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	namespace, _ := meta["namespace"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		return object{}, fmt.Errorf("object %s has no apiVersion, kind or metadata.name", key)
	}
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		group, version = "", apiVersion
	}
	gvk := resid.Gvk{Group: group, Version: version, Kind: kind}
	return object{key: key, id: resid.NewResIdWithNamespace(gvk, name, namespace), body: body}, nil
}

// overlayFiles is the content of overlays/<env>/: its kustomization and the
// files it names.
func overlayFiles(base map[string]object, envObjects map[string][]byte) (exporters.Files, error) {
	files := exporters.Files{}
	kust := &types.Kustomization{Resources: []string{"../../base"}}
	var added []string

	keys := make([]string, 0, len(base)+len(envObjects))
	for k := range base {
		keys = append(keys, k)
	}
	for k := range envObjects {
		if _, ok := base[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)

	for _, key := range keys {
		b, inBase := base[key]
		raw, inEnv := envObjects[key]
		var e object
		if inEnv {
			var err error
			if e, err = decode(key, raw); err != nil {
				return nil, err
			}
		}
		sameID := inBase && inEnv && b.id == e.id
		if inBase && !sameID {
			// The environment does not have this object (or has it under
			// another identity): delete it.
			name := key + ".delete.yaml"
			doc, err := deletePatch(b)
			if err != nil {
				return nil, err
			}
			files[name] = doc
			kust.Patches = append(kust.Patches, types.Patch{Path: name})
		}
		if inEnv && !sameID {
			name := key + ".yaml"
			doc, err := yamlexp.Document(engine.Object{Key: key, JSON: raw})
			if err != nil {
				return nil, err
			}
			files[name] = doc
			added = append(added, name)
		}
		if sameID {
			ops := diff(nil, b.body, e.body)
			if len(ops) == 0 {
				continue
			}
			name := key + ".patch.yaml"
			doc, err := yamlexp.Marshal(ops)
			if err != nil {
				return nil, fmt.Errorf("write patch of %s: %w", key, err)
			}
			files[name] = doc
			target := types.Selector{ResId: b.id}
			kust.Patches = append(kust.Patches, types.Patch{Path: name, Target: &target})
		}
	}
	kust.Resources = append(kust.Resources, added...)
	sort.Slice(kust.Patches, func(i, j int) bool { return kust.Patches[i].Path < kust.Patches[j].Path })
	doc, err := marshalKustomization(kust)
	if err != nil {
		return nil, err
	}
	files["kustomization.yaml"] = doc
	return files, nil
}

// deletePatch is a strategic-merge patch that removes the object.
func deletePatch(o object) ([]byte, error) {
	meta := map[string]any{"name": o.id.Name}
	if o.id.Namespace != "" {
		meta["namespace"] = o.id.Namespace
	}
	doc, err := yamlexp.Marshal(map[string]any{
		"apiVersion": o.body["apiVersion"],
		"kind":       o.body["kind"],
		"metadata":   meta,
		"$patch":     "delete",
	})
	if err != nil {
		return nil, fmt.Errorf("write delete patch of %s: %w", o.key, err)
	}
	return doc, nil
}

// diff returns the JSON 6902 operations that turn a into b, in a stable
// order: map keys sorted, list elements compared by index, and a list whose
// length changes replaced whole.
func diff(at []string, a, b any) []map[string]any {
	if reflect.DeepEqual(a, b) {
		return nil
	}
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var ops []map[string]any
		for _, k := range keys {
			av, inA := am[k]
			bv, inB := bm[k]
			p := append(append([]string(nil), at...), k)
			switch {
			case !inB:
				ops = append(ops, map[string]any{"op": "remove", "path": pointer(p)})
			case !inA:
				ops = append(ops, map[string]any{"op": "add", "path": pointer(p), "value": bv})
			default:
				ops = append(ops, diff(p, av, bv)...)
			}
		}
		return ops
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if aIsList && bIsList && len(al) == len(bl) {
		var ops []map[string]any
		for i := range al {
			ops = append(ops, diff(append(append([]string(nil), at...), strconv.Itoa(i)), al[i], bl[i])...)
		}
		return ops
	}
	return []map[string]any{{"op": "replace", "path": pointer(at), "value": b}}
}

// pointer is an RFC 6901 JSON pointer.
func pointer(at []string) string {
	var b strings.Builder
	for _, s := range at {
		b.WriteString("/")
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

// marshalKustomization writes a kustomization.yaml with its apiVersion and
// kind.
func marshalKustomization(k *types.Kustomization) ([]byte, error) {
	k.APIVersion = types.KustomizationVersion
	k.Kind = types.KustomizationKind
	doc, err := yamlexp.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("write kustomization: %w", err)
	}
	return doc, nil
}
