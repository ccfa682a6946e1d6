package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"fleetkey/fleet"
	"fleetkey/fleet/config"
	"fleetkey/ui/qr"
	"fleetkey/ui/safe"
)

// newFlags returns a command's flag set, with the global flags, printing its usage line on --help.
func newFlags(name, args string, g *globals, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: fleetkey %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

func runList(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("list", "[--json]", &g, stderr)
	asJSON := fs.Bool("json", false, "print a JSON array, one object per vehicle")
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	now := time.Now()
	a, err := loadApp(g, now)
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	a.tell(stderr)
	entries, err := a.fleet.Entries()
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, entries, a, now)
	}
	printTable(stdout, entries, a, now)
	return 0
}

func printJSON(stdout, stderr io.Writer, entries []fleet.Entry, a *app, now time.Time) int {
	out := make([]fleet.Listing, len(entries))
	for i, e := range entries {
		out[i] = fleet.ListingOf(e, a.cfg.Intervals, now)
	}
	if err := writeJSON(stdout, out, true); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// printTable prints an aligned plain table; text from the config is cleaned of escape sequences first.
func printTable(w io.Writer, entries []fleet.Entry, a *app, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVIN\tMODEL\tYEAR\tBADGE\tLAST READ\tNEXT READ")
	for _, e := range entries {
		l := fleet.ListingOf(e, a.cfg.Intervals, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", safe.Clean(e.ID), safe.Clean(e.Name), safe.Clean(e.VIN),
			safe.Clean(e.Model), yearText(e.Year), l.Badge, stamp(l.LastReadAt, "never"), next(l))
	}
	tw.Flush()
}

// yearText is a model year for the table: "-" when the source did not give one (0), which is no year at all.
func yearText(y int) string {
	if y <= 0 {
		return "-"
	}
	return strconv.Itoa(y)
}

func next(l fleet.Listing) string {
	if l.ReadAllowed {
		return "ready"
	}
	return stamp(l.NextReadAt, "asleep")
}

func stamp(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.RFC3339)
}

func runQR(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("qr", "[--invert] VEHICLE", &g, stderr)
	invert := fs.Bool("invert", false, "swap the QR's light and dark modules (for a light terminal without colour)")
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	a, err := loadApp(g, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	a.tell(stderr)
	v, ok := findVehicle(a, fs.Arg(0), stderr)
	if !ok {
		return exitUsage
	}
	url := a.fleet.KeyURL(v)
	if url == "" {
		fmt.Fprintf(stdout, "%s is a legacy vehicle: no virtual key is required\n", safe.Clean(v.Name))
		return 0
	}
	if err := qr.Write(stdout, url, printOptions(g.stdin, stdout, *invert)); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// printOptions detects how stdout shows colour; without colour it asks the terminal on stdin for its background. NO_COLOR counts when set to any non-empty value (no-color.org), which
// the colour library alone does not do; without colour, the QR's glyphs follow the terminal's background.
func printOptions(stdin *os.File, stdout io.Writer, invert bool) qr.PrintOptions {
	o := qr.PrintOptions{Profile: colorprofile.Detect(stdout, os.Environ()), DarkBG: true, Invert: invert}
	if os.Getenv("NO_COLOR") != "" {
		o.Profile = colorprofile.ASCII
	}
	if o.Profile <= colorprofile.ASCII && isTerminal(stdin) && isTerminal(stdout) {
		o.DarkBG = lipgloss.HasDarkBackground(stdin, stdout.(*os.File))
	}
	return o
}

// runCheck is `fleetkey check`: every problem of the config on stdout and exit 1, or "ok: N vehicles"; warnings (an
// interval shorter than the rule it stands for) go to stderr and do not fail it.
func runCheck(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", "[FILE]", &g, stderr)
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	path, _ := configPath(g.config)
	if fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stdout, safe.CleanText(err.Error()))
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", safe.Clean(w.Error()))
	}
	fmt.Fprintf(stdout, "ok: %d %s\n", len(cfg.Vehicles), plural(len(cfg.Vehicles), "vehicle", "vehicles"))
	return 0
}

// findVehicle finds the vehicle a command names by id, VIN or exact name, or says that none matches.
func findVehicle(a *app, q string, stderr io.Writer) (fleet.Vehicle, bool) {
	v, ok := a.fleet.Find(q)
	if !ok {
		fmt.Fprintf(stderr, "fleetkey: no vehicle matches %q (give its id, VIN or exact name)\n", safe.Clean(q))
	}
	return v, ok
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "fleetkey:", safe.CleanText(err.Error()))
	return 1
}
