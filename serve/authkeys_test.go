package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func testKeyLine(t *testing.T) (string, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk))), gossh.FingerprintSHA256(pk)
}

func TestParseAuthorizedKeys(t *testing.T) {
	a, fpA := testKeyLine(t)
	b, _ := testKeyLine(t)
	c, fpC := testKeyLine(t)
	data := "# the rotation\n\nrole=operator " + a + " alice@laptop\n" + b + " bob@desk\nrole=viewer " + c + "\n"
	keys, err := parseAuthorizedKeys("ak", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Fatalf("%d keys, want 3", len(keys))
	}
	want := []struct {
		role    Role
		comment string
	}{{Operator, "alice@laptop"}, {Viewer, "bob@desk"}, {Viewer, fpC}}
	for i, w := range want {
		if keys[i].Role != w.role || keys[i].Comment != w.comment {
			t.Errorf("key %d = %v %q, want %v %q", i, keys[i].Role, keys[i].Comment, w.role, w.comment)
		}
	}
	if keys[0].Fingerprint != fpA {
		t.Errorf("fingerprint = %q, want %q", keys[0].Fingerprint, fpA)
	}
}

func TestParseAuthorizedKeysProblems(t *testing.T) {
	a, _ := testKeyLine(t)
	data := "role=admin " + a + " x\nfrom=\"10.0.0.1\" " + a + " y\nnot a key\n" + a + " z\n" + a + " again\n"
	_, err := parseAuthorizedKeys("ak", []byte(data))
	if err == nil {
		t.Fatal("no error for a file full of problems")
	}
	for _, want := range []string{`ak:1: option "role=admin"`, `ak:2: option "from=\"10.0.0.1\""`, "ak:3: not a public key",
		"ak:5: the same key as line 4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
