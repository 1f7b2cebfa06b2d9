package engine

import (
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const inputsApp = `package c

import "github.com/celestra-dev/celestra/presets"

apps: db: presets.#Postgres & {
	storage: size: "1Gi"
	secrets: "db-secret": data: password: "pw"
`

// loadWithin loads path, failing the test if Load blocks: a FIFO read would
// block forever.
func loadWithin(t *testing.T, l *Loader, path string) (*Result, error) {
	t.Helper()
	type result struct {
		r   *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := l.Load(path)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		return res.r, res.err
	case <-time.After(60 * time.Second):
		t.Fatalf("Load(%s) blocked", path)
		return nil, nil
	}
}

func writeInput(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Inputs CUE would read badly are refused with a message naming them (and
// the field, where there is one); none blocks.
func TestLoadRefusesBadInputs(t *testing.T) {
	l := newTestLoader(t)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, base string) string // returns the path to load
		want  []string
	}{
		{
			name: "the configuration is a FIFO",
			setup: func(t *testing.T, base string) string {
				mkfifo(t, filepath.Join(base, "app.cue"))
				return filepath.Join(base, "app.cue")
			},
			want: []string{"app.cue: is a named pipe (FIFO), not a file or folder"},
		},
		{
			name:  "the configuration is a device",
			setup: func(t *testing.T, base string) string { return "/dev/null" },
			want:  []string{"/dev/null: is a device"},
		},
		{
			name: "the configuration is a socket",
			setup: func(t *testing.T, base string) string {
				p := filepath.Join(base, "s.cue")
				ln, err := net.Listen("unix", p)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
				return p
			},
			want: []string{"s.cue: is a socket"},
		},
		{
			name: "a FIFO .cue file in the folder",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), inputsApp+"}\n")
				mkfifo(t, filepath.Join(base, "cfg", "x.cue"))
				return filepath.Join(base, "cfg")
			},
			want: []string{"x.cue: is a named pipe (FIFO), not a regular file"},
		},
		{
			name: "a link to a FIFO in the folder",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), inputsApp+"}\n")
				mkfifo(t, filepath.Join(base, "fifo"))
				if err := os.Symlink("../fifo", filepath.Join(base, "cfg", "a.cue")); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(base, "cfg")
			},
			want: []string{"a.cue: is a named pipe (FIFO)"},
		},
		{
			name: "a string that is not UTF-8",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), inputsApp+"\tenv: GREETING: \"gr\xfc\xdf\"\n}\n")
				return filepath.Join(base, "cfg")
			},
			want: []string{"app.cue:8:20: apps.db.env.GREETING: byte 0xfc is not valid UTF-8"},
		},
		{
			name: "@embed through a link out of the folder",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "outside", "key.pem"), "secret\n")
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), "@extern(embed)\n"+inputsApp+
					"\tsecrets: tls: data: \"key.pem\": _ @embed(file=certs/key.pem, type=text)\n}\n")
				if err := os.Symlink("../outside", filepath.Join(base, "cfg", "certs")); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(base, "cfg")
			},
			want: []string{"apps.db.secrets.tls.data.\"key.pem\"", "outside the configuration's folder"},
		},
		{
			name: "@embed of a file linked out of the folder",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "outside", "key.pem"), "secret\n")
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), "@extern(embed)\n"+inputsApp+
					"\tsecrets: tls: data: \"key.pem\": _ @embed(file=key.pem, type=text)\n}\n")
				if err := os.Symlink("../outside/key.pem", filepath.Join(base, "cfg", "key.pem")); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(base, "cfg")
			},
			want: []string{"outside the configuration's folder"},
		},
		{
			name: "@embed of a text file that is not UTF-8",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), "@extern(embed)\n"+inputsApp+
					"\tsecrets: tls: data: \"key.pem\": _ @embed(file=key.pem, type=text)\n}\n")
				writeInput(t, filepath.Join(base, "cfg", "key.pem"), "ab\xffc")
				return filepath.Join(base, "cfg")
			},
			want: []string{"apps.db.secrets.tls.data.\"key.pem\"", "byte 0xff at offset 2 is not valid UTF-8"},
		},
		{
			name: "@embed of a FIFO",
			setup: func(t *testing.T, base string) string {
				writeInput(t, filepath.Join(base, "cfg", "app.cue"), "@extern(embed)\n"+inputsApp+
					"\tsecrets: tls: data: \"key.pem\": _ @embed(file=key.pem, type=text)\n}\n")
				mkfifo(t, filepath.Join(base, "cfg", "key.pem"))
				return filepath.Join(base, "cfg")
			},
			want: []string{"it is a named pipe (FIFO)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			_, err := loadWithin(t, l, tc.setup(t, base))
			var cfgErr *ConfigError
			if err == nil || !errorsAs(err, &cfgErr) {
				t.Fatalf("error %v, want a configuration error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// What the checks must let through: a link inside the folder, and UTF-8.
func TestLoadAcceptsEmbedsInsideTheFolder(t *testing.T) {
	base := t.TempDir()
	writeInput(t, filepath.Join(base, "cfg", "app.cue"), "@extern(embed)\n"+inputsApp+
		"\tsecrets: tls: data: \"key.pem\": _ @embed(file=certs/key.pem, type=text)\n}\n")
	writeInput(t, filepath.Join(base, "cfg", "real", "key.pem"), "grüße\n")
	if err := os.Symlink("real", filepath.Join(base, "cfg", "certs")); err != nil {
		t.Fatal(err)
	}
	r, err := loadWithin(t, newTestLoader(t), filepath.Join(base, "cfg"))
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, o := range r.Objects {
		if strings.Contains(string(o.JSON), base64.StdEncoding.EncodeToString([]byte("grüße\n"))) {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the embedded file is in %d objects, want 1", found)
	}
}

func errorsAs(err error, target **ConfigError) bool { return errors.As(err, target) }
