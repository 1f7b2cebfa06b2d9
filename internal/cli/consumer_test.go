package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/celestra-dev/celestra/internal/engine"
)

const consumerDir = "../../testdata/consumer"

// TestConsumerModuleOffline loads another team's module, which depends on
// celestra by module path and version, with no registry at all: the CLI
// serves the embedded module.
func TestConsumerModuleOffline(t *testing.T) {
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	result, err := loader.Load(filepath.Join(consumerDir, "platform"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, o := range result.Objects {
		if o.Kind == "StatefulSet" {
			found = append(found, o.Name)
		}
	}
	if want := []string{"catalog", "events", "orders", "queue", "search", "sessions", "shop"}; !reflect.DeepEqual(found, want) {
		t.Errorf("StatefulSets %v, want %v", found, want)
	}
}

// TestConsumerModuleWithRegistry does what another team would: celestra's
// module is published to a CUE registry (a local one, started here with
// `cue mod registry`), and the team's module is vetted and exported with the
// plain cue command. The objects must be the ones celestra writes.
func TestConsumerModuleWithRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CUE registry; skipped with -short")
	}
	repo := mustAbs(t, "../..")
	addr := freeAddr(t)
	env := append(os.Environ(),
		"CUE_REGISTRY="+addr+"+insecure",
		"CUE_CACHE_DIR="+t.TempDir(),
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	registry := exec.CommandContext(ctx, "go", "tool", "cue", "mod", "registry", addr)
	registry.Dir = repo
	if err := registry.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = registry.Wait() }()
	defer cancel()
	waitListening(t, addr)

	run := func(dir string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command("go", append([]string{"tool", "cue"}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("cue %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes()
	}
	run(repo, "mod", "publish", engine.ModuleVersion)
	consumer := mustAbs(t, consumerDir)
	run(consumer, "vet", "-c", "./platform")
	out := run(consumer, "export", "./platform", "-e", "kubernetes", "--out", "json")

	var fromCue map[string]any
	if err := json.Unmarshal(out, &fromCue); err != nil {
		t.Fatal(err)
	}
	loader, err := engine.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	result, err := loader.Load(filepath.Join(consumer, "platform"))
	if err != nil {
		t.Fatal(err)
	}
	fromCelestra := objectsByKey(t, result)
	if !reflect.DeepEqual(fromCue, fromCelestra) {
		t.Errorf("cue export through the registry and celestra differ: %v vs %v", keys(fromCue), keys(fromCelestra))
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("registry did not listen on %s", addr)
}
