package helm

import "strings"

// imageRef is an image reference split the way Helm values usually hold it.
type imageRef struct {
	Repository string
	Tag        string
	Digest     string
}

// parseImage splits "registry:5000/path/name:tag@sha256:..." into repository,
// tag and digest. The tag is what follows the last ':' after the last '/'
// (a registry port is not a tag).
func parseImage(ref string) imageRef {
	var r imageRef
	rest := ref
	if i := strings.Index(rest, "@"); i >= 0 {
		rest, r.Digest = rest[:i], rest[i+1:]
	}
	slash := strings.LastIndex(rest, "/")
	if i := strings.LastIndex(rest, ":"); i > slash {
		rest, r.Tag = rest[:i], rest[i+1:]
	}
	r.Repository = rest
	return r
}

// String joins the parts again, as the chart's image helper does.
func (r imageRef) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}
