package qr

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"fleetkey/ui/qr/qrtest"
)

// The virtual-key URLs of the two plans and a per-vehicle one. The
// per-vehicle URL is long enough to need a larger code (version 5 at M).
const (
	urlBuild      = "https://www.tesla.com/_ak/smartcar.com"
	urlEnterprise = "https://www.tesla.com/_ak/fleetco.app.car"
	urlVehicle    = "https://www.tesla.com/_ak/acme-logistics-eu.app.car?vin=5YJ3E1EA7KF317000"
)

func TestPaintFor(t *testing.T) {
	tests := []struct {
		name                     string
		colour, darkBG, inverted bool
		want                     Paint
	}{
		{"colour dark", true, true, false, Forced},
		{"colour light", true, false, false, Forced},
		{"colour dark inverted", true, true, true, Forced},
		{"colour light inverted", true, false, true, Forced},
		{"no colour dark", false, true, false, PlainDark},
		{"no colour light", false, false, false, PlainLight},
		{"no colour dark inverted", false, true, true, PlainLight},
		{"no colour light inverted", false, false, true, PlainDark},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PaintFor(tt.colour, tt.darkBG, tt.inverted); got != tt.want {
				t.Errorf("PaintFor(%v, %v, %v) = %v, want %v", tt.colour, tt.darkBG, tt.inverted, got, tt.want)
			}
		})
	}
}

func TestRenderSize(t *testing.T) {
	tests := []struct {
		name          string
		url           string
		quiet         int
		width, height int
	}{
		{"build quiet 2", urlBuild, 2, 33, 17},
		{"build quiet 3", urlBuild, 3, 35, 18},
		{"build quiet 4", urlBuild, 4, 37, 19},
		{"enterprise quiet 2", urlEnterprise, 2, 33, 17},
		{"enterprise quiet 4", urlEnterprise, 4, 37, 19},
		{"vehicle quiet 2", urlVehicle, 2, 41, 21},
		{"vehicle quiet 4", urlVehicle, 4, 45, 23},
	}
	for _, tt := range tests {
		for _, p := range []Paint{Forced, PlainDark, PlainLight} {
			t.Run(tt.name+" "+p.String(), func(t *testing.T) {
				code, err := Render(tt.url, tt.quiet, p)
				if err != nil {
					t.Fatalf("Render(%q, %d, %v) error: %v", tt.url, tt.quiet, p, err)
				}
				if code.Width != tt.width || code.Height != tt.height {
					t.Errorf("Render(%q, %d, %v) size = %d×%d, want %d×%d",
						tt.url, tt.quiet, p, code.Width, code.Height, tt.width, tt.height)
				}
				checkQRText(t, code)
			})
		}
	}
}

// checkQRText asserts that the text is a clean rectangle of code.Width×Height
// cells with nothing a terminal would act on besides colour.
func checkQRText(t *testing.T, code Code) {
	t.Helper()
	if strings.HasSuffix(code.Text, "\n") {
		t.Errorf("code text ends in a newline")
	}
	if strings.Contains(code.Text, "\x1b[c") {
		t.Errorf("code text holds a terminal probe \\x1b[c")
	}
	if w, h := lipgloss.Width(code.Text), lipgloss.Height(code.Text); w != code.Width || h != code.Height {
		t.Errorf("lipgloss size = %d×%d, want %d×%d", w, h, code.Width, code.Height)
	}
	for i, line := range strings.Split(code.Text, "\n") {
		if w := ansi.StringWidth(line); w != code.Width {
			t.Errorf("line %d width = %d, want %d", i, w, code.Width)
		}
		if strings.Trim(ansi.Strip(line), " ▀▄█") != "" {
			t.Errorf("line %d holds glyphs other than half blocks: %q", i, line)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name  string
		url   string
		quiet int
		paint Paint
	}{
		{"url too long", "https://www.tesla.com/_ak/" + strings.Repeat("x", 5000), 4, Forced},
		{"url too long plain", strings.Repeat("é", 3000), 2, PlainLight},
		{"empty url", "", 4, Forced},
		{"quiet zone 1", urlBuild, 1, Forced},
		{"quiet zone 5", urlBuild, 5, PlainDark},
		{"unknown paint", urlBuild, 4, Paint(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := Render(tt.url, tt.quiet, tt.paint)
			if err == nil {
				t.Fatalf("Render(%d-byte url, %d, %v) = %d×%d, want an error", len(tt.url), tt.quiet, tt.paint, code.Width, code.Height)
			}
			if code != (Code{}) {
				t.Errorf("Render(...) with error returned code %d×%d, want zero", code.Width, code.Height)
			}
		})
	}
}

// TestRenderNoStdout proves Render never reaches for the terminal:
// qrterminal probes stdout for sixel support when handed os.Stdout.
func TestRenderNoStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	_, renderErr := Render(urlBuild, 4, Forced)
	os.Stdout = saved
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	written, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if renderErr != nil {
		t.Fatalf("Render error: %v", renderErr)
	}
	if len(written) != 0 {
		t.Errorf("Render wrote %q to stdout, want nothing", written)
	}
}

