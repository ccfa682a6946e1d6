package serve

import (
	"bytes"
	"context"
	"fmt"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// fingerprintExt is where the key handler leaves the fingerprint of the key it accepted, for authorize to compare
// with the key the client actually proved.
const fingerprintExt = "fleetkey-pubkey-fp"

// keyCtx is the context key of the Key a connection was authorized as.
type keyCtx struct{}

// loadKeys loads the allowlist and indexes it by fingerprint.
func loadKeys(path string) (map[string]Key, error) {
	list, err := loadAuthorizedKeys(path)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("authorized keys %s lists no key: nobody could connect", path)
	}
	keys := make(map[string]Key, len(list))
	for _, k := range list {
		keys[gossh.FingerprintSHA256(k.Key)] = k
	}
	return keys, nil
}

// lookup returns the authorized key equal to pk.
func (s *Server) lookup(pk gossh.PublicKey) (Key, bool) {
	k, ok := s.keys[gossh.FingerprintSHA256(pk)]
	if !ok || !bytes.Equal(k.Key.Marshal(), pk.Marshal()) {
		return Key{}, false
	}
	return k, true
}

// checkKey is the public-key handler. It may be asked about keys the client never proves (it is how a client
// probes which of its keys would do), so it grants nothing itself: it notes the fingerprint it accepted, and
// authorize decides on the key the session was really authenticated with.
func (s *Server) checkKey(ctx ssh.Context, pk ssh.PublicKey) bool {
	fp := gossh.FingerprintSHA256(pk)
	if _, ok := s.lookup(pk); !ok {
		s.d.Log.Info("key refused: not in the authorized keys", "fingerprint", fp)
		return false
	}
	perms := ctx.Permissions()
	if perms.Extensions == nil {
		perms.Extensions = map[string]string{}
	}
	perms.Extensions[fingerprintExt] = fp
	return true
}

// authorize admits a session on the key it was authenticated with (sess.PublicKey()), after checking, as
// soft-serve does, that it is the key the handler accepted (CVE-2024-45337), and records it for the inner handlers.
func (s *Server) authorize(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		pk := sess.PublicKey()
		if pk == nil {
			s.d.Log.Warn("session refused: no public key")
			refuse(sess, "fleetkey: only public keys may connect")
			return
		}
		fp := gossh.FingerprintSHA256(pk)
		k, ok := s.lookup(pk)
		if !ok || sess.Permissions().Extensions[fingerprintExt] != fp {
			s.d.Log.Warn("session refused: the key used is not the key accepted", "fingerprint", fp)
			refuse(sess, "fleetkey: this key is not allowed")
			return
		}
		sess.Context().SetValue(keyCtx{}, k)
		next(sess)
	}
}

// keyOf returns the key the connection of ctx was authorized as.
func keyOf(ctx context.Context) (Key, bool) {
	k, ok := ctx.Value(keyCtx{}).(Key)
	return k, ok
}
