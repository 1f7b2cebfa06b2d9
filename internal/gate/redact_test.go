package gate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/celestra-dev/celestra/internal/engine"
)

// TestRedactor: were a validation message to quote a Secret's value (the
// API server's own code redacts the ones it knows of), the gate's message
// would not carry it: not as the quoted value, not inside the detail, not
// in base64, and not as a Secret's whole data.
func TestRedactor(t *testing.T) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db-secret"},
		Data:       map[string][]byte{"password": []byte("s3cret-pw"), "pin": []byte("42")},
		StringData: map[string]string{"token": "tok-value"},
	}
	o := engine.Object{Key: "secret-db-secret", Kind: "Secret", Name: "db-secret", Typed: s}
	cm := engine.Object{Key: "configmap-c", Kind: "ConfigMap", Name: "c", Typed: &corev1.ConfigMap{}}
	r := newRedactor([]engine.Object{o, cm})
	data := field.NewPath("data")
	for _, tc := range []struct {
		name   string
		object engine.Object
		err    *field.Error
		want   string
	}{
		{"a value quoted as the bad value", o, field.Invalid(data.Key("password"), "s3cret-pw", "bad"),
			`data[password]: Invalid value: "<redacted>": bad`},
		{"a short value quoted", o, field.Invalid(data.Key("pin"), "42", "bad"),
			`data[pin]: Invalid value: "<redacted>": bad`},
		{"a key is kept", o, field.Invalid(data.Key("pin"), "pin", "bad key"),
			`data[pin]: Invalid value: "pin": bad key`},
		{"the whole data as the bad value", o, field.Invalid(data, s.Data, "too large"),
			`data: Invalid value: "<redacted>": too large`},
		{"a value in the detail", o, field.Invalid(data.Key("token"), "token", "cannot parse tok-value"),
			`data[token]: Invalid value: "token": cannot parse <redacted>`},
		{"a value quoted by another object's message", cm, field.Invalid(field.NewPath("data").Key("k"), "s3cret-pw", "x"),
			`data[k]: Invalid value: "<redacted>": x`},
		{"a value in base64", cm, field.Invalid(field.NewPath("binaryData").Key("k"), []byte("s3cret-pw"), "x"),
			`binaryData[k]: Invalid value: "<redacted>": x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.fieldError(tc.object, "", tc.err)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			for _, v := range []string{"s3cret-pw", "tok-value", `"42"`, "czNjcmV0LXB3"} {
				if strings.Contains(got, v) {
					t.Errorf("%q printed: %s", v, got)
				}
			}
		})
	}
}
