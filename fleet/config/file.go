package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is what opening a file that must be a regular file wraps when it is a FIFO, a device, a directory
// or a socket: reading one could block forever (a FIFO with no writer) or never end (/dev/zero).
var ErrNotRegular = errors.New("not a regular file")

// maxConfigSize bounds what Load reads: a [[vehicle]] entry is about 170 bytes, so a config of 100 000 vehicles is
// about 17 MiB, and 64 MiB leaves room for a few hundred thousand with comments while still refusing a file that is
// no config at all (a disk image, a log).
const maxConfigSize = 64 << 20

// OpenRegular opens the file at path for reading, or a link to one, and refuses anything else with an error naming
// the file and wrapping ErrNotRegular. The open never blocks: O_NONBLOCK makes a FIFO's open return at once (it has
// no effect on a regular file), and the file is checked through its descriptor, so a file swapped after the check
// is the one refused.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%s is %s: %w", path, fileKind(fi.Mode()), ErrNotRegular)
	}
	return f, nil
}

// fileKind names what a file that is not regular is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return fmt.Sprintf("of type %s", m.Type())
}

// readConfigFile reads the config file at path: a regular file of at most maxConfigSize bytes. A larger one is
// refused by its size, unread; the read goes into one buffer of the file's size, without io.ReadAll's copies, and is
// bounded still, for a file that grows while it is read.
func readConfigFile(path string) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	tooLarge := fmt.Errorf("%s is larger than %d MiB: not a fleetkey config", path, maxConfigSize>>20)
	if fi.Size() > maxConfigSize {
		return nil, tooLarge
	}
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, maxConfigSize+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxConfigSize {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}
