package engine

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
)

func TestGuardTurnsAPanicIntoAnError(t *testing.T) {
	p := NewProgress("shop/")
	p.Enter("decoding objects", "db")
	err := Guard(Limits{}, p, func() error { panic("boom") })
	var evalErr *EvaluatorError
	if !errors.As(err, &evalErr) {
		t.Fatalf("err = %T %v, want *EvaluatorError", err, err)
	}
	want := `celestra's evaluator failed on the configuration shop/ while decoding objects (app "db"): boom`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message:\n%s\nwant prefix:\n%s", err, want)
	}
}

func TestGuardStopsARunawayAllocation(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	p := NewProgress("big/")
	p.Enter("evaluating", "")
	var kept [][]byte
	err := Guard(Limits{MaxMemory: 64 << 20, Timeout: time.Minute}, p, func() error {
		for {
			select {
			case <-stop:
				return nil
			default:
				kept = append(kept, make([]byte, 1<<20))
				time.Sleep(time.Millisecond)
			}
		}
	})
	var limitErr *LimitError
	if !errors.As(err, &limitErr) || !strings.Contains(err.Error(), "over --max-memory 64Mi") ||
		!strings.HasPrefix(err.Error(), "celestra stopped evaluating the configuration big/ while evaluating: its memory reached ") {
		t.Fatalf("err = %T %v", err, err)
	}
}

func TestGuardStopsAtItsDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	err := Guard(Limits{Timeout: 20 * time.Millisecond}, NewProgress("slow/"), func() error {
		<-release
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "it took longer than 20ms (--timeout)") {
		t.Fatalf("err = %v", err)
	}
}

func TestGuardPassesResultsThrough(t *testing.T) {
	want := errors.New("invalid")
	if err := Guard(DefaultLimits(), NewProgress("ok/"), func() error { return want }); err != want {
		t.Fatalf("err = %v", err)
	}
	if l := DefaultLimits(); l.Timeout != DefaultTimeout || l.MaxMemory < 1<<30 {
		t.Errorf("default limits %+v", l)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{512: "512", 1024: "1Ki", 1536 << 20: "1.5Gi", 4 << 30: "4Gi"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSecretDataPaths(t *testing.T) {
	for path, want := range map[string]bool{
		"apps.db.secrets.s.data.password":                     true,
		"environments.prod.db.secrets.s.data.password":        true,
		`kubernetes."secret-s".data.password`:                 true,
		`overlays.prod."secret-s".stringData.password`:        true,
		"apps.db.secrets.s.mountPath":                         false,
		`kubernetes."configmap-s".data.password`:              false,
		`kubernetes."statefulset-db".spec.template.spec.data`: false,
	} {
		if got := isSecretDataPath(strings.Split(path, ".")); got != want {
			t.Errorf("isSecretDataPath(%s) = %v", path, got)
		}
	}
}

func TestScrubberReplacesEveryForm(t *testing.T) {
	src := `package x
apps: db: secrets: s: data: {password: "hunter2-pw", pin: 4242, "key-name": "ab"}
environments: prod: db: secrets: s: data: password: """
	multi-line-secret
	"""
apps: db: env: X: "visible-value"
`
	f, err := parser.ParseFile("x.cue", src)
	if err != nil {
		t.Fatal(err)
	}
	s := newSecretScrubber(&build.Instance{Files: []*ast.File{f}})
	msg := `conflicting values "hunter2-pw" and 'ab' at line 4242:3; hunter2-pw raw, aHVudGVyMi1wdw== encoded, ` +
		`multi-line-secret, 4242 alone, 14242 inside, key "key-name", "ab" short, ab in a word, env "visible-value"`
	want := `conflicting values <redacted> and <redacted> at line 4242:3; <redacted> raw, <redacted> encoded, ` +
		`<redacted>, <redacted> alone, 14242 inside, key "key-name", <redacted> short, ab in a word, env "visible-value"`
	if got := s.scrub(msg); got != want {
		t.Errorf("scrub:\n got %s\nwant %s", got, want)
	}
}

// deepen recurses with 1 KiB frames until stop is set, slowly enough that
// Guard sees the stacks grow long before Go's 1 GB limit.
func deepen(depth int, stop *atomic.Bool) int {
	var frame [1024]byte
	if stop.Load() {
		return 0
	}
	if depth%100 == 0 {
		time.Sleep(time.Millisecond)
	}
	frame[depth%len(frame)] = byte(depth)
	return deepen(depth+1, stop) + int(frame[0])
}

func TestGuardStopsARunawayRecursion(t *testing.T) {
	var stop atomic.Bool
	defer stop.Store(true)
	err := Guard(Limits{Timeout: time.Minute}, NewProgress("deep/"), func() error {
		deepen(0, &stop)
		return nil
	})
	stop.Store(true)
	if err == nil || !strings.Contains(err.Error(), "the evaluation recurses without end") {
		t.Fatalf("err = %v", err)
	}
}
