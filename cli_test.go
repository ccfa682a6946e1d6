package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const (
	fleetConfig      = "testdata/cli/fleet.toml"
	enterpriseConfig = "testdata/cli/enterprise.toml"
	escapeConfig     = "testdata/cli/escape.toml"
	badConfig        = "testdata/cli/bad.toml"

	smartcarURL   = "https://www.tesla.com/_ak/smartcar.com"
	partnerURL    = "https://www.tesla.com/_ak/partner.app.car"
	enterpriseURL = "https://www.tesla.com/_ak/fleetco.app.car"
)

// listingFields are the fields of `list --json`: a contract with scripts.
var listingFields = []string{
	"asleep", "badge", "id", "last_read_at", "make", "model", "name", "next_read_at", "read_allowed", "state", "vin",
	"virtual_key_url", "year",
}

// writeState writes a state file holding the given last reads.
func writeState(t *testing.T, path string, reads map[string]time.Time) {
	t.Helper()
	vehicles := map[string]any{}
	for id, at := range reads {
		vehicles[id] = map[string]string{"last_read_at": at.Format(time.RFC3339Nano)}
	}
	b, err := json.Marshal(map[string]any{"version": 1, "vehicles": vehicles})
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, path, string(b))
}

// listJSON runs `list --json` with args and returns each object by id, checking its field set.
func listJSON(t *testing.T, args ...string) map[string]map[string]any {
	t.Helper()
	r := runCLI(t, append([]string{"list", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("list --json %q = %d, want 0; stderr: %s", args, r.code, r.stderr)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &objs); err != nil {
		t.Fatalf("list --json %q printed %q: %v", args, r.stdout, err)
	}
	byID := map[string]map[string]any{}
	for _, o := range objs {
		if keys := slices.Sorted(maps.Keys(o)); !slices.Equal(keys, listingFields) {
			t.Errorf("list --json object has fields %q, want exactly %q", keys, listingFields)
		}
		byID[fmt.Sprint(o["id"])] = o
	}
	return byID
}

// checkTimes asserts that every time of a listing is RFC 3339 in UTC ("Z"), to the second.
func checkTimes(t *testing.T, o map[string]any) {
	t.Helper()
	for _, k := range []string{"last_read_at", "next_read_at"} {
		s, ok := o[k].(string)
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339, s)
		if err != nil || !strings.HasSuffix(s, "Z") || at.Format(time.RFC3339) != s {
			t.Errorf("%s.%s = %q, want RFC 3339 UTC to the second, like 2025-01-02T03:04:05Z", o["id"], k, s)
		}
	}
}

func TestListJSON(t *testing.T) {
	env := isolate(t)
	stateInstalled := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	writeState(t, env.statePath, map[string]time.Time{
		"installed":       stateInstalled.In(time.FixedZone("", -5*3600)),
		"keyless-own-url": time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
		"removed-vehicle": time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
	})
	before := time.Now().UTC().Truncate(time.Second)
	got := listJSON(t, "--config", fleetConfig)
	after := time.Now().UTC()

	utc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	want := map[string]map[string]any{
		"legacy-awake": {"badge": "legacy", "asleep": false, "virtual_key_url": nil, "year": 2018.0,
			"last_read_at": "2025-01-02T03:04:05Z", "next_read_at": "2025-01-02T03:09:05Z", "read_allowed": true},
		"legacy-asleep": {"badge": "legacy", "asleep": true, "virtual_key_url": nil,
			"last_read_at": nil, "next_read_at": nil, "read_allowed": false},
		"installed": {"badge": "key-installed", "virtual_key_url": smartcarURL, "last_read_at": utc(stateInstalled),
			"next_read_at": utc(stateInstalled.Add(30 * time.Minute)), "read_allowed": false},
		"keyless-own-url": {"badge": "keyless", "virtual_key_url": partnerURL, "last_read_at": "2025-06-01T08:00:00Z",
			"next_read_at": "2025-06-01T16:00:00Z", "read_allowed": true, "vin": "7SAYGDEE5PA095337",
			"name": "Keyless with its own URL", "make": "Tesla", "model": "Model Y"},
		"unknown-never": {"badge": "unknown", "virtual_key_url": smartcarURL, "last_read_at": nil, "read_allowed": true},
	}
	if ids := slices.Sorted(maps.Keys(got)); !slices.Equal(ids, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("list --json listed %q, want %q", ids, slices.Sorted(maps.Keys(want)))
	}
	for id, fields := range want {
		for k, v := range fields {
			if got[id][k] != v {
				t.Errorf("%s.%s = %#v, want %#v", id, k, got[id][k], v)
			}
		}
		checkTimes(t, got[id])
	}
	// Never read: the next read is now, the time of the run, to the second (either way of rounding).
	next, _ := got["unknown-never"]["next_read_at"].(string)
	if at, err := time.Parse(time.RFC3339, next); err != nil || at.Before(before) || at.After(after.Add(time.Second)) {
		t.Errorf("unknown-never.next_read_at = %q, want the time of the run, %s..%s", next, utc(before), utc(after))
	}
}

func TestListJSONEnterprise(t *testing.T) {
	isolate(t)
	got := listJSON(t, "--config", enterpriseConfig)
	want := map[string]any{"ent-keyless": enterpriseURL, "ent-own-url": partnerURL, "ent-legacy": nil}
	for id, url := range want {
		if got[id]["virtual_key_url"] != url {
			t.Errorf("%s.virtual_key_url = %#v, want %#v", id, got[id]["virtual_key_url"], url)
		}
	}
}

// TestListJSONKeepsNames checks that JSON carries a name as configured (escaped by the encoder), with no raw ESC.
func TestListJSONKeepsNames(t *testing.T) {
	isolate(t)
	r := runCLI(t, "list", "--json", "--config", escapeConfig)
	if r.code != 0 || strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Fatalf("list --json = %d, %q; want 0 and no raw ESC or BEL", r.code, r.stdout)
	}
	got := listJSON(t, "--config", escapeConfig)
	if want := "Evil \x1b]52;c;cm0gLXJmIH4=\x07 car \x1b[2J end"; got["evil"]["name"] != want {
		t.Errorf("evil.name = %q, want %q", got["evil"]["name"], want)
	}
}

