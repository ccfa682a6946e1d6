package serve

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"
)

// tracked is one open session as the server sees it: it counts what the session is sent, and notes when a write
// to it began, so a stalled client can be told from a quiet one. It keeps the PTY as the session began, and every
// size the client gives clamped to what a terminal can be, before anything is drawn at that size.
type tracked struct {
	ssh.Session
	sent    atomic.Int64
	writing atomic.Int64 // unix nanoseconds at which the write in progress began; 0 when none is

	pty    ssh.Pty
	winch  <-chan ssh.Window
	notes  <-chan string // why a size was clamped, for the console's status line
	hasPty bool
}

// Pty returns the PTY as the session began, and the channel of its sizes, all clamped. The SSH library's own Pty
// reads the window that each window-change request writes, without a lock, so it is read once, at the start.
func (t *tracked) Pty() (ssh.Pty, <-chan ssh.Window, bool) { return t.pty, t.winch, t.hasPty }

// notices returns the channel of sess's size notices; nil, never ready, for a session the server does not track.
func notices(sess ssh.Session) <-chan string {
	if t, ok := sess.(*tracked); ok {
		return t.notes
	}
	return nil
}

// newTracked reads sess's PTY once and clamps its sizes.
func (s *Server) newTracked(sess ssh.Session) *tracked {
	t := &tracked{Session: sess}
	t.pty, t.winch, t.hasPty = sess.Pty()
	if !t.hasPty {
		return t
	}
	t.pty.Window, _ = clampWindow(t.pty.Window)
	t.winch, t.notes = sized(t.winch, func(asked ssh.Window) {
		var fp string
		if pk := sess.PublicKey(); pk != nil {
			fp = gossh.FingerprintSHA256(pk)
		}
		s.d.Log.Warn("terminal size clamped", "fingerprint", fp, "width", asked.Width, "height", asked.Height,
			"max_width", maxWidth, "max_height", maxHeight)
	})
	return t
}

// Write sends p to the client, counting it.
func (t *tracked) Write(p []byte) (int, error) {
	t.writing.Store(time.Now().UnixNano())
	n, err := t.Session.Write(p)
	t.writing.Store(0)
	t.sent.Add(int64(n))
	return n, err
}

// track registers every session until its handler ends (screen counted it when it asked to start), and says
// goodbye at once to one that starts while the server is stopping.
func (s *Server) track(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer s.release()
		t := s.newTracked(sess)
		if f := s.testHookSession.Load(); f != nil {
			(*f)()
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			farewell(t, closing{msg: goodbye})
			return
		}
		s.open[t] = struct{}{}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.open, t)
			s.mu.Unlock()
		}()
		next(t)
	}
}

// logf adapts the server log to the Printf loggers of Wish's middleware.
type logf func(format string, v ...any)

func (f logf) Printf(format string, v ...any) { f(format, v...) }

// recover keeps a panic in one session from taking the server down; it is logged with its stack.
func (s *Server) recover() wish.Middleware {
	return recover.MiddlewareWithLogger(logf(func(format string, v ...any) {
		s.d.Log.Error("session panicked", "panic", strings.TrimSpace(fmt.Sprintf(format, v...)))
	}))
}

// logging logs each session's start and end, naming its user by key comment and fingerprint only.
func (s *Server) logging(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		k, _ := keyOf(sess.Context())
		start := time.Now()
		pty, _, _ := sess.Pty()
		s.d.Log.Info("session start", "who", k.Comment, "fingerprint", k.Fingerprint, "role", k.Role.String(),
			"term", pty.Term, "width", pty.Window.Width, "height", pty.Window.Height)
		next(sess)
		var sent int64
		if t, ok := sess.(*tracked); ok {
			sent = t.sent.Load()
		}
		s.d.Log.Info("session end", "who", k.Comment, "fingerprint", k.Fingerprint,
			"duration", time.Since(start).Round(time.Millisecond).String(), "bytes_sent", sent)
	}
}

// limit refuses a console past MaxSessions.
func (s *Server) limit(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if n := s.active.Add(1); n > int64(s.cfg.MaxSessions) {
			s.active.Add(-1) // before the refusal: the client may try again as soon as it has it
			k, _ := keyOf(sess.Context())
			s.d.Log.Warn("session refused: the console is full", "who", k.Comment, "fingerprint", k.Fingerprint,
				"max_sessions", s.cfg.MaxSessions)
			refuse(sess, fmt.Sprintf("fleetkey: the console is full (%d sessions); try again later", s.cfg.MaxSessions))
			return
		}
		defer s.active.Add(-1)
		next(sess)
	}
}

// needTerminal refuses a session without a PTY: the console is all there is.
func (s *Server) needTerminal(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			refuse(sess, "fleetkey serve needs a terminal (ssh -t)")
			return
		}
		next(sess)
	}
}

// refuse tells the client why on its stderr and ends the session with status 1.
func refuse(sess ssh.Session, msg string) {
	_, _ = fmt.Fprint(sess.Stderr(), msg+eol(sess))
	_ = sess.Exit(1)
}

// eol ends a line for the session's terminal: an emulated PTY does no newline translation.
func eol(sess ssh.Session) string {
	if _, _, ok := sess.Pty(); ok {
		return "\r\n"
	}
	return "\n"
}
