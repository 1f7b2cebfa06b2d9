package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/celestra-dev/celestra/internal/engine"
)

// limitOptions are the flags that bound an evaluation (see engine.Guard).
type limitOptions struct {
	timeout   time.Duration
	maxMemory string
}

// limitsHelp is the paragraph of a command's help about the bounds.
const limitsHelp = `
Evaluation is bounded: after --timeout, when celestra's memory passes
--max-memory, or when it recurses without end, it stops with a message naming the configuration, the phase
(loading, evaluating, validating, decoding objects, exporting...) and, when
known, the app, exit 1 and nothing written. A panic inside the evaluator is
reported the same way, never as a crash.`

func addLimitFlags(cmd *cobra.Command, o *limitOptions) {
	cmd.Flags().DurationVar(&o.timeout, "timeout", engine.DefaultTimeout,
		"stop evaluating after this long (0: no bound)")
	cmd.Flags().StringVar(&o.maxMemory, "max-memory", "",
		fmt.Sprintf("stop evaluating when celestra's live memory passes this size, such as 4Gi or 512Mi (0: no bound; default: 3/4 of this machine's memory, %s)",
			engine.FormatBytes(engine.DefaultLimits().MaxMemory)))
}

// limits returns the bounds the flags give.
func (o *limitOptions) limits() (engine.Limits, error) {
	l := engine.DefaultLimits()
	if o.timeout < 0 {
		return l, &engine.UsageError{Err: fmt.Errorf("--timeout %s: give a positive duration such as 2m, or 0 for no bound", o.timeout)}
	}
	l.Timeout = o.timeout
	if o.maxMemory != "" {
		q, err := resource.ParseQuantity(o.maxMemory)
		if err != nil || q.Sign() < 0 {
			return l, &engine.UsageError{Err: fmt.Errorf("--max-memory %q: give a size such as 4Gi, 512Mi or 8G, or 0 for no bound", o.maxMemory)}
		}
		l.MaxMemory = uint64(q.Value())
	}
	return l, nil
}
