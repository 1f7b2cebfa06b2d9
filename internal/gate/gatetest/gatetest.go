// Package gatetest runs the gate (package gate) in tests on objects as
// another tool produced them, such as a Helm chart's render or a kustomize
// build: parsed from YAML or JSON, decoded strictly into their k8s.io/api
// types, then checked.
package gatetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/gate"
)

// Check fails t unless the gate accepts every object. env names the
// environment the objects belong to, or is "" for the base configuration.
// An empty list fails too: a check of nothing proves nothing.
func Check(t testing.TB, l *engine.Loader, env string, objects []map[string]any) {
	t.Helper()
	if len(objects) == 0 {
		t.Fatal("no objects to check")
	}
	typed := make([]engine.Object, 0, len(objects))
	for _, obj := range objects {
		o, err := Decode(l, obj)
		if err != nil {
			t.Fatal(err)
		}
		typed = append(typed, o)
	}
	g, err := gate.New()
	if err != nil {
		t.Fatal(err)
	}
	if env == "" {
		err = g.Check(typed)
	} else {
		err = g.CheckEnvironment(env, typed)
	}
	if err != nil {
		t.Errorf("the Kubernetes API server's validation refuses:\n%v", err)
	}
}

// Decode decodes one parsed object as the engine decodes its own: strictly,
// into its k8s.io/api type, keyed "<kind>-<name>".
func Decode(l *engine.Loader, obj map[string]any) (engine.Object, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return engine.Object{}, err
	}
	meta, _ := obj["metadata"].(map[string]any)
	key := strings.ToLower(fmt.Sprintf("%v-%v", obj["kind"], meta["name"]))
	return l.DecodeObject(key, raw)
}
