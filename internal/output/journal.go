package output

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Names celestra keeps in the output folder besides the exported files.
const (
	// journalName is the committed journal: while it exists, an export is
	// being applied, and the next run completes it.
	journalName = ".celestra-journal"
	// stagingName is the folder new files are written to before they are
	// moved into place; without a journal it is stale and removed.
	stagingName = ".celestra-staging"
	// stagedJournal and stagedManifest are their names inside staging.
	stagedJournal  = "journal"
	stagedManifest = "manifest"
)

// The operations of a journal, applied in the order listed. Each is
// idempotent, so a journal can be applied again from its first operation
// after a crash at any point.
const (
	// opRemove removes a file that still has the content celestra wrote
	// (Hash); a file that is gone or changed is left alone.
	opRemove = "remove"
	// opRmdir removes a folder celestra created, when it is empty.
	opRmdir = "rmdir"
	// opMkdir creates a folder (Mode), or accepts the one that is there.
	opMkdir = "mkdir"
	// opChmod gives a folder celestra created the mode its content needs.
	opChmod = "chmod"
	// opRename moves a staged file (From, a name in the staging folder)
	// into place; a staged file that is gone was moved already.
	opRename = "rename"
)

// op is one step of a journal.
type op struct {
	Op   string      `json:"op"`
	Path string      `json:"path"`
	From string      `json:"from,omitempty"`
	Mode fs.FileMode `json:"mode,omitempty"`
	Hash string      `json:"sha256,omitempty"`
}

// journal is the list of operations that turn the old export into the new
// one. Sum is the SHA-256 of the JSON of Ops: a journal that does not match
// it was not written by celestra and is not applied.
type journal struct {
	Ops []op   `json:"ops"`
	Sum string `json:"sum"`
}

func opsSum(ops []op) (string, error) {
	data, err := json.Marshal(ops)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func encodeJournal(ops []op) ([]byte, error) {
	sum, err := opsSum(ops)
	if err != nil {
		return nil, err
	}
	return json.Marshal(journal{Ops: ops, Sum: sum})
}

func decodeJournal(data []byte) ([]op, error) {
	var j journal
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", journalName, err)
	}
	if sum, err := opsSum(j.Ops); err != nil || sum != j.Sum {
		return nil, fmt.Errorf("%s does not match its checksum: it was not written by celestra", journalName)
	}
	for _, o := range j.Ops {
		if err := o.check(); err != nil {
			return nil, fmt.Errorf("%s: %w", journalName, err)
		}
	}
	return j.Ops, nil
}

