package serve

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// The most input a session may send. A terminal sends keys, mouse reports and short answers to queries; only a
// paste is long. Past these limits the input cannot be a person's, and the console's input decoder would keep it
// all in memory (a bracketed paste until its end, as runes, four bytes a character; an unfinished escape sequence
// for as long as more input follows it within 50 ms), so the session is ended instead.
const (
	maxPaste = 64 << 10  // bytes in one bracketed paste
	maxBurst = 256 << 10 // bytes with no pause of burstGap between reads
	burstGap = 100 * time.Millisecond
)

// input is a session's keyboard: it notes when the user last sent anything, and stops at the first input past
// the limits, telling why on abused.
type input struct {
	r      io.Reader
	last   atomic.Int64 // unix nanoseconds of the last input
	abused chan string  // the one reason the input stopped
	guard  inputGuard   // only Read uses it
	cut    bool         // only Read uses it
	clock  func() time.Time
}

func newInput(r io.Reader) *input {
	in := &input{r: r, abused: make(chan string, 1), clock: time.Now}
	in.last.Store(in.clock().UnixNano())
	return in
}

// Read reads the session's input; after input past the limits it drops that read and returns io.EOF.
func (in *input) Read(p []byte) (int, error) {
	if in.cut {
		return 0, io.EOF
	}
	n, err := in.r.Read(p)
	if n > 0 {
		now := in.clock()
		in.last.Store(now.UnixNano())
		if why := in.guard.check(p[:n], now); why != "" {
			in.cut = true
			in.abused <- why
			return 0, io.EOF
		}
	}
	return n, err
}

// since returns how long ago the last input came.
func (in *input) since() time.Duration { return time.Since(time.Unix(0, in.last.Load())) }

// inputGuard follows a session's input for the limits: the bytes of the current burst, and the bracketed paste
// markers, ESC [ 200 ~ and 201 ~ (or with the one-byte CSI, 0x9b), read the way the console's decoder reads them,
// at the start of a character, whatever the reads' boundaries.
type inputGuard struct {
	burst   int
	at      time.Time // of the last read
	pasting bool
	pasted  int
	cont    int // UTF-8 continuation bytes still due in the current character
	mark    int // progress through a paste marker; see step
}

// check follows b, read at now, and returns why it is past the limits, or "".
func (g *inputGuard) check(b []byte, now time.Time) string {
	if now.Sub(g.at) >= burstGap {
		g.burst = 0
	}
	g.at = now
	g.burst += len(b)
	for _, c := range b {
		g.step(c)
	}
	switch {
	case g.pasting && g.pasted > maxPaste:
		return fmt.Sprintf("fleetkey: a paste of more than %d KiB; goodbye", maxPaste>>10)
	case g.burst > maxBurst:
		return fmt.Sprintf("fleetkey: more than %d KiB of input without a pause; goodbye", maxBurst>>10)
	}
	return ""
}

// The states of inputGuard.mark: what of a paste marker has been read.
const (
	markNone = iota
	markEsc  // ESC
	markCSI  // ESC [ or 0x9b
	mark2    // …2
	mark20   // …20
	mark200  // …200
	mark201  // …201
)

// step follows one byte.
func (g *inputGuard) step(c byte) {
	if g.pasting {
		g.pasted++
	}
	if g.cont > 0 && c&0xC0 == 0x80 { // inside a character: never the start of a sequence
		g.cont--
		g.mark = markNone
		return
	}
	g.cont = 0
	switch {
	case c == 0x1b:
		g.mark = markEsc
		return
	case c == 0x9b:
		g.mark = markCSI
		return
	case c >= 0xC2 && c <= 0xDF:
		g.cont = 1
	case c >= 0xE0 && c <= 0xEF:
		g.cont = 2
	case c >= 0xF0 && c <= 0xF4:
		g.cont = 3
	}
	g.mark = g.next(c)
}

// next is the marker state after c, following g.mark; it starts or ends the paste when c completes a marker.
func (g *inputGuard) next(c byte) int {
	switch {
	case g.mark == markEsc && c == '[':
		return markCSI
	case g.mark == markCSI && c == '2':
		return mark2
	case g.mark == mark2 && c == '0':
		return mark20
	case g.mark == mark20 && c == '0':
		return mark200
	case g.mark == mark20 && c == '1':
		return mark201
	case g.mark == mark200 && c == '~':
		g.pasting, g.pasted = true, 0
	case g.mark == mark201 && c == '~':
		g.pasting = false
	}
	return markNone
}
