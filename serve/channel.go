package serve

import (
	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// openSession handles every session channel: the SSH library's own handler, over a channel whose requests pass
// through screen first.
func (s *Server) openSession(srv *ssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, ctx ssh.Context) {
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
// the library would otherwise start the handler that was not counted.
func (s *Server) screen(in <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer close(out)
	start := notAsked
	for req := range in {
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
