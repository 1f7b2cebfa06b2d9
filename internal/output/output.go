// Package output replaces the files of an export in an output folder as one
// step that survives a crash, without ever touching a file celestra did not
// write, without ever leaving the folder, and with secret files private.
//
// # Staying inside the folder
//
// The folder is opened once as an [os.Root]; every stat, open, create,
// rename, remove and chmod below it goes through that Root, which refuses
// any path that would leave the folder, including through a symbolic link
// swapped in during the export. On top of that, celestra refuses (with an
// error naming it) a symbolic link at any path it must write or remove, or
// among the folders above such a path, so it never acts through a link even
// inside the folder. Paths from an exporter, from the manifest and from a
// journal must be clean relative paths ([checkLocal]); the manifest and the
// journal are checked before anything is done.
//
// # What is celestra's
//
// The manifest, .celestra-files, lists every file of the last export with
// the SHA-256 of its content, and every folder celestra created. A file is
// celestra's only if it is listed and its content still has that hash.
// Before anything changes, every destination is checked: a file that exists
// and is not celestra's (not listed, or edited since) fails the export,
// naming it, unless Force is set; a folder, a symbolic link or a special
// file in the way fails it in every case. A file of the previous export that
// the new one does not produce is removed only if its content is unchanged
// (an edited one is kept, and no longer listed); a folder celestra created
// is removed when nothing is left in it. Nothing else is ever removed.
//
// # Crash consistency: a journal rolled forward
//
// An export runs in these steps, holding an exclusive flock(2) on the
// output folder, so that concurrent exports into one folder run one after
// the other (the last one wins, complete; on Unix, elsewhere there is no
// lock):
//
//  1. Recovery: a committed journal (.celestra-journal) left by an earlier
//     run is applied again from its first operation, and the run says so on
//     standard error; a staging folder (.celestra-staging) is then removed.
//  2. Plan: the old manifest and the folder are read and every check above
//     is made. Nothing has changed yet, so any refusal leaves the folder as
//     it was.
//  3. Stage: each new or changed file, and the new manifest, is written
//     into .celestra-staging (on the same file system, so moves are
//     renames), with its final mode; the file system is then synced
//     (syncfs(2) on Linux, else each file), and the journal, the list of operations (removals of
//     files whose content must still match, folder removals, folder
//     creations and modes, renames of staged files, the manifest last) with
//     its checksum, is written and synced in staging.
//  4. Commit: the journal is renamed to .celestra-journal and the folder is
//     synced. This rename is the instant the new export takes effect.
//  5. Apply: the operations run in order; the touched folders are synced;
//     the journal and then staging are removed.
//
// Every operation is idempotent (a rename whose staged file is gone is done;
// a removal checks the content first; mkdir accepts the folder that is
// there), so applying a journal again from the start after a crash at any
// point of step 5, or of a recovery, reaches the same end. A crash before
// step 4 leaves the old export untouched beside a staging folder, which the
// next run removes; a crash after it leaves a committed journal, which the
// next run completes. So after the next run's recovery the folder holds the
// complete old export or the complete new one, and files that are not
// celestra's are as they were. The tests kill a real process (SIGKILL) at
// every removal, folder change, move and sync, at the commit, at one in
// three staging steps, and during recoveries, and check exactly this.
//
// An interruption (the context is cancelled: SIGINT or SIGTERM in the CLI)
// before the commit removes staging and returns an error; after the commit
// the export is completed first.
//
// # Modes
//
// Files marked private (those holding secret values) are created 0600 and
// every folder celestra creates to hold one, at any depth, 0700; other
// files are 0644 and folders 0755. The modes are given when the file or
// folder is created, so the umask can only narrow them. A folder celestra
// created earlier gets the mode its new content needs; folders it did not
// create keep theirs.
package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/celestra-dev/celestra/exporters"
)

// ManifestName is the file, inside the output folder, that lists the files
// celestra wrote there (with their content hashes) and the folders it
// created.
const ManifestName = ".celestra-files"

// Modes of what celestra writes, before the umask.
const (
	privateFileMode fs.FileMode = 0o600
	privateDirMode  fs.FileMode = 0o700
	publicFileMode  fs.FileMode = 0o644
	publicDirMode   fs.FileMode = 0o755
)

// Options are the choices of one Write.
type Options struct {
	// Private are the paths of the files that hold secret values.
	Private map[string]bool
	// Force overwrites files that celestra did not write (or that were
	// edited since), and ignores invalid lines of the manifest. It never
	// removes a folder, or writes through a symbolic link.
	Force bool
	// Log receives notes: an interrupted export completed, a lock waited
	// for, files kept because they were edited. Nil discards them.
	Log io.Writer

	// testHook, in tests, runs before every step that changes the folder.
	testHook func(step string)
}

