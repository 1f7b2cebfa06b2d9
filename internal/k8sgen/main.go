// Command k8sgen regenerates the Kubernetes CUE definitions under k8s/ from the
// k8s.io/api version pinned in go.mod.
//
// It runs `go tool cue get go` for the API groups celestra renders inside a
// scratch CUE module, moves the result into the module tree as ordinary
// packages (so that modules importing ours see them, which cue.mod/gen would
// not give them) and rewrites the import paths to point there.
//
// Usage (from the repository root, normally through `go generate`):
//
//	go run ./internal/k8sgen [-out DIR]
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/celestra-dev/celestra/internal/k8sgen/gen"
)

func main() {
	out := flag.String("out", gen.PackageDir, "directory that receives the generated packages")
	flag.Parse()
	if err := gen.Generate(".", *out); err != nil {
		fmt.Fprintln(os.Stderr, "k8sgen:", err)
		os.Exit(1)
	}
}
