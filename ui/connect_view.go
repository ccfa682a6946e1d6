package ui

import (
	"fmt"
	"net/url"
	"strings"

	"fleetkey/ui/safe"
)

// connectView draws the onboarding pane for its step.
func (m *Model) connectView() string {
	c := &m.conn
	title := m.styles.title.Render("Add vehicles with Smartcar Connect")
	if c.flow == nil {
		if c.err != nil {
			return title + "\n\n" + m.errLine(c.err) + "\n\n" + m.styles.dim.Render("esc back")
		}
		return title + "\n\nstarting…"
	}
	switch c.step {
	case stepRedirect:
		return m.withQR(title+"\n\n"+m.redirectHelp(), c.flow.URL())
	case stepListing:
		return title + "\n\nListing the new user's vehicles (this spends no read)…"
	case stepVehicle, stepReading:
		return m.newVehicleView()
	}
	return title + "\n\n" + m.summaryView()
}

func (m *Model) redirectHelp() string {
	c := &m.conn
	host := "localhost:8000"
	if u, err := url.Parse(c.flow.RedirectURI()); err == nil {
		host = u.Host
	}
	lines := []string{
		"1. Open the link below, or give it to the vehicle's owner: on a phone they open it; on a desktop they scan the QR code.",
		"2. The owner signs in to Tesla and grants access.",
	}
	if c.listening {
		lines = append(lines,
			"3. The browser comes back to "+safe.Clean(c.flow.RedirectURI())+" and fleetkey takes it from there. Over SSH, forward that port first:",
			m.styles.key.Render(fmt.Sprintf("ssh -L %s:%s <this box>", port(host), host)),
			"Or paste the whole URL from the browser's address bar (even if the page failed to load):")
	} else {
		lines = append(lines,
			"3. The browser comes back to "+safe.Clean(c.flow.RedirectURI())+", where fleetkey could not start its listener:",
			"paste the whole URL from the browser's address bar once the page has failed to load.")
	}
	lines = append(lines,
		"",
		c.paste.View(),
		"",
		m.styles.dim.Render(fmt.Sprintf("expires in %s · ctrl+y copy link · esc cancel", countdown(c.flow.Deadline().Sub(m.now)))),
	)
	if c.err != nil {
		lines = append(lines, "", m.errLine(c.err))
	}
	return strings.Join(lines, "\n")
}

func port(hostport string) string {
	if i := strings.LastIndex(hostport, ":"); i >= 0 {
		return hostport[i+1:]
	}
	return "80"
}

// newVehicleView shows one new vehicle: its install QR and the question the operator answers for the owner.
func (m *Model) newVehicleView() string {
	c := &m.conn
	e := c.added[c.at]
	head := m.styles.title.Render(fmt.Sprintf("New vehicle %d of %d: %s", c.at+1, len(c.added), safe.Clean(e.Name))) +
		"\n" + safe.Clean(e.Make) + " " + safe.Clean(e.Model) + fmt.Sprintf(" %d", e.Year) + "  " + m.styles.badge[e.Badge].Render(badgeLabel(e.Badge))
	var ask string
	switch {
	case c.step == stepReading:
		ask = "Reading once…"
	case c.outcome[c.at] != "":
		ask = m.styles.key.Render(c.outcome[c.at]) + "\n" + m.styles.dim.Render("enter next · esc done")
	default:
		ask = "Has the owner installed the key (Settings > Locks shows it)?\n" +
			m.styles.key.Render("y") + " yes: read it once now, to learn its badge   " +
			m.styles.key.Render("n") + " skip: no read\n" + m.styles.dim.Render("c copy link · i invert QR · esc done")
	}
	return m.withQR(head+"\n\n"+m.installGuide()+"\n\n"+ask, e.KeyURL)
}

func (m *Model) summaryView() string {
	c := &m.conn
	if c.err != nil {
		return m.errLine(c.err) + "\n\n" + m.styles.dim.Render("enter or esc back")
	}
	if len(c.added) == 0 {
		return "The owner's vehicles were already in the fleet: nothing new to add.\n\n" + m.styles.dim.Render("enter or esc back")
	}
	lines := []string{fmt.Sprintf("Added %d vehicles:", len(c.added))}
	for i, e := range c.added {
		lines = append(lines, "  "+safe.Clean(e.Name)+": "+c.outcome[i])
	}
	return strings.Join(append(lines, "", m.styles.dim.Render("enter or esc back to the fleet")), "\n")
}

func (m *Model) errLine(err error) string { return m.styles.errText.Render(safe.Clean(err.Error())) }
