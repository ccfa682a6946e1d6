package qr

import (
	"fmt"
	"image"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/ui/qr/qrtest"
)

// roundTrip is one QR as some terminal shows it.
type roundTrip struct {
	name    string
	url     string
	theme   qrtest.Theme
	profile colorprofile.Profile
	quiet   int
	paint   Paint
	wantErr bool // the picture must not decode
}

// roundTrips is the matrix of URLs, themes, colour profiles and quiet zones
// (3 too, as fit may choose it), painted the way the UI paints, plus rows
// that must fail.
func roundTrips() []roundTrip {
	urls := []struct{ name, url string }{{"build", urlBuild}, {"enterprise", urlEnterprise}, {"vehicle", urlVehicle}}
	themes := []struct {
		name string
		th   qrtest.Theme
		dark bool
	}{{"dark", qrtest.Dark, true}, {"light", qrtest.Light, false}}
	profiles := []struct {
		name string
		p    colorprofile.Profile
	}{{"truecolor", colorprofile.TrueColor}, {"ansi", colorprofile.ANSI}, {"no-colour", colorprofile.Ascii}}
	var rows []roundTrip
	for _, u := range urls {
		for _, th := range themes {
			for _, pr := range profiles {
				for _, q := range []int{2, 3, 4} {
					rows = append(rows, roundTrip{
						name: fmt.Sprintf("%s %s %s quiet %d", u.name, th.name, pr.name, q),
						url:  u.url, theme: th.th, profile: pr.p, quiet: q,
						paint: PaintFor(pr.p != colorprofile.Ascii, th.dark, false),
					})
				}
			}
		}
	}
	return append(rows,
		roundTrip{"inverted by the user on a light theme detected as dark", urlBuild, qrtest.Light, colorprofile.Ascii, 4, PaintFor(false, true, true), false},
		roundTrip{"fails: plain dark on a light theme", urlBuild, qrtest.Light, colorprofile.Ascii, 4, PlainDark, true},
		roundTrip{"fails: plain light on a dark theme", urlBuild, qrtest.Dark, colorprofile.Ascii, 4, PlainLight, true},
		roundTrip{"fails: forced colours lost to NO_COLOR on a light theme", urlVehicle, qrtest.Light, colorprofile.Ascii, 2, Forced, true},
	)
}

func TestQRRoundTrip(t *testing.T) {
	for _, tt := range roundTrips() {
		t.Run(tt.name, func(t *testing.T) {
			code, err := Render(tt.url, tt.quiet, tt.paint)
			if err != nil {
				t.Fatalf("Render(%q, %d, %v) error: %v", tt.url, tt.quiet, tt.paint, err)
			}
			checkDecode(t, qrtest.AsShown(code.Text, tt.profile), tt)
		})
	}
}

// TestQRRoundTripInScreen decodes the code from a whole detail-like screen:
// labels above and beside it, a coloured badge, the URL as text below.
func TestQRRoundTripInScreen(t *testing.T) {
	for _, tt := range roundTrips() {
		if tt.url != urlVehicle || tt.quiet != 2 {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			code, err := Render(tt.url, tt.quiet, tt.paint)
			if err != nil {
				t.Fatalf("Render(%q, %d, %v) error: %v", tt.url, tt.quiet, tt.paint, err)
			}
			checkDecode(t, qrtest.AsShown(detailLike(code, tt.url), tt.profile), tt)
		})
	}
}

// detailLike lays a code out the way a detail pane does.
func detailLike(code Code, url string) string {
	label := lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#5F87FF"))
	badge := lipgloss.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFAF00")).Padding(0, 1)
	header := lipgloss.JoinVertical(lipgloss.Left,
		label.Render("Delivery Van 7")+"  Model 3 2019",
		"VIN 5YJ3E1EA7KF317000  "+badge.Render("keyless")+" 1 read per 8h, reads never wake it",
		"")
	side := lipgloss.JoinVertical(lipgloss.Left,
		label.Render("Install the virtual key"),
		"phone:   open the link",
		"desktop: scan this code",
		"then:    Settings > Locks")
	body := lipgloss.JoinHorizontal(lipgloss.Top, side, "  ", code.Text)
	return lipgloss.JoinVertical(lipgloss.Left, header, body, label.Render(url))
}

// checkDecode rasterises the shown text in the row's theme and decodes it.
func checkDecode(t *testing.T, shown string, tt roundTrip) {
	t.Helper()
	img := qrtest.ScreenImage(shown, tt.theme, 4)
	got, err := qrtest.Decode(img)
	if tt.wantErr {
		if err == nil {
			t.Errorf("Decode(%v code on %+v) = %q, want an error", tt.paint, tt.theme, got)
		}
		// The same picture in negative must read: the row fails on polarity
		// alone, not on a broken picture.
		if got, err := qrtest.Decode(negative(img)); err != nil || got != tt.url {
			t.Errorf("Decode(negative of %v code on %+v) = %q, %v; want %q", tt.paint, tt.theme, got, err, tt.url)
		}
		return
	}
	switch {
	case err != nil:
		t.Errorf("Decode(%v code on %+v) error: %v", tt.paint, tt.theme, err)
	case got != tt.url:
		t.Errorf("Decode(%v code on %+v) = %q, want %q", tt.paint, tt.theme, got, tt.url)
	}
}

// negative returns img with every colour inverted.
func negative(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	for i, v := range img.Pix {
		if i%4 == 3 {
			out.Pix[i] = v // alpha
			continue
		}
		out.Pix[i] = 0xFF - v
	}
	return out
}
