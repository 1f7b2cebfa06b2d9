// Package celestra holds the celestra CUE module (schemas, presets, the
// renderers and the generated Kubernetes definitions) so that the CLI can load
// it with no network and no copy on disk.
package celestra

import "embed"

// ModulePath is the CUE module path, without the major version suffix.
const ModulePath = "github.com/celestra-dev/celestra"

// Module is the CUE module at the repository root, as embedded in the binary.
//
//go:embed cue.mod/module.cue celestra.cue environments.cue schemas presets kubernetes k8s
var Module embed.FS

// CUELanguageVersion is the CUE language version the module is written for:
// the version of cuelang.org/go in go.mod.
const CUELanguageVersion = "v0.17.1"
