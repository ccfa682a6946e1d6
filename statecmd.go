package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"fleetkey/fleet/config"
	"fleetkey/fleet/ledger"
)

// runState is `fleetkey state export [--out FILE]`: the ledger as JSON in the old state file's format, for backups.
// It opens only the ledger: no Smartcar request, no read.
func runState(g globals, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("state", "export [--out FILE]", &g, stderr)
	if len(args) == 0 || args[0] != "export" {
		fs.Usage()
		return exitUsage
	}
	out := fs.String("out", "", "write the JSON to FILE (mode 0600) instead of standard output")
	if err := fs.Parse(args[1:]); err != nil {
		return helpOrUsage(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	path, _ := configPath(g.config)
	cfg, err := config.Load(path)
	if err != nil {
		return fail(stderr, err)
	}
	store, notes, err := openLedger(cfg, path, time.Now())
	if err != nil {
		return fail(stderr, err)
	}
	defer store.Close()
	for _, n := range notes {
		fmt.Fprintln(stderr, "fleetkey:", n)
	}
	if err := exportTo(store, *out, stdout); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// exportTo writes the ledger's export to the file path, or to w when path is "". The file is written whole before
// it replaces anything: a failed export leaves no half file behind.
func exportTo(store ledger.Ledger, path string, w io.Writer) error {
	if path == "" {
		return ledger.Export(store, w)
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	err = ledger.Export(store, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("export to %s: %w", path, err)
	}
	return nil
}
