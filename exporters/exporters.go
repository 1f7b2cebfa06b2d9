// Package exporters holds what every output format has in common. Each
// format is a package beside this one.
package exporters

import "github.com/celestra-dev/celestra/internal/engine"

// Files are an exporter's output: file contents keyed by slash-separated path
// relative to the output folder.
type Files map[string][]byte

// PrivateFiles is implemented by an exporter some of whose files hold secret
// values. The writer makes those files readable by their owner only.
type PrivateFiles interface {
	// Private reports whether the file at path, as Export returns it,
	// holds secret values.
	Private(path string) bool
}

// Exporter writes a validated configuration in one format.
type Exporter interface {
	// Export returns the files of the format. It writes nothing itself, so
	// the caller can write all of them or none.
	Export(r *engine.Result) (Files, error)
}
