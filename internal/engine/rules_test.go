package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ruleSamples are strings on both sides of Kubernetes' rules for names,
// keys and values.
var ruleSamples = []string{
	"", "a", "A", "0", "-a", "a-", "a_b", "a.b", "a b", "a/b", "a/b/c", "/a", "a/", "example.com/team",
	"Example.com/team", "example.com/Team", "ex_ample.com/team", "example..com/team", "-example.com/team",
	"example.com/-team", "a..b", ".", "..", "..data", ".hidden", "a=b", "1BAD", "_x", "x.y-z_1", "é",
	"app.kubernetes.io/name", strings.Repeat("a", 63), strings.Repeat("a", 64),
	strings.Repeat("a", 253) + "/x", strings.Repeat("a", 254) + "/x", strings.Repeat("a", 253),
	strings.Repeat("a", 254), "a.b/" + strings.Repeat("c", 63), "a.b/" + strings.Repeat("c", 64),
}

// checkRule unifies value with the definition at path of the schemas
// package and tells whether CUE refuses it.
func checkRule(t *testing.T, schemas cue.Value, path, value string) bool {
	t.Helper()
	v := schemas.LookupPath(cue.ParsePath(path)).Unify(schemas.Context().CompileString(value))
	return v.Validate(cue.Concrete(true)) != nil
}

// TestRulesAgreeWithKubernetes holds celestra's CUE rules for names, keys,
// values and quantities to the validation functions of k8s.io/apimachinery,
// the code the API server runs: on every sample, both accept or both refuse.
func TestRulesAgreeWithKubernetes(t *testing.T) {
	l := newTestLoader(t)
	schemas, err := l.embeddedPackage("./schemas")
	if err != nil {
		t.Fatal(err)
	}
	type rule struct {
		name       string
		cue        func(s string) (path, value string)
		kubernetes func(s string) bool // true when Kubernetes accepts s
	}
	rules := []rule{
		{"label key", func(s string) (string, string) { return "#Labels", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsQualifiedName(s)) == 0 }},
		{"label value", func(s string) (string, string) { return "#Labels", fmt.Sprintf("{k: %s}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsValidLabelValue(s)) == 0 }},
		{"annotation key", func(s string) (string, string) {
			return "#Annotations", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s))
		}, func(s string) bool { return len(validation.IsQualifiedName(strings.ToLower(s))) == 0 }},
		{"environment variable name", func(s string) (string, string) { return "#EnvMap", fmt.Sprintf("{%s: \"v\"}", strconv.Quote(s)) },
			func(s string) bool { return len(validation.IsEnvVarName(s)) == 0 }},
		{"object name", func(s string) (string, string) { return "#Name", strconv.Quote(s) },
			func(s string) bool { return len(validation.IsDNS1123Label(s)) == 0 }},
		{"Secret or ConfigMap key", func(s string) (string, string) {
			return "#StatefulApp", fmt.Sprintf("{name: \"a\", image: \"x\", configs: c: data: %s: \"v\"}", strconv.Quote(s))
		}, func(s string) bool { return len(validation.IsConfigMapKey(s)) == 0 }},
	}
	for _, r := range rules {
		for _, s := range ruleSamples {
			path, value := r.cue(s)
			refused := checkRule(t, schemas, path, value)
			if accepted := r.kubernetes(s); accepted == refused {
				t.Errorf("%s %q: Kubernetes accepts it: %v, celestra refuses it: %v", r.name, s, accepted, refused)
			}
		}
	}

	// Quantities: celestra takes unsigned quantities below 8Ei (Kubernetes
	// also keeps larger ones written with an exponent, such as 1e400).
	for _, s := range []string{"1", "1n", "1u", "500m", "2Gi", "1.5Gi", ".5", "5.", "1e3", "1E3", "1e-3", "1e+3",
		"0", "1Ki", "1k", "1ki", "1K", "2 Gi", "", "Gi", "1e400", "1e18", "7Ei", "1E", "7E", "10E", "1x", "1.2.3", "1e", "9223372036854775807"} {
		q, err := resource.ParseQuantity(s)
		// (Kubernetes reads a bare suffix such as "Gi" as zero; celestra
		// asks for a number.)
		accepted := err == nil && q.Cmp(resource.MustParse("8Ei")) < 0 && strings.ContainsAny(s, "0123456789")
		if refused := checkRule(t, schemas, "#Quantity", strconv.Quote(s)); accepted == refused {
			t.Errorf("quantity %q: Kubernetes (up to 8Ei) accepts it: %v, celestra refuses it: %v", s, accepted, refused)
		}
	}
	// Kubernetes cuts larger quantities down to 2^63-1 without a word:
	// celestra refuses them.
	for _, s := range []string{"8Ei", "9Ei", "16Ei"} {
		if q := resource.MustParse(s); q.Value() != math.MaxInt64 {
			t.Fatalf("%s: Kubernetes reads %s, not 2^63-1", s, q.String())
		}
		if !checkRule(t, schemas, "#Quantity", strconv.Quote(s)) {
			t.Errorf("quantity %q: Kubernetes cuts it down to 2^63-1, celestra accepts it", s)
		}
	}
}