// check refuses an operation that would reach outside the export's own
// paths, whatever the journal says.
func (o op) check() error {
	if o.Op == opRename && o.Path == ManifestName && o.From == stagedManifest {
		return nil
	}
	if err := checkLocal(o.Path); err != nil {
		return err
	}
	switch o.Op {
	case opRemove, opRmdir:
		return nil
	case opMkdir, opChmod:
		if o.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("mode %v of %s", o.Mode, o.Path)
		}
		return nil
	case opRename:
		if o.From == "" || strings.ContainsAny(o.From, `/\`) || o.From == ".." || o.From == "." {
			return fmt.Errorf("staged name %q", o.From)
		}
		return nil
	}
	return fmt.Errorf("unknown operation %q", o.Op)
}

// tx is one writer's access to the output folder. Every path it takes is
// relative to root, and every operation goes through root, which cannot
// leave the folder.
type tx struct {
	root *os.Root
	dir  string // the folder as the user named it, for messages
	ctx  context.Context
	// committed is set once the journal is in place: from then on the
	// export is completed, whatever happens to ctx.
	committed bool
	// hook, in tests, runs before each step that changes the folder.
	hook  func(step string)
	umask fs.FileMode
	// realDirs caches the folders found to be real folders, not links.
	realDirs map[string]bool
}

// step runs before each change to the folder: the test hook, then the
// check for an interruption (before the commit only).
func (t *tx) step(what string) error {
	if t.hook != nil {
		t.hook(what)
	}
	if !t.committed && t.ctx != nil {
		if err := t.ctx.Err(); err != nil {
			return errInterrupted
		}
	}
	return nil
}

var errInterrupted = errors.New("interrupted")

func (t *tx) show(p string) string {
	return filepath.Join(t.dir, filepath.FromSlash(p))
}

func (t *tx) symlinkError(p string) error {
	return fmt.Errorf("%s is a symbolic link: celestra never writes or removes through a symbolic link in the output folder (remove it, or choose another folder)", t.show(p))
}

// inspectListed looks at p, a path the previous export's list names: nil
// when nothing of celestra's can be there (it is gone, or a file replaced
// one of its folders), an error for a symbolic link on the way.
func (t *tx) inspectListed(p string) (fs.FileInfo, error) {
	var nf *notFolderError
	if err := t.checkParents(p, nil); errors.As(err, &nf) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	info, err := t.root.Lstat(p)
	switch {
	case missing(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("inspect %s: %w", t.show(p), err)
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, t.symlinkError(p)
	}
	return info, nil
}

// checkParents refuses a path whose folders include a symbolic link or a
// file. Folders that do not exist, or that are files in replaced (removed
// before the folder is created), are fine: they will be created.
func (t *tx) checkParents(p string, replaced map[string]bool) error {
	for _, d := range parents(p) {
		if t.realDirs[d] {
			continue
		}
		if replaced[d] {
			return nil
		}
		info, err := t.root.Lstat(d)
		if missing(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("inspect %s: %w", t.show(d), err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return t.symlinkError(d)
		}
		if !info.IsDir() {
			return &notFolderError{t.show(d)}
		}
		t.realDirs[d] = true
	}
	return nil
}

// notFolderError is a file where a path needs a folder.
type notFolderError struct{ path string }

func (e *notFolderError) Error() string { return e.path + " is not a folder" }

// missing reports an error that means "there is nothing at this path".
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// fileHash is the SHA-256 of the regular file at p, read without following
// a final symbolic link and without blocking on a FIFO swapped in.
func (t *tx) fileHash(p string) (string, error) {
	f, err := t.root.OpenFile(p, os.O_RDONLY|oNoFollow|oNonblock, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", t.show(p))
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// setDirMode gives a folder its mode through a descriptor of the folder
// itself, so that a link swapped in is never followed.
func (t *tx) setDirMode(p string, mode fs.FileMode) error {
	f, err := t.root.OpenFile(p, os.O_RDONLY|oDirectory|oNoFollow, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Chmod(mode)
}

// apply runs the operations of a journal, then makes their effect durable.
func (t *tx) apply(ops []op) error {
	dirty := map[string]bool{".": true}
	t.realDirs = map[string]bool{} // the folders may have changed since the plan
	for _, o := range ops {
		if err := t.step(o.Op + " " + o.Path); err != nil {
			return err
		}
		if err := t.checkParents(o.Path, nil); err != nil {
			var nf *notFolderError
			if (o.Op == opRemove || o.Op == opRmdir) && errors.As(err, &nf) {
				continue // nothing to remove there: a file replaced the folder
			}
			return err
		}
		if err := t.applyOne(o); err != nil {
			return fmt.Errorf("%s %s: %w", o.Op, t.show(o.Path), err)
		}
		dirty[path.Dir(o.Path)] = true
	}
	if err := t.step("sync"); err != nil {
		return err
	}
	return t.syncDirs(slices.Sorted(maps.Keys(dirty)))
}

func (t *tx) applyOne(o op) error {
	switch o.Op {
	case opRemove:
		info, err := t.root.Lstat(o.Path)
		if missing(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil // no longer the file celestra wrote
		}
		if sum, err := t.fileHash(o.Path); err != nil || sum != o.Hash {
			return nil // changed since: not celestra's any more
		}
		if err := t.root.Remove(o.Path); err != nil && !missing(err) {
			return err
		}
	case opRmdir:
		info, err := t.root.Lstat(o.Path)
		if missing(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if !info.IsDir() {
			return nil
		}
		err = t.root.Remove(o.Path)
		if err != nil && !missing(err) && !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			return err
		}
	case opMkdir:
		err := t.root.Mkdir(o.Path, o.Mode)
		if errors.Is(err, fs.ErrExist) {
			info, lerr := t.root.Lstat(o.Path)
			if lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
				return t.symlinkError(o.Path)
			}
			if lerr != nil || !info.IsDir() {
				return fmt.Errorf("a file is where the folder goes")
			}
			return nil
		}
		return err
	case opChmod:
		return t.setDirMode(o.Path, o.Mode&^t.umask)
	case opRename:
		from := stagingName + "/" + o.From
		if _, err := t.root.Lstat(from); missing(err) {
			return nil // moved already
		}
		if info, err := t.root.Lstat(o.Path); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			return t.symlinkError(o.Path)
		}
		return t.root.Rename(from, o.Path)
	}
	return nil
}

// syncDirs flushes the named folders' entries to disk, those that exist.
func (t *tx) syncDirs(dirs []string) error {
	for _, d := range dirs {
		f, err := t.root.OpenFile(d, os.O_RDONLY|oDirectory|oNoFollow, 0)
		if missing(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sync %s: %w", t.show(d), err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", t.show(d), err)
		}
	}
	return nil
}

// recoverJournal completes an export whose journal is committed, and removes
// staging left by an export that was stopped before its commit. It reports
// whether there was a journal to complete.
func (t *tx) recoverJournal() (bool, error) {
	info, err := t.root.Lstat(journalName)
	if err != nil && !missing(err) {
		return false, fmt.Errorf("inspect %s: %w", t.show(journalName), err)
	}
	completed := false
	if err == nil {
		if !info.Mode().IsRegular() {
			return false, fmt.Errorf("%s is not a regular file: remove it", t.show(journalName))
		}
		data, err := t.root.ReadFile(journalName)
		if err != nil {
			return false, fmt.Errorf("read %s: %w", t.show(journalName), err)
		}
		ops, err := decodeJournal(data)
		if err != nil {
			return false, fmt.Errorf("%w (in %s)", err, t.dir)
		}
		if err := t.applyJournal(ops); err != nil {
			return false, err
		}
		completed = true
	}
	if err := t.removeStaging(); err != nil {
		return completed, err
	}
	return completed, t.removeLegacyStaging()
}

// removeLegacyStaging removes the staging folders of older celestra
// versions (".celestra-staging-<random>"), which a killed run left behind
// with every file of its export, secrets included.
func (t *tx) removeLegacyStaging() error {
	f, err := t.root.Open(".")
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if !strings.HasPrefix(n, stagingName+"-") {
			continue
		}
		if info, err := t.root.Lstat(n); err != nil || !info.IsDir() {
			continue // not a folder celestra made: leave it
		}
		if err := t.step("remove " + n); err != nil {
			return err
		}
		if err := t.root.RemoveAll(n); err != nil {
			return fmt.Errorf("remove %s: %w", t.show(n), err)
		}
	}
	return nil
}

// applyJournal applies a committed journal and removes it. Once committed,
// an export is completed whatever happens to the context.
func (t *tx) applyJournal(ops []op) error {
	committed := t.committed
	t.committed = true
	defer func() { t.committed = committed }()
	if err := t.apply(ops); err != nil {
		return fmt.Errorf("complete the export into %s: %w (the next run completes it)", t.dir, err)
	}
	if err := t.step("remove journal"); err != nil {
		return err
	}
	if err := t.root.Remove(journalName); err != nil && !missing(err) {
		return fmt.Errorf("remove %s: %w", t.show(journalName), err)
	}
	return nil
}

// removeStaging removes the staging folder, refusing a link in its place.
func (t *tx) removeStaging() error {
	info, err := t.root.Lstat(stagingName)
	if missing(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect %s: %w", t.show(stagingName), err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return t.symlinkError(stagingName)
	}
	if err := t.step("remove staging"); err != nil {
		return err
	}
	if err := t.root.RemoveAll(stagingName); err != nil {
		return fmt.Errorf("remove %s: %w", t.show(stagingName), err)
	}
	return nil
}
