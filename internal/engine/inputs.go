package engine

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
)

// checkInputs refuses, before CUE reads anything, what it would read badly:
// a configuration path, or a .cue file of the configuration's folder (or of
// the folders above it up to the module root, whose files of the same
// package CUE also loads, or cue.mod), that is a FIFO, a device or a socket
// (reading one would block or make no sense); and a .cue file with bytes
// that are not UTF-8, which CUE would silently replace with U+FFFD.
func checkInputs(path string, info fs.FileInfo, dir, root string) error {
	if !info.IsDir() && !info.Mode().IsRegular() {
		return inputError(path, "", fmt.Sprintf("is %s, not a file or folder: celestra reads only regular .cue files", describeMode(info.Mode())))
	}
	files := []string{path}
	if info.IsDir() {
		files = nil
		for d := dir; ; d = filepath.Dir(d) {
			matches, err := filepath.Glob(filepath.Join(d, "*.cue"))
			if err != nil {
				return err
			}
			files = append(files, matches...)
			if d == root || filepath.Dir(d) == d || !strings.HasPrefix(d, root+string(filepath.Separator)) {
				break
			}
		}
	}
	if root != "" {
		matches, _ := filepath.Glob(filepath.Join(root, "cue.mod", "*.cue"))
		files = append(files, matches...)
	}
	var diags []Diagnostic
	for _, f := range files {
		fi, err := os.Stat(f) // follows a link: its target is what CUE reads
		if err != nil {
			continue // CUE reports it
		}
		if !fi.Mode().IsRegular() && !fi.IsDir() {
			diags = append(diags, Diagnostic{Position: displayFile(f), Message: fmt.Sprintf("is %s, not a regular file: celestra does not read it (it could block forever)", describeMode(fi.Mode()))})
			continue
		}
		if fi.IsDir() {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if d, ok := invalidUTF8(f, src); !ok {
			diags = append(diags, d)
		}
	}
	if len(diags) > 0 {
		return &ConfigError{Diagnostics: diags}
	}
	return nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func inputError(path, field, message string) error {
	return &ConfigError{Diagnostics: []Diagnostic{{Position: displayFile(path), Path: field, Message: message}}}
}

// displayFile is a file name as errors show it: relative to the working
// folder when it is below it.
func displayFile(file string) string {
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return file
}

// invalidUTF8 finds the first byte sequence of src that is not UTF-8 and
// reports its line, column and the field it is in.
func invalidUTF8(file string, src []byte) (Diagnostic, bool) {
	if utf8.Valid(src) {
		return Diagnostic{}, true
	}
	off := firstInvalid(src)
	line := 1 + strings.Count(string(src[:off]), "\n")
	col := off - strings.LastIndexByte(string(src[:off]), '\n')
	// Parse a copy where each invalid byte is a letter, so that offsets
	// stay the same, to find the field.
	clean := slices.Clone(src)
	for i := 0; i < len(clean); {
		r, size := utf8.DecodeRune(clean[i:])
		if r == utf8.RuneError && size <= 1 {
			clean[i] = 'x'
			size = 1
		}
		i += size
	}
	field := ""
	if f, err := parser.ParseFile(file, clean); err == nil {
		field = fieldAt(f, off)
	}
	return Diagnostic{
		Position: fmt.Sprintf("%s:%d:%d", displayFile(file), line, col),
		Path:     field,
		Message:  fmt.Sprintf("byte 0x%02x is not valid UTF-8: CUE would replace it with U+FFFD; save the file as UTF-8, or write bytes as escapes in a bytes literal ('\\x%02x')", src[off], src[off]),
	}, false
}

// fieldAt is the path of the innermost field of f whose text holds byte
// offset off.
func fieldAt(f *ast.File, off int) string {
	var stack, best []string
	ast.Walk(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok {
			return true
		}
		if n.Pos().Offset() > off || n.End().Offset() <= off {
			return false
		}
		stack = append(stack, labelText(field.Label))
		best = slices.Clone(stack)
		return true
	}, func(n ast.Node) {
		if field, ok := n.(*ast.Field); ok && field.Pos().Offset() <= off && off < field.End().Offset() {
			stack = stack[:len(stack)-1]
		}
	})
	return strings.Join(best, ".")
}

// labelText is a field's label as a CUE path shows it: quoted unless it is
// an identifier.
func labelText(l ast.Label) string {
	name, isIdent, err := ast.LabelName(l)
	if err != nil || isIdent {
		return name
	}
	return strconv.Quote(name)
}

// checkEmbeds refuses an @embed whose file, once symbolic links are
// resolved, is outside root (the configuration's folder, or the module it
// is in), is not a regular file, or, for any type but binary, is not UTF-8.
// CUE itself refuses ".." and absolute paths, but follows links.
func checkEmbeds(inst *build.Instance, root string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil
	}
	var diags []Diagnostic
	seen := map[*build.Instance]bool{}
	var visit func(*build.Instance)
	visit = func(inst *build.Instance) {
		if seen[inst] {
			return
		}
		seen[inst] = true
		for _, f := range inst.Files {
			if !strings.HasPrefix(f.Filename, root+string(filepath.Separator)) {
				continue // the embedded celestra module, or generated
			}
			diags = append(diags, fileEmbeds(f, realRoot)...)
		}
		for _, imp := range inst.Imports {
			visit(imp)
		}
	}
	visit(inst)
	if len(diags) > 0 {
		return &ConfigError{Diagnostics: diags}
	}
	return nil
}

