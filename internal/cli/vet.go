package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/internal/engine"
)

func newVetCommand() *cobra.Command {
	var limits limitOptions
	cmd := &cobra.Command{
		Use:   "vet [PATH]",
		Short: "Validate a configuration without writing anything",
		Long: `Vet validates the configuration at PATH (a .cue file or a folder; default
".") as export does, and writes nothing.
` + limitsHelp,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bounds, err := limits.limits()
			if err != nil {
				return err
			}
			loader, err := engine.NewLoader()
			if err != nil {
				return err
			}
			progress := engine.NewProgress(pathArg(args))
			var objects int
			err = engine.Guard(bounds, progress, func() error {
				result, err := loader.LoadTracked(pathArg(args), progress)
				if err != nil {
					return err
				}
				objects = len(result.Objects)
				progress.Enter("checking with Kubernetes' validation", "")
				return checkWithKubernetes(result)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d Kubernetes %s\n", objects, plural(objects, "object", "objects"))
			return nil
		},
	}
	addLimitFlags(cmd, &limits)
	return cmd
}