// TestListTable compares the plain table with testdata/cli/list.golden: a header row, then one row per vehicle with
// every column aligned. Without a state file, every time in it comes from the config.
func TestListTable(t *testing.T) {
	isolate(t)
	r := runCLI(t, "list", "--config", fleetConfig)
	if r.code != 0 {
		t.Fatalf("list = %d, want 0; stderr: %s", r.code, r.stderr)
	}
	want, err := os.ReadFile("testdata/cli/list.golden")
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Errorf("list printed:\n%s\nwant (testdata/cli/list.golden):\n%s", r.stdout, want)
	}
}

func TestListTableEscapes(t *testing.T) {
	isolate(t)
	r := runCLI(t, "list", "--config", escapeConfig)
	if r.code != 0 {
		t.Fatalf("list = %d, want 0; stderr: %s", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("list printed %q, want no ESC or BEL byte", r.stdout)
	}
	if !strings.Contains(r.stdout, "Evil") || !strings.Contains(r.stdout, "car") || !strings.Contains(r.stdout, "end") {
		t.Errorf("list printed %q, want the harmless rest of the name", r.stdout)
	}
}

func TestQR(t *testing.T) {
	tests := []struct {
		name, config, vehicle, wantURL string
	}{
		{"by id", fleetConfig, "installed", smartcarURL},
		{"by VIN, per-vehicle URL", fleetConfig, "7SAYGDEE5PA095337", partnerURL},
		{"by exact name", fleetConfig, "Never read", smartcarURL},
		{"enterprise plan", enterpriseConfig, "ent-keyless", enterpriseURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("NO_COLOR", "yes")
			args := []string{"qr", "--config", tt.config, tt.vehicle}
			r := runCLI(t, args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("run(%q) = %d, stderr %q; want 0 and no stderr", args, r.code, r.stderr)
			}
			code, url := splitQR(t, r.stdout)
			if url != tt.wantURL {
				t.Errorf("run(%q) last line = %q, want %q", args, url, tt.wantURL)
			}
			if got, err := decodePlainQR(code, darkTerminal); err != nil || got != tt.wantURL {
				t.Errorf("run(%q) QR on a dark terminal decodes to %q, %v; want %q", args, got, err, tt.wantURL)
			}
		})
	}
}

// TestQRInvert checks --invert against the decoder both ways: the default code reads on a dark terminal only, the
// inverted one on a light terminal only (a scanner does not read an inverted code).
func TestQRInvert(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		reads, misses terminalTheme
	}{
		{"default", []string{"qr", "--config", fleetConfig, "installed"}, darkTerminal, lightTerminal},
		{"inverted", []string{"qr", "--invert", "--config", fleetConfig, "installed"}, lightTerminal, darkTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			r := runCLI(t, tt.args...)
			code, _ := splitQR(t, r.stdout)
			if got, err := decodePlainQR(code, tt.reads); err != nil || got != smartcarURL {
				t.Errorf("run(%q) QR on %s decodes to %q, %v; want %q", tt.args, tt.reads.name, got, err, smartcarURL)
			}
			if got, err := decodePlainQR(code, tt.misses); err == nil {
				t.Errorf("run(%q) QR on %s decodes to %q, want no read (inverted)", tt.args, tt.misses.name, got)
			}
		})
	}
}

