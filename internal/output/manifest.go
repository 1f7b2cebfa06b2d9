package output

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
)

// manifestHeader is the first line of a manifest. A manifest without it was
// written by an older celestra that recorded no content hashes: its entries
// prove nothing, so none of them is replaced or removed without --force.
const manifestHeader = "# celestra output manifest v2: the files (sha256 of their content) and folders celestra wrote here. Do not edit."

// manifest is what an export wrote into the output folder: every file with
// the SHA-256 of its content, and every folder celestra created.
type manifest struct {
	files map[string]string // path -> hex SHA-256
	dirs  map[string]bool
}

func newManifest() manifest {
	return manifest{files: map[string]string{}, dirs: map[string]bool{}}
}

// encode writes the manifest, one sorted entry per line:
//
//	file <sha256> <path>
//	folder <path>
func (m manifest) encode() []byte {
	var b bytes.Buffer
	b.WriteString(manifestHeader + "\n")
	for _, p := range slices.Sorted(maps.Keys(m.dirs)) {
		fmt.Fprintf(&b, "folder %s\n", p)
	}
	for _, p := range slices.Sorted(maps.Keys(m.files)) {
		fmt.Fprintf(&b, "file %s %s\n", m.files[p], p)
	}
	return b.Bytes()
}

// decodeManifest reads a manifest. A line that is not a valid entry (an
// edited manifest: a path with "..", an absolute path, a reserved name, a
// malformed hash) is an error naming the line, unless ignoreInvalid is set;
// then the line is dropped and reported in skipped, and celestra never acts
// on it. A manifest of an older celestra (plain paths) gives no entries.
func decodeManifest(data []byte, ignoreInvalid bool) (m manifest, skipped []string, legacy bool, err error) {
	m = newManifest()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != manifestHeader {
				return newManifest(), nil, true, nil
			}
			continue
		}
		if text == "" {
			continue
		}
		if e := m.add(text); e != nil {
			if !ignoreInvalid {
				return newManifest(), nil, false, fmt.Errorf("%s line %d: %v (was the file edited? fix or delete it, or use --force to ignore the line)", ManifestName, line, e)
			}
			skipped = append(skipped, fmt.Sprintf("%s line %d: %v", ManifestName, line, e))
		}
	}
	if err := sc.Err(); err != nil {
		return newManifest(), nil, false, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	return m, skipped, false, nil
}

func (m manifest) add(line string) error {
	kind, rest, _ := strings.Cut(line, " ")
	switch kind {
	case "folder":
		if err := checkLocal(rest); err != nil {
			return err
		}
		m.dirs[rest] = true
	case "file":
		sum, p, _ := strings.Cut(rest, " ")
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%q is not a SHA-256", sum)
		}
		if err := checkLocal(p); err != nil {
			return err
		}
		m.files[p] = sum
	default:
		return fmt.Errorf("unknown entry %q", kind)
	}
	return nil
}

// checkLocal accepts a slash-separated path that names something strictly
// inside the output folder and not one of celestra's own files: relative,
// clean (no "." or ".." element, no doubled or trailing slash), printable.
func checkLocal(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("empty path")
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q is an absolute path", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%q is not a clean path inside the output folder", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r == '\\' || !unicode.IsPrint(r) }):
		return fmt.Errorf("%q holds a backslash or an unprintable character", p)
	case strings.HasPrefix(strings.SplitN(p, "/", 2)[0], ".celestra-"):
		return fmt.Errorf("%q is a name reserved by celestra", p)
	}
	return nil
}

// parents are the folders that hold p, outermost first ("a", "a/b" for
// "a/b/c").
func parents(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
