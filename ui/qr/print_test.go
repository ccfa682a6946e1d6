package qr

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"fleetkey/ui/qr/qrtest"
)

// TestWriteQRScans decodes what `fleetkey qr` prints, for each profile and background.
func TestWriteQRScans(t *testing.T) {
	for _, dark := range []bool{true, false} {
		for _, p := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI, colorprofile.ASCII} {
			var b bytes.Buffer
			if err := Write(&b, urlEnterprise, PrintOptions{Profile: p, DarkBG: dark}); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if last := lines[len(lines)-1]; last != urlEnterprise {
				t.Errorf("last line = %q, want the URL", last)
			}
			th := map[bool]qrtest.Theme{true: qrtest.Dark, false: qrtest.Light}[dark]
			if got, err := qrtest.Decode(qrtest.ScreenImage(b.String(), th, 4)); err != nil || got != urlEnterprise {
				t.Errorf("dark=%v %v: decode = %q, %v; want %q", dark, p, got, err, urlEnterprise)
			}
			if p == colorprofile.ASCII && strings.Contains(b.String(), "\x1b") {
				t.Errorf("NO_COLOR output carries escape sequences")
			}
		}
	}
}
