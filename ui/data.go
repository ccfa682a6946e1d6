package ui

import (
	"fmt"
	"strings"
	"time"

	"fleetkey/fleet"
	"fleetkey/fleet/ledger"
	"fleetkey/ui/safe"
)

// dataLines shows what the last reads told of the vehicle: each value with its age (from the vehicle's own update
// time), the last good value kept when a later signal failed, where the key status and the VIN came from, and the
// last error unless the State line tells it. Nothing when the vehicle was never read through an API.
func (m *Model) dataLines(r *row, e fleet.Entry, w int) []string {
	rec := e.Record
	var lines []string
	switch {
	case rec.Reading != nil:
		lines = append(lines, m.readingLines(rec.Reading, rec)...)
	case rec.IsLean():
		lines = append(lines, m.styles.key.Render("Data")+" read "+age(rec.ReadingAt, m.now)+" · "+m.leanLine(r.id))
	}
	if rec.Key != "" {
		lines = append(lines, m.fact("Key", fmt.Sprintf("%s, learned %s", rec.Key, age(rec.KeyAt, m.now))),
			m.fact("", m.styles.dim.Render("from the "+safe.Clean(rec.KeySource))))
	}
	if rec.VIN != "" && e.VIN == rec.VIN {
		lines = append(lines, m.fact("VIN from", "vehicleidentification-vin, "+age(rec.VINAt, m.now)))
	}
	if rec.LastError != "" && (rec.DataAt().IsZero() || rec.LastErrorAt.After(rec.DataAt())) && !m.stateTellsError(r, rec) {
		lines = append(lines, m.hang("Error", safe.Clean(rec.LastError)+" "+age(rec.LastErrorAt, m.now), m.styles.errText, w))
	}
	return lines
}

func (m *Model) readingLines(rd *ledger.Reading, rec ledger.Record) []string {
	stale := ""
	if rec.LastErrorAt.After(rd.At) {
		stale = m.styles.warn.Render(" (stale: the last read failed)")
	}
	lines := []string{m.styles.key.Render("Data") + " read " + age(rd.At, m.now) + stale}
	var needKey []string // signals refused for want of the virtual key: one line for all of them
	add := func(label, code, text string, status ledger.Status, updated time.Time, errText string) {
		switch {
		case status == "":
			return
		case status != ledger.StatusOK && strings.HasSuffix(errText, ":VIRTUAL_KEY_REQUIRED"):
			needKey = append(needKey, strings.ToLower(label))
			return
		case status != ledger.StatusOK:
			lines = append(lines, m.fact(label, m.styles.dim.Render(strings.ToLower(string(status))+" "+safe.Clean(errText))))
			return
		}
		text = safe.Clean(text) + m.styles.dim.Render(" · "+age(updated, m.now))
		if failed := rd.Failures[code]; failed != "" {
			text += m.styles.warn.Render(" · kept: this read failed " + safe.Clean(failed))
		}
		lines = append(lines, m.fact(label, text))
	}
	add("Battery", "tractionbattery-stateofcharge", fmt.Sprintf("%.0f%%", rd.Battery.V), rd.Battery.Status, rd.Battery.UpdatedAt, rd.Battery.Err)
	add("Range", "tractionbattery-range", fmt.Sprintf("%.0f %s", rd.Range.V, unit(rd.Range.Unit)), rd.Range.Status, rd.Range.UpdatedAt, rd.Range.Err)
	add("Charging", "charge-detailedchargingstatus", rd.Charging.V, rd.Charging.Status, rd.Charging.UpdatedAt, rd.Charging.Err)
	add("Plug", "charge-ischargingcableconnected", yesNo(rd.PluggedIn.V, "plugged in", "unplugged"), rd.PluggedIn.Status, rd.PluggedIn.UpdatedAt, rd.PluggedIn.Err)
	add("Location", "location-preciselocation", where(rd.Location.V), rd.Location.Status, rd.Location.UpdatedAt, rd.Location.Err)
	add("Odometer", "odometer-traveleddistance", fmt.Sprintf("%.0f %s", rd.Odometer.V, unit(rd.Odometer.Unit)), rd.Odometer.Status, rd.Odometer.UpdatedAt, rd.Odometer.Err)
	add("Online", "connectivitystatus-isonline", yesNo(rd.Online.V, "online", "offline"), rd.Online.Status, rd.Online.UpdatedAt, rd.Online.Err)
	add("Asleep", "connectivitystatus-isasleep", yesNo(rd.Asleep.V, "asleep", "awake"), rd.Asleep.Status, rd.Asleep.UpdatedAt, rd.Asleep.Err)
	if len(needKey) > 0 {
		lines = append(lines, m.fact("No key", m.styles.warn.Render("the virtual key is required for "+strings.Join(needKey, ", "))))
	}
	return lines
}

func (m *Model) fact(label, text string) string { return m.styles.dim.Render(pad(label, 10)) + text }

func unit(u string) string {
	switch strings.ToLower(u) {
	case "kilometers", "km", "":
		return "km"
	case "miles", "mi":
		return "mi"
	}
	return safe.Clean(u)
}

func yesNo(v bool, yes, no string) string {
	if v {
		return yes
	}
	return no
}

func where(l ledger.Location) string {
	s := fmt.Sprintf("%.5f, %.5f", l.Lat, l.Lon)
	if l.Kind != "" {
		s += " (" + strings.ToLower(strings.ReplaceAll(l.Kind, "_", " ")) + ")"
	}
	return s
}
