package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/internal/engine"
)

func newVetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "vet [PATH]",
		Short: "Validate a configuration without writing anything",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loader, err := engine.NewLoader()
			if err != nil {
				return err
			}
			result, err := loader.Load(pathArg(args))
			if err != nil {
				return err
			}
			if err := checkWithKubernetes(loader, result); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %d Kubernetes %s\n", len(result.Objects), plural(len(result.Objects), "object", "objects"))
			return nil
		},
	}
}
