//go:build !linux

package output

import (
	"errors"
	"os"
)

// haveSyncfs: elsewhere each staged file is synced on its own.
const haveSyncfs = false

func syncfs(*os.File) error { return errors.New("syncfs is Linux only") }
