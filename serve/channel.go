package serve

import (
	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// The most a client may ask of the SSH library that it keeps for a session, whose count and size are the client's
// choice: each session channel buffers what the client sends before the console reads it, and each env request
// adds to the session's environment. A terminal's client sends a few env variables (LANG, LC_*, TERM…), short.
const (
	maxEnv      = 64      // env requests per session
	maxEnvBytes = 4 << 10 // bytes of one env request
	channelsPer = 2       // session channels open at once, per max_sessions: the rest only hear the console is full
)

// openSession handles every session channel: the SSH library's own handler, over a channel whose requests pass
// through screen first. Past channelsPer×MaxSessions channels open, a new one is rejected at once.
func (s *Server) openSession(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
	defer s.channels.Add(-1)
	if s.channels.Add(1) > int64(channelsPer*s.cfg.MaxSessions) {
		_ = nc.Reject(gossh.ResourceShortage, "fleetkey: the console is full; try again later")
		return
	}
	ssh.DefaultSessionHandler(srv, conn, screened{NewChannel: nc, s: s}, ctx)
}

// screened is a session channel whose requests the server sees before the SSH library does.
type screened struct {
	gossh.NewChannel
	s *Server
}

// Accept accepts the channel and screens its requests.
func (c screened) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, in, err := c.NewChannel.Accept()
	if err != nil {
		return nil, nil, err
	}
	out := make(chan *gossh.Request)
	go c.s.screen(in, out)
	return ch, out, nil
}

// The answers to a session's first shell or exec request, as screen remembers them.
const (
	notAsked = iota
	admitted
	refused
)

// screen passes a session's requests on to the SSH library, in order. The first shell or exec request is admitted
// (counted) before the library answers it and starts the session's handler, so no stop can miss the session;
// once a stop has finished waiting, it is refused instead, and so is every later one of a refused session, since
// the library would otherwise start the handler that was not counted. Env requests past the limits are refused.
func (s *Server) screen(in <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer close(out)
	start, envs := notAsked, 0
	for req := range in {
		if req.Type == "env" {
			if envs++; envs > maxEnv || len(req.Payload) > maxEnvBytes {
				_ = req.Reply(false, nil)
				continue
			}
		}
		if req.Type == "shell" || req.Type == "exec" {
			if start == notAsked {
				start = refused
				if s.admit() {
					start = admitted
				}
			}
			if start == refused {
				_ = req.Reply(false, nil)
				continue
			}
		}
		out <- req
	}
}
