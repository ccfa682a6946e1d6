// Package fleet joins the parts of fleetkey into the fleet the console and the CLI draw: the vehicles of the config
// or of the Smartcar listing overlaid with the config's entries, each joined with its ledger record and its badge
// (Entry), the one place a read goes through the gate (Fleet.Read), the news of every read (Changes), onboarding of
// new vehicles after Connect, the Smartcar v3 adapter behind the scheduler's API, and the demo history. It decides how
// the parts meet, not the rules (policy), the config (config), the history (ledger) or the schedule (schedule).
package fleet

import "fleetkey/fleet/config"

// Vehicle is one car of the fleet (a value). The config defines it, since the [[vehicle]] entries are where vehicles
// first come from; a listed vehicle is one too, overlaid with its entry.
type Vehicle = config.Vehicle
