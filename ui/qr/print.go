package qr

import (
	"fmt"
	"io"

	"github.com/charmbracelet/colorprofile"

	"fleetkey/ui/safe"
)

// PrintOptions say how the terminal that will show a printed QR draws colour.
type PrintOptions struct {
	Profile colorprofile.Profile // the output's profile; ASCII or NoTTY means no colour (as with NO_COLOR)
	DarkBG  bool                 // the terminal's background is dark (used only without colour)
	Invert  bool                 // swap the glyphs (used only without colour)
}

// Write prints the QR that installs a virtual key, exactly as the detail pane draws it (quiet zone 4), then the URL
// as the last line, cleaned like every text drawn (see safe.Clean). Colours are brought down to the output's profile,
// as Bubble Tea does for the console.
func Write(w io.Writer, url string, o PrintOptions) error {
	code, err := Render(url, maxQuiet, PaintFor(o.Profile > colorprofile.ASCII, o.DarkBG, o.Invert))
	if err != nil {
		return err
	}
	cw := &colorprofile.Writer{Forward: w, Profile: o.Profile}
	if _, err := fmt.Fprintln(cw, code.Text); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, safe.Clean(url)) // the code holds the URL as given; its text line is drawn, so cleaned
	return err
}
