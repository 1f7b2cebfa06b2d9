package engine

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// TestRedactionKeepsARuleCount: under a Secret's data, the values CUE quotes
// in its messages are redacted; a count a rule's error() message gives stays.
func TestRedactionKeepsARuleCount(t *testing.T) {
	v := cuecontext.New().CompileString(`
apps: q: secrets: s: data: {
	a: "hunter2" & "hunter3"
	b: 31415926 & string
	c: error("Secret s holds \(len("xxxx")) bytes, \(true) \("\"quoted\"")")
}
`)
	err := newConfigError(v.Validate(cue.Concrete(true)), cue.Value{})
	msgs := err.Error()
	for _, leak := range []string{"hunter2", "hunter3", "31415926", `"quoted"`} {
		if strings.Contains(msgs, leak) {
			t.Errorf("messages show %s:\n%s", leak, msgs)
		}
	}
	if strings.Count(msgs, "conflicting values <redacted>") != 2 {
		t.Errorf("want both conflicts, redacted:\n%s", msgs)
	}
	if !strings.Contains(msgs, "Secret s holds 4 bytes, true <redacted>") {
		t.Errorf("the rule's count is redacted:\n%s", msgs)
	}
}