// splitQR splits the output of `qr` into the code's lines and the URL, its last line, and checks that the code is a
// rectangle of at least 29 cells (a version 1 code with its quiet zone of 4 is 29 wide).
func splitQR(t *testing.T, out string) (code []string, url string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 16 {
		t.Fatalf("qr printed %d lines, want a code and a URL:\n%s", len(lines), out)
	}
	code, url = lines[:len(lines)-1], lines[len(lines)-1]
	width := ansi.StringWidth(code[0])
	for i, l := range code {
		if w := ansi.StringWidth(l); w != width || w < 29 {
			t.Fatalf("qr line %d is %d cells wide, want %d like line 1 (at least 29):\n%s", i+1, w, width, out)
		}
	}
	return code, url
}

func TestQRColour(t *testing.T) {
	tests := []struct {
		name    string
		noColor string
		wantESC bool
	}{
		{name: "colour forced", wantESC: true},
		{name: "NO_COLOR=yes beats CLICOLOR_FORCE", noColor: "yes"},
		{name: "NO_COLOR=1", noColor: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("CLICOLOR_FORCE", "1")
			t.Setenv("TERM", "xterm-256color")
			t.Setenv("COLORTERM", "truecolor")
			t.Setenv("NO_COLOR", tt.noColor)
			r := runCLI(t, "qr", "--config", fleetConfig, "installed")
			if r.code != 0 {
				t.Fatalf("qr = %d, want 0; stderr: %s", r.code, r.stderr)
			}
			if got := strings.Contains(r.stdout, "\x1b"); got != tt.wantESC {
				t.Errorf("qr with NO_COLOR=%q printed ESC: %v, want %v", tt.noColor, got, tt.wantESC)
			}
			if !strings.HasSuffix(r.stdout, "\n"+smartcarURL+"\n") {
				t.Errorf("qr with NO_COLOR=%q: last line is not %q, nor free of escapes", tt.noColor, smartcarURL)
			}
		})
	}
}

func TestQRNoCode(t *testing.T) {
	tests := []struct {
		name, vehicle      string
		wantCode           int
		wantStdout, wantIn string
	}{
		{name: "legacy", vehicle: "legacy-awake", wantStdout: "Legacy awake is a legacy vehicle: no virtual key is required\n"},
		{name: "unknown vehicle", vehicle: "nope", wantCode: 2, wantIn: `fleetkey: no vehicle matches "nope"`},
		{name: "name is not a prefix", vehicle: "Never", wantCode: 2, wantIn: `no vehicle matches "Never"`},
		{name: "unknown vehicle with escapes", vehicle: "\x1b[2J\x1b]52;c;eA==\x07", wantCode: 2,
			wantIn: "no vehicle matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t)
			r := runCLI(t, "qr", "--config", fleetConfig, tt.vehicle)
			if r.code != tt.wantCode || r.stdout != tt.wantStdout {
				t.Errorf("qr %q = %d, %q; want %d, %q", tt.vehicle, r.code, r.stdout, tt.wantCode, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantIn) || strings.ContainsAny(r.stderr, "\x1b\x07") {
				t.Errorf("qr %q stderr = %q, want %q and no ESC or BEL", tt.vehicle, r.stderr, tt.wantIn)
			}
		})
	}
}

// terminalTheme is a terminal's default text (ink) and background (paper) colours: a plain half-block code draws
// its "on" halves in ink.
type terminalTheme struct {
	name       string
	ink, paper color.Gray
}

var (
	darkTerminal  = terminalTheme{"a dark terminal", color.Gray{Y: 0xD0}, color.Gray{Y: 0x1E}}
	lightTerminal = terminalTheme{"a light terminal", color.Gray{Y: 0x20}, color.Gray{Y: 0xF5}}
)

// decodePlainQR draws a code printed without colour as theme shows it (each cell one module wide and two tall, a
// module 4×4 pixels) and decodes it with gozxing, which does not try the inverted picture.
func decodePlainQR(code []string, theme terminalTheme) (string, error) {
	const scale = 4
	img := image.NewGray(image.Rect(0, 0, ansi.StringWidth(code[0])*scale, len(code)*2*scale))
	for y, line := range code {
		for x, r := range []rune(line) {
			top, bottom := r == '▀' || r == '█', r == '▄' || r == '█'
			if r != ' ' && !top && !bottom {
				return "", fmt.Errorf("cell %d,%d is %q, not a half block", x, y, r)
			}
			for py := range 2 * scale {
				on := top && py < scale || bottom && py >= scale
				for px := range scale {
					c := theme.paper
					if on {
						c = theme.ink
					}
					img.SetGray(x*scale+px, y*2*scale+py, c)
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