// Write replaces the previous export in dir with files, creating dir if
// needed. On an error before the commit (every refusal, and an
// interruption through ctx), dir holds the previous export as it was.
func Write(ctx context.Context, dir string, files exporters.Files, opts Options) error {
	if len(files) == 0 {
		return errors.New("nothing to write")
	}
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		if err := checkLocal(p); err != nil {
			return fmt.Errorf("refusing to write %q: %v", p, err)
		}
		for _, d := range parents(p) {
			if _, isFile := files[d]; isFile {
				return fmt.Errorf("refusing to write %q: it is both a file and a folder of the export", d)
			}
		}
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	if _, err := os.Lstat(dir); missing(err) {
		mode := publicDirMode
		if len(opts.Private) > 0 {
			mode = privateDirMode
		}
		if err := os.MkdirAll(dir, mode); err != nil {
			return fmt.Errorf("create output folder: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open output folder: %w", err)
	}
	defer root.Close()
	t := &tx{root: root, dir: dir, ctx: ctx, hook: opts.testHook, umask: processUmask(), realDirs: map[string]bool{}}

	unlock, err := t.lock(log)
	if err != nil {
		return err
	}
	defer unlock()
	if err := t.recover(log); err != nil {
		return err
	}

	p, err := t.plan(files, paths, opts)
	if err != nil {
		return err
	}
	if p.unchanged {
		return nil
	}
	if err := t.stage(files, p); err != nil {
		t.ctx, t.hook = nil, nil
		if rerr := t.removeStaging(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, errInterrupted) {
			return fmt.Errorf("interrupted: nothing was written to %s", dir)
		}
		return err
	}
	if err := t.commitAndApply(); err != nil {
		return err
	}
	for _, note := range p.notes {
		fmt.Fprintln(log, note)
	}
	return nil
}

// Recover completes, in dir, an export that was stopped after its commit
// and removes the staging of one stopped before, exactly as the next Write
// would before its own work. It says on log what it completed.
func Recover(dir string, log io.Writer) error {
	return recoverFolder(dir, log, nil)
}

func recoverFolder(dir string, log io.Writer, hook func(string)) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open output folder: %w", err)
	}
	defer root.Close()
	t := &tx{root: root, dir: dir, ctx: context.Background(), hook: hook, umask: processUmask(), realDirs: map[string]bool{}}
	unlock, err := t.lock(log)
	if err != nil {
		return err
	}
	defer unlock()
	return t.recover(log)
}

func (t *tx) recover(log io.Writer) error {
	completed, err := t.recoverJournal()
	if err != nil {
		return err
	}
	if completed {
		fmt.Fprintf(log, "celestra: completed an interrupted export into %s (from its journal %s)\n", t.dir, journalName)
	}
	return nil
}

