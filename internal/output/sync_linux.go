package output

import (
	"os"

	"golang.org/x/sys/unix"
)

// haveSyncfs: on Linux one syncfs(2) makes every staged file durable.
const haveSyncfs = true

func syncfs(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
}