func fileEmbeds(f *ast.File, realRoot string) []Diagnostic {
	var diags []Diagnostic
	var stack []string
	ast.Walk(f, func(n ast.Node) bool {
		field, ok := n.(*ast.Field)
		if !ok {
			return true
		}
		stack = append(stack, labelText(field.Label))
		for _, a := range field.Attrs {
			key, body := a.Split()
			if key != "embed" {
				continue
			}
			args := attrArgs(body)
			var targets []string
			if p := args["file"]; p != "" {
				targets = append(targets, filepath.Join(filepath.Dir(f.Filename), filepath.FromSlash(p)))
			}
			if g := args["glob"]; g != "" {
				matches, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Filename), filepath.FromSlash(g)))
				targets = append(targets, matches...)
			}
			for _, target := range targets {
				if msg := checkEmbedded(target, realRoot, args["type"]); msg != "" {
					pos := a.Pos()
					diags = append(diags, Diagnostic{
						Position: fmt.Sprintf("%s:%d:%d", displayFile(pos.Filename()), pos.Line(), pos.Column()),
						Path:     strings.Join(stack, "."),
						Message:  msg,
					})
				}
			}
		}
		return true
	}, func(n ast.Node) {
		if _, ok := n.(*ast.Field); ok {
			stack = stack[:len(stack)-1]
		}
	})
	return diags
}

// checkEmbedded says what is wrong with an embedded file, or "".
func checkEmbedded(target, realRoot, typ string) string {
	resolved, err := filepath.EvalSymlinks(target)
	if err != nil {
		return "" // CUE reports a missing file
	}
	if rel, err := filepath.Rel(realRoot, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Sprintf("@embed of %s: through a symbolic link it is %s, outside the configuration's folder %s; celestra embeds only files inside it", displayFile(target), resolved, realRoot)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return ""
	}
	if !info.Mode().IsRegular() {
		return fmt.Sprintf("@embed of %s: it is %s, not a regular file", displayFile(target), describeMode(info.Mode()))
	}
	if typ == "binary" {
		return ""
	}
	data, err := os.ReadFile(resolved)
	if err != nil {
		return ""
	}
	if d, ok := invalidUTF8Bytes(data); !ok {
		return fmt.Sprintf("@embed of %s: %s (use type=binary for bytes)", displayFile(target), d)
	}
	return ""
}

// invalidUTF8Bytes describes the first invalid byte of data.
func invalidUTF8Bytes(data []byte) (string, bool) {
	if utf8.Valid(data) {
		return "", true
	}
	off := firstInvalid(data)
	return fmt.Sprintf("byte 0x%02x at offset %d is not valid UTF-8 (CUE would replace it with U+FFFD)", data[off], off), false
}

// firstInvalid is the offset of the first byte of data that does not start
// a valid UTF-8 sequence (len(data) if there is none).
func firstInvalid(data []byte) int {
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return off
}

// attrArgs parses the key=value arguments of an attribute body.
func attrArgs(body string) map[string]string {
	args := map[string]string{}
	for _, part := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if u, err := strconv.Unquote(v); err == nil {
			v = u
		}
		args[strings.TrimSpace(k)] = v
	}
	return args
}