// lock takes an exclusive flock on the output folder, waiting for another
// export to finish (and saying so), or until ctx is done.
func (t *tx) lock(log io.Writer) (func(), error) {
	f, err := t.root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("open output folder: %w", err)
	}
	told := false
	for {
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock output folder %s: %w", t.dir, err)
		}
		if locked {
			return func() { f.Close() }, nil
		}
		if !told {
			fmt.Fprintf(log, "celestra: waiting for another export into %s to finish\n", t.dir)
			told = true
		}
		select {
		case <-t.ctx.Done():
			f.Close()
			return nil, fmt.Errorf("interrupted: nothing was written to %s", t.dir)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// plan is what an export changes, decided before anything changes.
type plan struct {
	// staged are the paths of the files to write (new or changed), in
	// order; the i-th is staged as "f<i>".
	staged   []string
	private  map[string]bool
	ops      []op
	manifest []byte
	notes    []string
	// unchanged is set when the folder already holds exactly this export.
	unchanged bool
}

// plan reads the old manifest and the folder and makes every check.
func (t *tx) plan(files exporters.Files, paths []string, opts Options) (*plan, error) {
	old, err := t.readManifest(opts.Force)
	if err != nil {
		return nil, err
	}
	p := &plan{private: opts.Private}
	next := newManifest()
	var removals, rmdirs, mkdirs, chmods, renames []op

	// Files of the old export that this one does not produce.
	removed := map[string]bool{}
	for _, f := range slices.Sorted(maps.Keys(old.files)) {
		if _, wanted := files[f]; wanted {
			continue
		}
		info, err := t.inspectListed(f)
		switch {
		case err != nil:
			return nil, err
		case info == nil:
			continue
		case !info.Mode().IsRegular():
			p.notes = append(p.notes, fmt.Sprintf("celestra: kept %s: it is no longer the file celestra wrote", t.show(f)))
			continue
		}
		sum, err := t.fileHash(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", t.show(f), err)
		}
		if sum != old.files[f] {
			p.notes = append(p.notes, fmt.Sprintf("celestra: kept %s: it was edited since celestra wrote it", t.show(f)))
			continue
		}
		removed[f] = true
		removals = append(removals, op{Op: opRemove, Path: f, Hash: sum})
	}

	// The folders the new files need, and who owns them.
	needed := map[string]bool{}
	privateDir := map[string]bool{}
	for _, f := range paths {
		for _, d := range parents(f) {
			needed[d] = true
			if opts.Private[f] {
				privateDir[d] = true
			}
		}
	}
	dirMode := func(d string) fs.FileMode {
		if privateDir[d] {
			return privateDirMode
		}
		return publicDirMode
	}

	// Folders celestra created that the new export does not need: removed,
	// deepest first, when nothing else is left in them.
	gone := map[string]bool{}
	for _, d := range slices.Backward(slices.Sorted(maps.Keys(old.dirs))) {
		if needed[d] {
			continue
		}
		info, err := t.inspectListed(d)
		switch {
		case err != nil:
			return nil, err
		case info == nil:
			continue
		case !info.IsDir():
			continue
		}
		empty, err := t.emptyAfter(d, removed, gone)
		if err != nil {
			return nil, err
		}
		if !empty {
			next.dirs[d] = true // still celestra's, removed once empty
			continue
		}
		gone[d] = true
		rmdirs = append(rmdirs, op{Op: opRmdir, Path: d})
	}

	// The folders the new files go into.
	for _, d := range slices.Sorted(maps.Keys(needed)) {
		info, err := t.root.Lstat(d)
		switch {
		case missing(err) || (err == nil && removed[d]):
			mkdirs = append(mkdirs, op{Op: opMkdir, Path: d, Mode: dirMode(d)})
			next.dirs[d] = true
			continue
		case err != nil:
			return nil, fmt.Errorf("inspect %s: %w", t.show(d), err)
		case info.Mode()&fs.ModeSymlink != 0:
			return nil, t.symlinkError(d)
		case !info.IsDir():
			return nil, fmt.Errorf("cannot write into %s: it is a file, not a folder (celestra did not write it; move it away)", t.show(d))
		}
		if old.dirs[d] {
			next.dirs[d] = true
			want := dirMode(d) &^ t.umask
			if info.Mode().Perm() != want {
				chmods = append(chmods, op{Op: opChmod, Path: d, Mode: dirMode(d)})
			}
		}
	}

	// The files.
	var foreign []string
	for _, f := range paths {
		sum := hashOf(files[f])
		next.files[f] = sum
		if err := t.checkParents(f, removed); err != nil {
			return nil, err
		}
		info, err := t.root.Lstat(f)
		switch {
		case missing(err) || (err == nil && (removed[f] || gone[f])):
		case err != nil:
			return nil, fmt.Errorf("inspect %s: %w", t.show(f), err)
		case info.Mode()&fs.ModeSymlink != 0:
			return nil, t.symlinkError(f)
		case info.IsDir():
			return nil, fmt.Errorf("cannot write %s: a folder is in the way (celestra did not create it; move it away)", t.show(f))
		case !info.Mode().IsRegular():
			return nil, fmt.Errorf("cannot write %s: something that is not a regular file is in the way", t.show(f))
		default:
			cur, err := t.fileHash(f)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", t.show(f), err)
			}
			if old.files[f] != cur && !opts.Force {
				foreign = append(foreign, t.show(f))
				continue
			}
			if old.files[f] == cur && cur == sum && (info.Mode().Perm()&0o077 == 0) == opts.Private[f] {
				continue // already in place
			}
		}
		renames = append(renames, op{Op: opRename, Path: f, From: fmt.Sprintf("f%d", len(p.staged))})
		p.staged = append(p.staged, f)
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("refusing to overwrite %s: celestra did not write %s, or %s edited since (%s lists what celestra wrote); move %s away, or use --force to overwrite",
			strings.Join(foreign, ", "), plural(len(foreign), "it", "them"), plural(len(foreign), "it was", "they were"), ManifestName, plural(len(foreign), "it", "them"))
	}

	p.manifest = next.encode()
	p.ops = slices.Concat(removals, rmdirs, mkdirs, chmods, renames)
	if len(p.ops) == 0 {
		if cur, err := t.root.ReadFile(ManifestName); err == nil && string(cur) == string(p.manifest) {
			p.unchanged = true
			return p, nil
		}
	}
	p.ops = append(p.ops, op{Op: opRename, Path: ManifestName, From: stagedManifest})
	return p, nil
}

