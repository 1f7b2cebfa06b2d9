package helm

import "testing"

func TestParseImage(t *testing.T) {
	for _, c := range []struct {
		ref  string
		want imageRef
	}{
		{"postgres", imageRef{Repository: "postgres"}},
		{"postgres:15", imageRef{Repository: "postgres", Tag: "15"}},
		{"ghcr.io/acme/queue:2.4.1", imageRef{Repository: "ghcr.io/acme/queue", Tag: "2.4.1"}},
		{"localhost:5000/db", imageRef{Repository: "localhost:5000/db"}},
		{"localhost:5000/db:1@sha256:abcd", imageRef{Repository: "localhost:5000/db", Tag: "1", Digest: "sha256:abcd"}},
		{"redis@sha256:abcd", imageRef{Repository: "redis", Digest: "sha256:abcd"}},
	} {
		got := parseImage(c.ref)
		if got != c.want {
			t.Errorf("parseImage(%q) = %+v, want %+v", c.ref, got, c.want)
		}
		if got.String() != c.ref {
			t.Errorf("%q joins back as %q", c.ref, got.String())
		}
	}
}