// TestQRForcedAsShown checks what the forced colours become per profile.
func TestQRForcedAsShown(t *testing.T) {
	forced, err := Render(urlBuild, 2, Forced)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Render(urlBuild, 2, PlainDark)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		profile colorprofile.Profile
		want    string // the SGR that opens every full line
		outer   string // the SGR of the outer line: ink only
	}{
		{"truecolor", colorprofile.TrueColor, "\x1b[38;2;255;255;255;48;2;0;0;0m", "\x1b[38;2;255;255;255m"},
		{"ansi", colorprofile.ANSI, "\x1b[97;40m", "\x1b[97m"},
		{"no colour", colorprofile.Ascii, "\x1b[m", "\x1b[m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := strings.Split(qrtest.AsShown(forced.Text, tt.profile), "\n")
			outer := outerLine(2, len(lines))
			for i, line := range lines {
				want := tt.want
				if i == outer {
					want = tt.outer
				}
				if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, "\x1b[m") {
					t.Errorf("line %d = %q, want it to open with %q and end with a reset", i, line, want)
				}
			}
			if got := ansi.Strip(strings.Join(lines, "\n")); got != plain.Text {
				t.Errorf("forced code without colour =\n%s\nwant the plain dark code\n%s", got, plain.Text)
			}
		})
	}
}

// TestQRPlainLightIsSwapped checks the light set is the dark set with ink and
// paper exchanged, and that the outer line is blank instead of the solid bar
// qrterminal draws there (mdp/qrterminal#39).
func TestQRPlainLightIsSwapped(t *testing.T) {
	swap := strings.NewReplacer("█", " ", " ", "█", "▀", "▄", "▄", "▀")
	for _, quiet := range []int{2, 3, 4} {
		t.Run(fmt.Sprintf("quiet %d", quiet), func(t *testing.T) {
			dark, err := Render(urlVehicle, quiet, PlainDark)
			if err != nil {
				t.Fatal(err)
			}
			light, err := Render(urlVehicle, quiet, PlainLight)
			if err != nil {
				t.Fatal(err)
			}
			darkLines, lightLines := strings.Split(dark.Text, "\n"), strings.Split(light.Text, "\n")
			outer := outerLine(quiet, len(lightLines))
			for i := range lightLines {
				want := swap.Replace(darkLines[i])
				if i == outer {
					want = strings.Repeat(" ", light.Width)
				}
				if lightLines[i] != want {
					t.Errorf("plain light line %d = %q, want %q", i, lightLines[i], want)
				}
			}
		})
	}
}

func TestCacheGet(t *testing.T) {
	long := "https://www.tesla.com/_ak/" + strings.Repeat("x", 5000)
	steps := []struct {
		name        string
		url         string
		quiet       int
		paint       Paint
		wantRenders int
		wantErr     bool
	}{
		{"first", urlBuild, 4, Forced, 1, false},
		{"same again", urlBuild, 4, Forced, 1, false},
		{"other paint", urlBuild, 4, PlainLight, 2, false},
		{"other quiet", urlBuild, 2, Forced, 3, false},
		{"other url", urlVehicle, 4, Forced, 4, false},
		{"first again", urlBuild, 4, Forced, 4, false},
		{"too long", long, 4, Forced, 5, true},
		{"too long again", long, 4, Forced, 5, true},
	}
	c := NewCache()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := c.get(st.url, st.quiet, st.paint)
			if (err != nil) != st.wantErr {
				t.Fatalf("get(%d-byte url, %d, %v) error = %v, want error %v", len(st.url), st.quiet, st.paint, err, st.wantErr)
			}
			if c.renders != st.wantRenders {
				t.Errorf("after get(...) renders = %d, want %d", c.renders, st.wantRenders)
			}
			want, _ := Render(st.url, st.quiet, st.paint)
			if got != want {
				t.Errorf("get(%d-byte url, %d, %v) = %d×%d code differing from Render", len(st.url), st.quiet, st.paint, got.Width, got.Height)
			}
		})
	}
}

func TestCacheBounded(t *testing.T) {
	c := NewCache()
	for i := range cacheLimit + 10 {
		if _, err := c.get(fmt.Sprintf("https://www.tesla.com/_ak/f%d.app.car", i), 2, Forced); err != nil {
			t.Fatal(err)
		}
		if len(c.codes) > cacheLimit {
			t.Fatalf("after %d urls the cache holds %d codes, want at most %d", i+1, len(c.codes), cacheLimit)
		}
	}
	if c.renders != cacheLimit+10 {
		t.Errorf("renders = %d, want %d", c.renders, cacheLimit+10)
	}
}

func TestCacheFit(t *testing.T) {
	tests := []struct {
		name      string
		w, h      int
		wantOK    bool
		wantQuiet int
	}{
		{"roomy", 200, 100, true, 4},
		{"exactly quiet 4", 37, 19, true, 4},
		{"one column short of 4", 36, 19, true, 3},
		{"one row short of 4", 37, 18, true, 3},
		{"exactly quiet 3", 35, 18, true, 3},
		{"one column short of 3", 34, 18, true, 2},
		{"exactly quiet 2", 33, 17, true, 2},
		{"one column short of 2", 32, 100, false, 0},
		{"one row short of 2", 100, 16, false, 0},
		{"no room", 0, 0, false, 0},
	}
	c := NewCache()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := c.Fit(urlBuild, Forced, tt.w, tt.h)
			if err != nil {
				t.Fatalf("Fit(%q, forced, %d, %d) error: %v", urlBuild, tt.w, tt.h, err)
			}
			var want Code
			if tt.wantOK {
				want, _ = Render(urlBuild, tt.wantQuiet, Forced)
			}
			if ok != tt.wantOK || got != want {
				t.Errorf("Fit(%q, forced, %d, %d) = %d×%d, %v; want %d×%d, %v (quiet %d)",
					urlBuild, tt.w, tt.h, got.Width, got.Height, ok, want.Width, want.Height, tt.wantOK, tt.wantQuiet)
			}
		})
	}
	if _, ok, err := c.Fit(strings.Repeat("x", 5000), Forced, 500, 500); err == nil || ok {
		t.Errorf("Fit(5000-byte url, ...) = ok %v, error %v; want an error", ok, err)
	}
}
