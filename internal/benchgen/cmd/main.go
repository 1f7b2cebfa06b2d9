// Command benchgen writes a configuration of N apps into a folder:
//
//	go run ./internal/benchgen/cmd -n 100 -o /tmp/bench100
//	go run ./internal/benchgen/cmd -n 100 -mix plain-postgres -o /tmp/old100
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/celestra-dev/celestra/internal/benchgen"
)

func main() {
	n := flag.Int("n", 1, "number of apps")
	out := flag.String("o", "", "folder to write "+benchgen.FileName+" into (created if needed)")
	mix := flag.String("mix", string(benchgen.MixPresets), fmt.Sprintf("kinds of apps: %v", benchgen.Mixes()))
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: benchgen -n N [-mix MIX] -o DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
	if err := benchgen.WriteMix(*out, *n, benchgen.Mix(*mix)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
