package serve

import (
	"fmt"

	"charm.land/ssh"
)

// The largest terminal a session may have. The size is the client's word, up to 4294967295 cells a side, and the
// renderer allocates a buffer of 112 bytes a cell before drawing a thing, so an absurd size takes the process down
// with it (out of memory is fatal: no recover catches it). 512×256 is more than a 4K screen at a small font, and
// its buffers take some 15 MB a copy.
const (
	maxWidth  = 512
	maxHeight = 256
)

// clampWindow returns w within what a terminal can be, and whether that changed it.
func clampWindow(w ssh.Window) (ssh.Window, bool) {
	c := w
	c.Width = min(max(w.Width, 0), maxWidth)
	c.Height = min(max(w.Height, 0), maxHeight)
	return c, c != w
}

// clampNotice tells the user why the console draws less than the terminal asked for.
func clampNotice(asked, got ssh.Window) string {
	return fmt.Sprintf("your terminal says it is %d×%d; the console draws at most %d×%d, here %d×%d",
		asked.Width, asked.Height, maxWidth, maxHeight, got.Width, got.Height)
}

// sized relays a session's window sizes (the first is the PTY's own), each clamped to what a terminal can be. It
// never blocks the SSH library, whose requests wait behind a window change not taken: a size still waiting for the
// console is replaced by the newer one. A size that had to be clamped is told on notes (only the latest waits) and,
// the first time, to clamped.
func sized(in <-chan ssh.Window, clamped func(asked ssh.Window)) (sizes <-chan ssh.Window, notes <-chan string) {
	out, told := make(chan ssh.Window, 1), make(chan string, 1)
	go func() {
		defer close(out)
		first := true
		for w := range in {
			c, changed := clampWindow(w)
			if changed {
				replace(told, clampNotice(w, c))
				if first {
					first = false
					clamped(w)
				}
			}
			replace(out, c)
		}
	}()
	return out, told
}

// replace puts v on ch, a channel of one that only the caller sends on, dropping the value waiting there if any.
func replace[T any](ch chan T, v T) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}
