// Command celestra writes validated deployment files for stateful workloads
// described in CUE. See the README for a tour.
package main

import (
	"os"

	"github.com/celestra-dev/celestra/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
