package qrtest

import (
	"image"
	"image/color"
	"testing"
)

func TestScreenImage(t *testing.T) {
	red, navy := color.RGBA{0x80, 0, 0, 0xFF}, color.RGBA{0, 0, 0x80, 0xFF}
	white, grey := color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}, color.RGBA{0x80, 0x80, 0x80, 0xFF}
	fg, bg := Dark.FG, Dark.BG
	tests := []struct {
		name        string
		screen      string
		x, y        int
		top, bottom color.RGBA
	}{
		{"upper half", "\x1b[31;44m▀", 0, 0, red, navy},
		{"lower half default colours", "▄", 0, 0, bg, fg},
		{"full block", "\x1b[31m█", 0, 0, red, red},
		{"space", "\x1b[31;44m ", 0, 0, navy, navy},
		{"reverse full block", "\x1b[7m█", 0, 0, bg, bg},
		{"reverse space", "\x1b[7m ", 0, 0, fg, fg},
		{"reverse off", "\x1b[7m\x1b[27m▀", 0, 0, fg, bg},
		{"text is background", "\x1b[31;44mx", 0, 0, navy, navy},
		{"bright", "\x1b[97;100m▀", 0, 0, white, grey},
		{"256 colours", "\x1b[38;5;196;48;5;21m▀", 0, 0, color.RGBA{0xFF, 0, 0, 0xFF}, color.RGBA{0, 0, 0xFF, 0xFF}},
		{"true colour", "\x1b[38;2;1;2;3;48;2;4;5;6m▀", 0, 0, color.RGBA{1, 2, 3, 0xFF}, color.RGBA{4, 5, 6, 0xFF}},
		{"true colour with colons", "\x1b[38:2::1:2:3m▀", 0, 0, color.RGBA{1, 2, 3, 0xFF}, bg},
		{"reset", "\x1b[31;44m\x1b[0m▀", 0, 0, fg, bg},
		{"empty reset", "\x1b[31;44m\x1b[m▀", 0, 0, fg, bg},
		{"default colours", "\x1b[31;44m\x1b[39;49m▀", 0, 0, fg, bg},
		{"bold kept colour", "\x1b[1;31m▀", 0, 0, red, bg},
		{"colour leaks over a line end", "\x1b[44m\n▀", 0, 1, fg, navy},
		{"wide glyph takes two cells", "日\x1b[31m▀", 2, 0, red, bg},
		{"past the line end", "▀\n▀▀", 1, 0, bg, bg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := ScreenImage(tt.screen, Dark, 1)
			top, bottom := img.RGBAAt(tt.x, 2*tt.y), img.RGBAAt(tt.x, 2*tt.y+1)
			if top != tt.top || bottom != tt.bottom {
				t.Errorf("ScreenImage(%q) cell (%d,%d) = %v/%v, want %v/%v", tt.screen, tt.x, tt.y, top, bottom, tt.top, tt.bottom)
			}
		})
	}
	if got, want := ScreenImage("▀▀\n▀", Dark, 3).Bounds(), image.Rect(0, 0, 6, 12); got != want {
		t.Errorf("ScreenImage(2×2 cells, scale 3) bounds = %v, want %v", got, want)
	}
}
