package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits bound one run of celestra's evaluator: loading a configuration,
// evaluating it and exporting it. A zero field means no bound.
type Limits struct {
	// Timeout is the longest the run may take.
	Timeout time.Duration
	// MaxMemory is the most live heap, in bytes, the process may hold.
	MaxMemory uint64
}

// DefaultTimeout is the default bound on the time of a run: a configuration
// of 1000 apps takes about 30 s.
const DefaultTimeout = 2 * time.Minute

// DefaultLimits returns the bounds used unless the user gives others:
// DefaultTimeout, and three quarters of the memory the machine (or the
// container's cgroup) has, or 8 GiB where that cannot be read.
func DefaultLimits() Limits {
	return Limits{Timeout: DefaultTimeout, MaxMemory: defaultMaxMemory()}
}

func defaultMaxMemory() uint64 {
	total := machineMemory()
	if total == 0 {
		return 8 << 30
	}
	return total / 4 * 3
}

// machineMemory returns the memory available to this process in bytes: the
// smaller of the machine's total and the cgroup's limit, or 0 if unknown.
func machineMemory() uint64 {
	var total uint64
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) >= 2 && fields[0] == "MemTotal:" {
				if kb, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
					total = kb * 1024
				}
			}
		}
	}
	if data, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if limit, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil && limit > 0 && (total == 0 || limit < total) {
			total = limit
		}
	}
	return total
}

// Progress records what a run is evaluating, so that a run stopped by its
// limits, or by a failure of the evaluator, can say where it was. It is safe
// for concurrent use; a nil *Progress records nothing.
type Progress struct {
	mu     sync.Mutex
	config string
	phase  string
	app    string
	redact func(string) string
}

// NewProgress starts the record of a run on the configuration at path.
func NewProgress(config string) *Progress {
	return &Progress{config: config, phase: "starting"}
}

// Enter records that the run is now in phase, on app ("" when the phase is
// not about one app).
func (p *Progress) Enter(phase, app string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.app = phase, app
}

// setRedactor installs the function that removes secret values from
// messages about this run.
func (p *Progress) setRedactor(redact func(string) string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redact = redact
}

// where describes the position of the run: `the configuration shop/ while
// validating apps (app "db")`.
func (p *Progress) where() string {
	if p == nil {
		return "the configuration"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("the configuration %s while %s", p.config, p.phase)
	if p.app != "" {
		s += fmt.Sprintf(" (app %q)", p.app)
	}
	return s
}

func (p *Progress) scrub(s string) string {
	if p == nil {
		return s
	}
	p.mu.Lock()
	redact := p.redact
	p.mu.Unlock()
	if redact == nil {
		return s
	}
	return redact(s)
}

// EvaluatorError is a failure inside celestra's evaluator (a panic of CUE's
// evaluator or of an exporter) on a configuration. The configuration may be
// invalid, but the evaluator should have said so.
type EvaluatorError struct {
	// Where names the configuration, the phase and the app.
	Where string
	// Cause is what the evaluator reported, with secret values removed.
	Cause string
}

func (e *EvaluatorError) Error() string {
	return fmt.Sprintf("celestra's evaluator failed on %s: %s\n"+
		"This is a bug in CUE or celestra, not a message about your configuration (which may still be invalid): "+
		"please report it with the configuration", e.Where, e.Cause)
}

// LimitError is a run stopped by its Limits.
type LimitError struct {
	// Where names the configuration, the phase and the app.
	Where string
	// Limit says which bound was reached, in the words of the flag that sets it.
	Limit string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("celestra stopped evaluating %s: %s", e.Where, e.Limit)
}

// recoverEvaluator turns a panic into an *EvaluatorError stored in *err.
// Use it as `defer recoverEvaluator(progress, &err)`.
func recoverEvaluator(progress *Progress, err *error) {
	if r := recover(); r != nil {
		*err = &EvaluatorError{Where: progress.where(), Cause: progress.scrub(fmt.Sprint(r))}
	}
}

// Guard runs fn under limits: a panic in fn becomes an *EvaluatorError, and
// a run that passes its time or memory bound returns a *LimitError naming
// what progress records. fn keeps running in the background after a
// LimitError (Go cannot stop it): a command should exit then.
//
// Memory is the live heap of the whole process, sampled every 50 ms, so the
// bound may be passed by what is allocated between two samples.
func Guard(limits Limits, progress *Progress, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		var err error
		defer func() { done <- err }()
		defer recoverEvaluator(progress, &err)
		err = fn()
	}()

	var deadline <-chan time.Time
	if limits.Timeout > 0 {
		timer := time.NewTimer(limits.Timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	var tick <-chan time.Time
	if limits.MaxMemory > 0 {
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		tick = ticker.C
		if heap, over := overMemory(limits.MaxMemory); over {
			return memoryError(progress, heap, limits.MaxMemory)
		}
	}
	// Goroutine stacks are watched even without a memory bound: Go ends
	// the process, beyond recovery, when one passes 1 GB.
	stackTicker := time.NewTicker(50 * time.Millisecond)
	defer stackTicker.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-stackTicker.C:
			if stacks := stackBytes(); stacks > maxStacks {
				return &LimitError{Where: progress.where(), Limit: fmt.Sprintf(
					"its stacks reached %s: the evaluation recurses without end (CUE reports a structural cycle "+
						"for most such configurations; this one is not caught)", FormatBytes(stacks))}
			}
		case <-deadline:
			return &LimitError{Where: progress.where(), Limit: fmt.Sprintf(
				"it took longer than %s (--timeout); a configuration this slow is likely a runaway evaluation "+
					"(a huge replicas count, for example): raise --timeout if it is not", limits.Timeout)}
		case <-tick:
			if heap, over := overMemory(limits.MaxMemory); over {
				return memoryError(progress, heap, limits.MaxMemory)
			}
		}
	}
}

// maxStacks bounds the memory of goroutine stacks: far above what any
// configuration needs, well below the 1 GB at which Go ends the process.
const maxStacks = 256 << 20

func stackBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(sample)
	return sampleValue(sample[0])
}

func memoryError(progress *Progress, heap, limit uint64) *LimitError {
	return &LimitError{Where: progress.where(), Limit: fmt.Sprintf(
		"its memory reached %s, over --max-memory %s; this is likely a runaway evaluation "+
			"(a huge replicas count, for example): raise --max-memory if it is not",
		FormatBytes(heap), FormatBytes(limit))}
}

// overMemory reports whether the live heap is over limit. The live heap
// is measured at the end of each garbage collection; when the heap holds
// more than the limit since then, a collection is forced to measure it.
func overMemory(limit uint64) (heap uint64, over bool) {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	live, objects := sampleValue(samples[0]), sampleValue(samples[1])
	if live > limit {
		return live, true
	}
	if objects <= limit {
		return live, false
	}
	runtime.GC()
	metrics.Read(samples[:1])
	live = sampleValue(samples[0])
	return live, live > limit
}

func sampleValue(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

// FormatBytes prints n bytes as a Kubernetes-style binary quantity, the
// form --max-memory takes: 512Mi, 4Gi, 1.5Gi.
func FormatBytes(n uint64) string {
	units := []string{"", "Ki", "Mi", "Gi", "Ti"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + units[i]
}
