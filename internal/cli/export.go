package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path"
	"sort"
	"strings"
	"syscall"

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
	force  bool
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

Nothing is written unless the whole configuration is valid. The new files
replace the previous export all at once (a run stopped half-way is
completed by the next one), files holding secret values are readable by
their owner only, and a file celestra did not write, or that was edited
since, is never removed, nor overwritten without --force.
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
	cmd.Flags().BoolVar(&opts.force, "force", false, "overwrite files in the output folder that celestra did not write, or that were edited since")
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
	// SIGINT or SIGTERM stops the export; the writer then removes what it
	// staged, and nothing is written.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	loader, err := engine.NewLoader()
	if err != nil {
		return err
	}

	// Evaluate, check and export under the bounds; write only afterwards,
	// so that a run stopped by its bounds never leaves a half-written
	// folder.
	progress := engine.NewProgress(configPath)
	var stream []byte
	files := exporters.Files{}
	private := map[string]bool{}
	err = engine.Guard(limits, progress, func() error {
		result, err := loader.LoadTracked(configPath, progress)
		if err != nil {
			return err
		}
		progress.Enter("checking with Kubernetes' validation", "")
		if err := checkWithKubernetes(result); err != nil {
			return err
		}
		if opts.out == "-" {
			progress.Enter("exporting yaml", "")
			stream, err = yamlexp.Stream(result)
			return err
		}
		for _, name := range selected {
			progress.Enter("exporting "+name, "")
			exp := all[name]
			produced, err := exp.Export(result)
			if err != nil {
				return fmt.Errorf("%s export: %w", name, err)
			}
			secret, _ := exp.(exporters.PrivateFiles)
			for p, data := range produced {
				full := p
				if opts.format == "all" {
					full = path.Join(name, p)
				}
				files[full] = data
				if secret != nil && secret.Private(p) {
					private[full] = true
				}
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
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: nothing was written to %s", opts.out)
	}
	err = output.Write(ctx, opts.out, files, output.Options{Private: private, Force: opts.force, Log: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d %s to %s\n", len(files), plural(len(files), "file", "files"), opts.out)
	return nil
}