// emptyAfter reports whether folder d holds nothing once the planned
// removals (files removed, folders gone) are done.
func (t *tx) emptyAfter(d string, removed, gone map[string]bool) (bool, error) {
	f, err := t.root.OpenFile(d, os.O_RDONLY|oDirectory|oNoFollow, 0)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", t.show(d), err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", t.show(d), err)
	}
	for _, n := range names {
		if c := path.Join(d, n); !removed[c] && !gone[c] {
			return false, nil
		}
	}
	return true, nil
}

// readManifest reads the previous export's manifest; none is an empty one.
func (t *tx) readManifest(force bool) (manifest, error) {
	info, err := t.root.Lstat(ManifestName)
	if missing(err) {
		return newManifest(), nil
	}
	if err != nil {
		return manifest{}, fmt.Errorf("inspect %s: %w", t.show(ManifestName), err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return manifest{}, t.symlinkError(ManifestName)
	}
	if !info.Mode().IsRegular() {
		return manifest{}, fmt.Errorf("%s is not a regular file", t.show(ManifestName))
	}
	data, err := t.root.ReadFile(ManifestName)
	if err != nil {
		return manifest{}, fmt.Errorf("read %s: %w", t.show(ManifestName), err)
	}
	m, _, _, err := decodeManifest(data, force)
	if err != nil {
		return manifest{}, fmt.Errorf("%w (in %s)", err, t.dir)
	}
	return m, nil
}

// stage writes the new and changed files and the manifest into the staging
// folder and makes them durable, then writes the journal there.
func (t *tx) stage(files exporters.Files, p *plan) error {
	if err := t.step("mkdir staging"); err != nil {
		return err
	}
	if err := t.root.Mkdir(stagingName, privateDirMode); err != nil {
		return fmt.Errorf("create %s: %w", t.show(stagingName), err)
	}
	for i, f := range p.staged {
		mode := publicFileMode
		if p.private[f] {
			mode = privateFileMode
		}
		if err := t.writeStaged(fmt.Sprintf("f%d", i), files[f], mode); err != nil {
			return fmt.Errorf("stage %s: %w", f, err)
		}
	}
	if err := t.writeStaged(stagedManifest, p.manifest, publicFileMode); err != nil {
		return fmt.Errorf("stage %s: %w", ManifestName, err)
	}
	if err := t.step("sync staging"); err != nil {
		return err
	}
	if err := t.syncAll(); err != nil {
		return err
	}
	data, err := encodeJournal(p.ops)
	if err != nil {
		return err
	}
	if err := t.writeStaged(stagedJournal, data, privateFileMode); err != nil {
		return err
	}
	return t.step("commit")
}

// writeStaged creates one file in staging, refusing anything already there.
func (t *tx) writeStaged(name string, data []byte, mode fs.FileMode) error {
	if err := t.step("create " + name); err != nil {
		return err
	}
	f, err := t.root.OpenFile(stagingName+"/"+name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, mode)
	if err != nil {
		return err
	}
	if err := t.step("write " + name); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if name == stagedJournal || !haveSyncfs {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// commitAndApply puts the journal in place (the commit), applies it, and
// removes it and staging.
func (t *tx) commitAndApply() error {
	if err := t.root.Rename(stagingName+"/"+stagedJournal, journalName); err != nil {
		return fmt.Errorf("commit %s: %w", t.show(journalName), err)
	}
	t.committed = true
	if err := t.syncDirs([]string{"."}); err != nil {
		return err
	}
	_, err := t.recoverJournal()
	return err
}

// syncAll makes the staged files durable: one syncfs(2) of the file system
// where it is available, else each file and the staging folder.
func (t *tx) syncAll() error {
	f, err := t.root.OpenFile(stagingName, os.O_RDONLY|oDirectory|oNoFollow, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", t.show(stagingName), err)
	}
	defer f.Close()
	if haveSyncfs {
		if err := syncfs(f); err != nil {
			return fmt.Errorf("sync %s: %w", t.show(stagingName), err)
		}
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.show(stagingName), err)
	}
	return nil
}

// processUmask reads the umask without changing it (Linux: from
// /proc/self/status), or assumes the usual 022.
func processUmask() fs.FileMode {
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				var m uint32
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%o", &m); err == nil {
					return fs.FileMode(m) & fs.ModePerm
				}
			}
		}
	}
	return 0o022
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
