package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra"
	"github.com/celestra-dev/celestra/internal/engine"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of celestra, its CUE module, CUE and the Kubernetes API",
		Args:  maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "celestra module %s@v0 %s\n", celestra.ModulePath, engine.ModuleVersion)
			fmt.Fprintf(out, "cue language %s\n", celestra.CUELanguageVersion)
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, dep := range info.Deps {
					switch dep.Path {
					case "cuelang.org/go", "k8s.io/api":
						fmt.Fprintf(out, "%s %s\n", dep.Path, dep.Version)
					}
				}
			}
			return nil
		},
	}
}
