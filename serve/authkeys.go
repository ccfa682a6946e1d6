package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	gossh "golang.org/x/crypto/ssh"
)

// Role is what a key may do in the served console.
type Role int

// The roles. Viewer is the zero value: a key with no role option can only watch.
const (
	Viewer   Role = iota // sees everything; cannot read, connect or change anything
	Operator             // everything the local console can do
)

// String returns the role as written in authorized_keys.
func (r Role) String() string {
	if r == Operator {
		return "operator"
	}
	return "viewer"
}

// Key is one entry of the serve allowlist.
type Key struct {
	Role        Role
	Comment     string // who: shown in the audit and the session's header
	Fingerprint string // SHA256 fingerprint, as ssh-keygen -l shows it
	Key         gossh.PublicKey
}

// loadAuthorizedKeys reads the serve allowlist: OpenSSH authorized_keys lines with an optional `role=operator` or
// `role=viewer` option in front (none: viewer). Any other option is refused rather than ignored, because OpenSSH
// options such as from= would look enforced and are not. Every problem is reported with its line, all at once.
func loadAuthorizedKeys(path string) ([]Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	return parseAuthorizedKeys(path, data)
}

// parseAuthorizedKeys parses an allowlist; name is used in messages.
func parseAuthorizedKeys(name string, data []byte) ([]Key, error) {
	var keys []Key
	var errs []error
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := parseKeyLine(line)
		if err == nil {
			if first, dup := seen[k.Fingerprint]; dup {
				err = fmt.Errorf("the same key as line %d", first)
			}
			seen[k.Fingerprint] = n
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, n, err))
			continue
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return keys, errors.Join(errs...)
}

func parseKeyLine(line string) (Key, error) {
	pk, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return Key{}, fmt.Errorf("not a public key: %w", err)
	}
	k := Key{Comment: comment, Fingerprint: gossh.FingerprintSHA256(pk), Key: pk}
	for _, o := range options {
		switch o {
		case "role=operator", `role="operator"`:
			k.Role = Operator
		case "role=viewer", `role="viewer"`:
			k.Role = Viewer
		default:
			return Key{}, fmt.Errorf("option %q is not understood: the only option is role=operator or role=viewer", o)
		}
	}
	if k.Comment == "" {
		k.Comment = k.Fingerprint
	}
	return k, nil
}
