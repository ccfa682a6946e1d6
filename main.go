// Command fleetkey is a terminal console for fleets of Tesla vehicles connected through Smartcar: per vehicle it shows
// the virtual-key case (badge), a live countdown to the next read the rules allow, and the QR that installs the key.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// demoConfig is the documented example config; with no config file, the console runs on its fleet.
//
//go:embed config.example.toml
var demoConfig []byte

const usage = `fleetkey: the virtual-key console for Tesla fleets on Smartcar

Usage:
  fleetkey [--config FILE] [--readonly]   start the console (the demo fleet when no config is found)
  fleetkey list [--json]                  print the fleet: badge, last and next read of each vehicle
  fleetkey qr [--invert] VEHICLE          print the virtual-key install QR of a vehicle (id, VIN or name)
  fleetkey read VEHICLE                   read a vehicle now if its budget allows (JSON); exit 3 when it does not
  fleetkey connect                        add vehicles: Smartcar Connect, the install QR, one read per vehicle
  fleetkey serve [--listen ADDR]          serve the console over SSH to the keys in [serve] authorized_keys
  fleetkey check [FILE]                   validate a config file
  fleetkey audit [--since DUR] [--json]   print the audit log of fleetkey serve: who read, checked, connected what
  fleetkey state export [--out FILE]      write the read ledger as JSON, for backups
  fleetkey --version

The config is --config, else $FLEETKEY_CONFIG, else $XDG_CONFIG_HOME/fleetkey/config.toml.
Run "fleetkey COMMAND --help" for a command's flags.
`

// exitUsage is the exit code of a command-line mistake or an unknown vehicle.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses the global flags and dispatches to a command; it returns the exit code.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleetkey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	g := globals{stdin: stdin}
	g.register(fs)
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		return helpOrUsage(err)
	}
	if *showVersion {
		fmt.Fprintln(stdout, "fleetkey", version)
		return 0
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return runConsole(g, stdin, stdout, stderr)
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "fleetkey: unknown command %q\n\n%s", rest[0], usage)
		return exitUsage
	}
	return cmd(g, rest[1:], stdout, stderr)
}

// commands are the subcommands for scripts and on-call.
var commands = map[string]func(g globals, args []string, stdout, stderr io.Writer) int{
	"list":    runList,
	"qr":      runQR,
	"check":   runCheck,
	"read":    runRead,
	"connect": runConnect,
	"serve":   runServe,
	"audit":   runAudit,
	"state":   runState,
}

func helpOrUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return exitUsage
}
