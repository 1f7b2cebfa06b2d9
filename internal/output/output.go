// Package output writes an exporter's files to a folder all at once: every
// file is first written to a staging folder beside the target, and only when
// all of them are written are they moved into place. Files that celestra did
// not write are never touched.
package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/celestra-dev/celestra/exporters"
)

// ManifestName is the file, inside the output folder, that lists the files
// celestra wrote there, so that a later export can remove the ones it no
// longer produces (and only those).
const ManifestName = ".celestra-files"

// Write puts files into dir, creating it if needed. On error, dir is left as
// it was.
func Write(dir string, files exporters.Files) error {
	if len(files) == 0 {
		return errors.New("nothing to write")
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		if !filepath.IsLocal(filepath.FromSlash(p)) || p == ManifestName {
			return fmt.Errorf("refusing to write %q outside the output folder", p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	staging, err := os.MkdirTemp(dir, ".celestra-staging-")
	if err != nil {
		return fmt.Errorf("create staging folder: %w", err)
	}
	defer os.RemoveAll(staging)

	for _, p := range paths {
		dst := filepath.Join(staging, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("stage %s: %w", p, err)
		}
		if err := os.WriteFile(dst, files[p], 0o644); err != nil {
			return fmt.Errorf("stage %s: %w", p, err)
		}
	}
	manifest := []byte(strings.Join(paths, "\n") + "\n")
	if err := os.WriteFile(filepath.Join(staging, ManifestName), manifest, 0o644); err != nil {
		return fmt.Errorf("stage file list: %w", err)
	}

	previous, err := readManifest(dir)
	if err != nil {
		return err
	}
	if err := checkDestinations(dir, paths); err != nil {
		return err
	}
	// Everything is staged and every destination is free: move into place.
	for _, p := range append(paths, ManifestName) {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Rename(filepath.Join(staging, filepath.FromSlash(p)), dst); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	// Remove what an earlier export wrote and this one no longer produces.
	for _, p := range previous {
		if _, still := files[p]; still || !filepath.IsLocal(filepath.FromSlash(p)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	return nil
}

// checkDestinations fails if any file cannot be put in place: a folder where
// a file goes, or a file where a folder goes.
func checkDestinations(dir string, paths []string) error {
	for _, p := range paths {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if info, err := os.Stat(dst); err == nil && info.IsDir() {
			return fmt.Errorf("cannot write %s: a folder is in the way", dst)
		}
		for parent := filepath.Dir(dst); parent != dir && parent != "."; parent = filepath.Dir(parent) {
			if info, err := os.Stat(parent); err == nil && !info.IsDir() {
				return fmt.Errorf("cannot write %s: %s is a file, not a folder", dst, parent)
			}
		}
	}
	return nil
}

func readManifest(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	var paths []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			paths = append(paths, line)
		}
	}
	return paths, sc.Err()
}
