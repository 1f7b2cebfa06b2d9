package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"cuelang.org/go/cue"
	cueyaml "cuelang.org/go/encoding/yaml"
	"github.com/spf13/cobra"

	"github.com/celestra-dev/celestra/internal/engine"
)

func newPresetsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "List the database presets",
		Args:  maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			presets, err := loadPresets()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, p := range presets {
				fmt.Fprintf(w, "presets.#%s\t%s\n", p.Name, p.Summary)
			}
			return w.Flush()
		},
	}
}

func newExplainCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "explain PRESET",
		Short: "Print a preset's documentation, defaults and rules",
		Example: `  celestra explain postgres
  celestra explain '#Kafka'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &engine.UsageError{Err: fmt.Errorf("explain takes one preset name, such as postgres")}
			}
			return nil
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			presets, err := loadPresets()
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			var names []string
			for _, p := range presets {
				names = append(names, strings.ToLower(p.Name))
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := findPreset(args[0])
			if err != nil {
				return err
			}
			return printPreset(cmd, p)
		},
	}
}

// loadPresets lists the presets of the embedded module.
func loadPresets() ([]engine.Preset, error) {
	loader, err := engine.NewLoader()
	if err != nil {
		return nil, err
	}
	return loader.Presets()
}

// findPreset finds a preset by name, in any case and with or without
// "presets." and "#": postgres, Postgres, '#Postgres' and presets.#Postgres
// are the same preset. An unknown name is a usage error that lists them.
func findPreset(name string) (engine.Preset, error) {
	presets, err := loadPresets()
	if err != nil {
		return engine.Preset{}, err
	}
	want := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "presets."), "#"))
	var names []string
	for _, p := range presets {
		if strings.ToLower(p.Name) == want {
			return p, nil
		}
		names = append(names, strings.ToLower(p.Name))
	}
	return engine.Preset{}, &engine.UsageError{Err: fmt.Errorf("no preset %q: choose one of %s", name, strings.Join(names, ", "))}
}

func printPreset(cmd *cobra.Command, p engine.Preset) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "presets.#%s\n\n%s\n\nDefaults (override any of them):\n\n", p.Name, p.Doc)
	defaults, err := concreteDefaults(p.Defaults)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(string(defaults), "\n"), "\n") {
		fmt.Fprintf(out, "    %s\n", line)
	}
	if len(p.Rules) > 0 {
		fmt.Fprintln(out, "\nRules:")
		for _, r := range p.Rules {
			fmt.Fprintf(out, "  - %s\n", r)
		}
	}
	return nil
}

// concreteDefaults renders the fields of a preset that have a concrete
// value, leaving out what the user must still supply.
func concreteDefaults(v cue.Value) ([]byte, error) {
	it, err := v.Fields()
	if err != nil {
		return nil, fmt.Errorf("read preset defaults: %w", err)
	}
	var b strings.Builder
	for it.Next() {
		field := it.Selector().String()
		if field == "name" {
			continue
		}
		fv := it.Value()
		if fv.Validate(cue.Concrete(true)) != nil {
			continue
		}
		if k := fv.IncompleteKind(); (k == cue.StructKind || k == cue.ListKind) && !hasContent(fv) {
			continue
		}
		doc, err := cueyaml.Encode(fv)
		if err != nil {
			continue
		}
		if fv.IncompleteKind() == cue.StructKind || fv.IncompleteKind() == cue.ListKind {
			fmt.Fprintf(&b, "%s:\n", field)
			for _, line := range strings.Split(strings.TrimRight(string(doc), "\n"), "\n") {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		} else {
			fmt.Fprintf(&b, "%s: %s", field, doc)
		}
	}
	return []byte(b.String()), nil
}

func hasContent(v cue.Value) bool {
	if l, err := v.List(); err == nil {
		return l.Next()
	}
	it, err := v.Fields()
	return err == nil && it.Next()
}
