package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"

	"fleetkey/policy"
)

// styles is the one palette of the console, chosen for the terminal's background. Every badge is coloured AND
// labelled, so it reads without colour and for colour-blind users.
type styles struct {
	title, dim, header, selected, status, errText, warn, key, ask lipgloss.Style
	badge                                                         map[policy.Badge]lipgloss.Style
}

func newStyles(isDark bool) styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	base := lipgloss.NewStyle()
	return styles{
		title:    base.Bold(true).Foreground(c("#1D4ED8", "#93C5FD")),
		dim:      base.Foreground(c("#57534E", "#A8A29E")),
		header:   base.Bold(true).Underline(true),
		selected: base.Reverse(true),
		status:   base.Foreground(c("#1E3A8A", "#BFDBFE")),
		errText:  base.Bold(true).Foreground(c("#B91C1C", "#FCA5A5")),
		warn:     base.Foreground(c("#92400E", "#FCD34D")),
		key:      base.Bold(true),
		ask:      base.Bold(true).Foreground(c("#92400E", "#FCD34D")),
		badge: map[policy.Badge]lipgloss.Style{
			policy.KeyInstalled: base.Bold(true).Foreground(c("#15803D", "#86EFAC")),
			policy.Legacy:       base.Bold(true).Foreground(c("#1D4ED8", "#93C5FD")),
			policy.Keyless:      base.Bold(true).Foreground(c("#B45309", "#FCD34D")),
			policy.Unknown:      base.Bold(true).Foreground(c("#6B21A8", "#D8B4FE")),
		},
	}
}

// badgeMark is a glyph per badge, so badges differ in shape as well as colour and name.
var badgeMark = map[policy.Badge]string{
	policy.KeyInstalled: "●",
	policy.Legacy:       "◆",
	policy.Keyless:      "○",
	policy.Unknown:      "?",
}

// badgeLabel is the badge as drawn: its mark and its name.
func badgeLabel(b policy.Badge) string { return badgeMark[b] + " " + b.String() }
