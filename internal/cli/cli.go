// Package cli is the celestra command line: one constructor per command,
// each owning its flags, wired together by NewRootCommand.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/internal/engine"
)

// Exit codes.
const (
	ExitOK            = 0
	ExitInvalidConfig = 1
	ExitUsage         = 2
)

// Run executes celestra with args and returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var cfgErr *engine.ConfigError
	var usage *engine.UsageError
	var evalErr *engine.EvaluatorError
	var limitErr *engine.LimitError
	switch {
	case errors.As(err, &evalErr), errors.As(err, &limitErr):
		// Already a sentence about celestra: no prefix, no stack trace.
		fmt.Fprintf(stderr, "%v\nnothing was written\n", err)
		return ExitInvalidConfig
	case errors.As(err, &cfgErr):
		fmt.Fprintf(stderr, "invalid configuration (%d %s):\n%s\nnothing was written\n",
			len(cfgErr.Diagnostics), plural(len(cfgErr.Diagnostics), "problem", "problems"), cfgErr)
		return ExitInvalidConfig
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "celestra: %v\nRun 'celestra --help' for usage.\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "celestra: %v\n", err)
		return ExitInvalidConfig
	}
}

// NewRootCommand builds the command tree.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "celestra",
		Short: "Validated, deterministic deployment files for stateful workloads, from a few lines of CUE",
		Long: `celestra turns a few lines of CUE describing a database, queue or search
cluster into validated Kubernetes YAML, a Docker Compose file, a Helm chart or
a Kustomize base. The schemas, presets and rules are embedded: no network
access is needed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &engine.UsageError{Err: fmt.Errorf("unknown command %q", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &engine.UsageError{Err: err}
	})
	root.AddCommand(
		newExportCommand(),
		newVetCommand(),
		newInitCommand(),
		newPresetsCommand(),
		newExplainCommand(),
		newVersionCommand(),
	)
	return root
}

// pathArg returns the configuration path: the first argument, or ".".
func pathArg(args []string) string {
	if len(args) == 0 {
		return "."
	}
	return args[0]
}

// maxArgs is cobra.MaximumNArgs, reported as a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return &engine.UsageError{Err: err}
		}
		return nil
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
