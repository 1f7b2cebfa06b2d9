// Command benchgen writes a configuration of N apps into a folder:
//
//	go run ./internal/benchgen/cmd -n 100 -o /tmp/bench100
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/celestra-dev/celestra/internal/benchgen"
)

func main() {
	n := flag.Int("n", 1, "number of apps")
	out := flag.String("o", "", "folder to write bench.cue into (created if needed)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "benchgen: -o is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
	if err := benchgen.Write(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}
