package cli

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/exporters"
	"github.com/celestra-dev/celestra/exporters/compose"
	"github.com/celestra-dev/celestra/exporters/helm"
	"github.com/celestra-dev/celestra/exporters/kustomize"
	yamlexp "github.com/celestra-dev/celestra/exporters/yaml"
	"github.com/celestra-dev/celestra/internal/engine"
	"github.com/celestra-dev/celestra/internal/output"
)

// formats maps each --format name to its exporter. "all" writes each of them
// into a folder of its own name.
func formats() map[string]exporters.Exporter {
	return map[string]exporters.Exporter{
		"helm":      helm.Exporter{},
		"compose":   compose.Exporter{},
		"yaml":      yamlexp.Exporter{},
		"kustomize": kustomize.Exporter{},
	}
}

func formatNames() []string {
	var names []string
	for n := range formats() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type exportOptions struct {
	format string
	out    string
	limits limitOptions
}

func newExportCommand() *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export [PATH]",
		Short: "Validate a configuration and write its deployment files",
		Long: `Export validates the configuration at PATH (a .cue file or a folder; default
".") and writes its deployment files into the folder given with -o.

With --format yaml (the default), each Kubernetes object goes to
<kind>-<name>.yaml; -o - prints one multi-document stream instead, for
"celestra export -o - | kubectl apply -f -". With --format all, every format
is written into a sub-folder of its own name.

Nothing is written unless the whole configuration is valid, and files that
celestra did not write are never removed.
` + limitsHelp,
		Example: `  celestra export examples/postgres -o out/
  celestra export . -o - | kubectl apply -f -`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, pathArg(args), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.format, "format", "f", "yaml", "output format: "+strings.Join(append(formatNames(), "all"), ", "))
	cmd.Flags().StringVarP(&opts.out, "output", "o", "", "output folder, or - for a YAML stream on standard output (required)")
	addLimitFlags(cmd, &opts.limits)
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(formatNames(), "all"), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runExport(cmd *cobra.Command, configPath string, opts *exportOptions) error {
	if opts.out == "" {
		return &engine.UsageError{Err: fmt.Errorf("missing -o: give an output folder, or - for standard output")}
	}
	all := formats()
	var selected []string
	switch {
	case opts.format == "all":
		selected = formatNames()
	case all[opts.format] != nil:
		selected = []string{opts.format}
	default:
		return &engine.UsageError{Err: fmt.Errorf("unknown format %q: use one of %s, all", opts.format, strings.Join(formatNames(), ", "))}
	}
	if opts.out == "-" && opts.format != "yaml" {
		return &engine.UsageError{Err: fmt.Errorf("-o - prints YAML only: give a folder for --format %s", opts.format)}
	}

	limits, err := opts.limits.limits()
	if err != nil {
		return err
	}
	loader, err := engine.NewLoader()
	if err != nil {
		return err
	}

	// Evaluate and export under the bounds; write only afterwards, so
	// that a run stopped by its bounds never leaves a half-written folder.
	progress := engine.NewProgress(configPath)
	var stream []byte
	files := exporters.Files{}
	err = engine.Guard(limits, progress, func() error {
		result, err := loader.LoadTracked(configPath, progress)
		if err != nil {
			return err
		}
		progress.Enter("checking with Kubernetes' validation", "")
		if err := checkWithKubernetes(loader, result); err != nil {
			return err
		}
		if opts.out == "-" {
			progress.Enter("exporting yaml", "")
			stream, err = yamlexp.Stream(result)
			return err
		}
		for _, name := range selected {
			progress.Enter("exporting "+name, "")
			produced, err := all[name].Export(result)
			if err != nil {
				return fmt.Errorf("%s export: %w", name, err)
			}
			for p, data := range produced {
				if opts.format == "all" {
					p = path.Join(name, p)
				}
				files[p] = data
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if opts.out == "-" {
		_, err = cmd.OutOrStdout().Write(stream)
		return err
	}
	if err := output.Write(opts.out, files); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d %s to %s\n", len(files), plural(len(files), "file", "files"), opts.out)
	return nil
}
