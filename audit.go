package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"fleetkey/fleet/config"
	"fleetkey/serve"
	"fleetkey/ui/safe"
)

// runAudit is `fleetkey audit`: the audit log of `fleetkey serve`, as a table or as JSON lines, optionally only its
// last DURATION. It only reads the log, so it works while serve runs.
func runAudit(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit", "[--since DURATION] [--json]", &g, stderr)
	since := fs.Duration("since", 0, "only the entries of the last DURATION, e.g. 2h or 30m")
	asJSON := fs.Bool("json", false, "print the entries as JSON lines, one object per line")
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() > 0 || *since < 0 {
		fs.Usage()
		return exitUsage
	}
	path, err := auditPath(g)
	if err != nil {
		return fail(stderr, err)
	}
	var cutoff time.Time
	if *since > 0 {
		cutoff = time.Now().Add(-*since)
	}
	entries, err := readAuditFile(path, cutoff)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(stderr, err)
	}
	switch {
	case len(entries) == 0 && *since > 0:
		return noEntries(stdout, stderr, *asJSON, "no audit entries in the last "+since.String())
	case len(entries) == 0:
		return noEntries(stdout, stderr, *asJSON, "no audit entries yet")
	}
	if *asJSON {
		return printAuditJSON(stdout, stderr, entries)
	}
	printAuditTable(stdout, entries)
	return 0
}

// noEntries says there is nothing to show: on stdout for the table, on stderr with --json, whose stdout stays JSON.
func noEntries(stdout, stderr io.Writer, asJSON bool, msg string) int {
	if asJSON {
		stdout = stderr
	}
	fmt.Fprintln(stdout, msg)
	return 0
}

// auditPath is the config's [serve] audit_log, relative to the config file's directory, or the XDG default. The
// demo (no config) has the default.
func auditPath(g globals) (string, error) {
	path, explicit := configPath(g.config)
	if _, err := os.Stat(path); !explicit && errors.Is(err, fs.ErrNotExist) || path == "" {
		return serve.DefaultAuditPath()
	}
	cfg, err := config.Load(path)
	if err != nil {
		return "", err
	}
	if cfg.Serve.AuditLog == "" {
		return serve.DefaultAuditPath()
	}
	return configRelative(cfg.Serve.AuditLog, path), nil
}

// configRelative resolves a path written in the config at configPath: a relative one is relative to its directory.
func configRelative(p, configPath string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(configPath), p)
}

// readAuditFile reads the entries of the log at path from cutoff on; a missing file wraps fs.ErrNotExist. A log that
// is not a regular file (a FIFO would block the read until some process writes to it) is refused.
func readAuditFile(path string, cutoff time.Time) ([]serve.AuditEntry, error) {
	f, err := config.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	entries, err := serve.ReadAudit(f, cutoff)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

func printAuditJSON(stdout, stderr io.Writer, entries []serve.AuditEntry) int {
	for _, e := range entries {
		if err := writeJSON(stdout, e, false); err != nil {
			return fail(stderr, err)
		}
	}
	return 0
}

// printAuditTable prints an aligned plain table. Every field comes from a key comment or an error text that
// someone else wrote, so each is cleaned of escape sequences first.
func printAuditTable(w io.Writer, entries []serve.AuditEntry) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tWHO\tFINGERPRINT\tACTION\tVEHICLE\tRESULT")
	for _, e := range entries {
		vehicle := e.Vehicle
		if vehicle == "" {
			vehicle = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), safe.Clean(e.Who),
			safe.Clean(e.Fingerprint), safe.Clean(e.Action), safe.Clean(vehicle), safe.Clean(e.Result))
	}
	tw.Flush()
}
