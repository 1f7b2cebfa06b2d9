package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/internal/engine"
)

// ConfigFileName is the file `celestra init` writes.
const ConfigFileName = "celestra.cue"

type initOptions struct {
	preset string
	name   string
}

func newInitCommand() *cobra.Command {
	opts := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write a starter configuration that validates",
		Long: `Init writes DIR/celestra.cue (DIR defaults to "."): one app, from a preset
with --preset, or a plain StatefulApp with a custom image. It never
overwrites an existing file.`,
		Example: `  celestra init --preset postgres db/
  celestra export db/ -o out/`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd, pathArg(args), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.preset, "preset", "p", "", "start from this preset (see 'celestra presets')")
	cmd.Flags().StringVar(&opts.name, "name", "", "name of the app (default: the preset's name, or \"app\")")
	return cmd
}

func runInit(cmd *cobra.Command, dir string, opts *initOptions) error {
	file := filepath.Join(dir, ConfigFileName)
	if _, err := os.Stat(file); err == nil {
		return &engine.UsageError{Err: fmt.Errorf("%s already exists: celestra init does not overwrite files", file)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	content, err := starter(opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nnext: celestra export %s -o out/\n", file, dir)
	return nil
}

// starter returns the text of a starter configuration.
func starter(opts *initOptions) (string, error) {
	name := opts.name
	if opts.preset == "" {
		if name == "" {
			name = "app"
		}
		return fmt.Sprintf(`package main

import "github.com/celestra-dev/celestra"

celestra.#Config

apps: %s: {
	image: "ghcr.io/example/app:1.0.0"
	ports: http: port: 8080
	storage: {size: "10Gi", mountPath: "/data"}
	resources: {cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi"}
	// The image's numeric user, so the pod can run as non-root.
	security: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000}
	readinessProbe: tcp: port: "http"
}
`, name), nil
	}
	p, err := findPreset(opts.preset)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = strings.ToLower(p.Name)
	}
	return fmt.Sprintf(`package main

import (
	"github.com/celestra-dev/celestra"
	"github.com/celestra-dev/celestra/presets"
)

celestra.#Config

apps: %s: presets.#%s & {
%s}
`, name, p.Name, indent(strings.ReplaceAll(p.Starter, `\(name)`, name))), nil
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("\t" + line + "\n")
	}
	return b.String()
}
