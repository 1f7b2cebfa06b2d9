package gate

import (
	"cmp"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/celestra-dev/celestra/internal/engine"
)

// redacted replaces a secret value in a message.
const redacted = "<redacted>"

// minRawSecret is the shortest secret value that is redacted where it
// appears unquoted inside other text: shorter ones (a "y", a "1") occur
// everywhere by chance, and are redacted where a message quotes them.
const minRawSecret = 4

// redactor keeps the values of every Secret's data out of messages.
type redactor struct {
	// values are the Secrets' values, longest first, and their base64
	// forms (as a []byte value is printed).
	values []string
}

func newRedactor(objects []engine.Object) *redactor {
	seen := map[string]bool{}
	r := &redactor{}
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			r.values = append(r.values, v)
		}
	}
	for _, o := range objects {
		s, ok := o.Typed.(*corev1.Secret)
		if !ok {
			continue
		}
		for _, v := range s.Data {
			add(string(v))
			add(base64.StdEncoding.EncodeToString(v))
		}
		for _, v := range s.StringData {
			add(v)
			add(base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	slices.SortFunc(r.values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return r
}

// fieldError formats a field error of object o (subject "" for o itself).
// On a Secret, the value a data or stringData error quotes is dropped unless
// it is the entry's key: validation quotes keys, and must not quote values.
func (r *redactor) fieldError(o engine.Object, subject string, e *field.Error) string {
	s, isSecret := o.Typed.(*corev1.Secret)
	if isSecret && subject == "" && (strings.HasPrefix(e.Field, "data") || strings.HasPrefix(e.Field, "stringData")) {
		key, isString := e.BadValue.(string)
		_, inData := s.Data[key]
		_, inStringData := s.StringData[key]
		if !isString || !(inData || inStringData) {
			c := *e
			c.BadValue = redacted
			e = &c
		}
	}
	return r.text(e.Error())
}

// text removes every secret value from s: wherever it is quoted, and
// wherever it appears if it is long enough to be recognised.
func (r *redactor) text(s string) string {
	for _, v := range r.values {
		s = strings.ReplaceAll(s, strconv.Quote(v), strconv.Quote(redacted))
		if len(v) >= minRawSecret {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}
