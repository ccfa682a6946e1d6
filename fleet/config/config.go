// Package config reads and validates fleetkey's TOML config file: the sections and their defaults, every problem at
// once with file, line and key (and a suggestion for a misspelt key), warnings for what is accepted but questionable,
// and the [[vehicle]] entries with what each pins. It refuses secrets in the file (it names environment variables) and
// anything but a regular file. It does not read state, talk to Smartcar or decide read budgets.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"fleetkey/fleet/connect"
	"fleetkey/policy"
)

// Plan is the Smartcar plan of the account. It decides which virtual key a Tesla owner installs.
type Plan string

// The Smartcar plans.
const (
	PlanFree       Plan = "free"
	PlanBuild      Plan = "build"
	PlanEnterprise Plan = "enterprise"
)

// plans lists the valid plans, in the order messages name them.
var plans = []Plan{PlanFree, PlanBuild, PlanEnterprise}

// SmartcarKeyURL is the virtual key of the free and build plans: Smartcar's own.
const SmartcarKeyURL = "https://www.tesla.com/_ak/smartcar.com"

// Account is the [account] table of the config.
type Account struct {
	Plan Plan
	// Subdomain is the enterprise plan's custom virtual key subdomain ("fleetco" for fleetco.app.car), lower-cased
	// because DNS names are case-insensitive. It is "" on other plans; Parse rejects it there.
	Subdomain string
}

// Config is a validated fleetkey config file.
type Config struct {
	// Source is where the fleet comes from ([fleet] source); SourceConfig by default.
	Source  Source
	Account Account
	// Smartcar is the [smartcar] table, defaults filled in. It is checked whatever the source, and used only when the
	// source is SourceSmartcar.
	Smartcar Smartcar
	// Connect is the [connect] table, defaults filled in: how the console onboards vehicles through Smartcar Connect.
	// Its ClientID falls back to Smartcar.ClientID and its Mode is Smartcar.Mode.
	Connect connect.Config
	// Serve is the [serve] table, defaults filled in: how `fleetkey serve` shares the console over SSH.
	Serve Serve
	// Intervals are the minimum times between two reads; [policy] overrides the defaults one by one.
	Intervals policy.Intervals
	// StateFile is the old JSON state file, as written in the config; "" means the caller's default. Its records
	// are imported into the ledger on first start (see State).
	StateFile string
	// State is the [state] table: where the ledger lives.
	State State
	// Auto holds the badges read automatically as soon as the rules allow ([read] auto); a badge not in it is read
	// only on request. Default: key-installed and legacy.
	Auto map[policy.Badge]bool
	// Vehicles are the [[vehicle]] entries, in file order. With SourceSmartcar they are overlays on the connected
	// vehicles (see Overlay): only id or vin is required, so their other fields may be zero.
	Vehicles []Vehicle
	// Pinned says which facts each [[vehicle]] entry gives explicitly, keyed by the entry's id, or by its VIN when it
	// has no id. Every entry has one; an overlay's pinned facts override what the API reports.
	Pinned map[string]PinnedFacts
	// Warnings are what is accepted but questionable, in line order, each naming file, line and key like a problem:
	// an interval shorter than the rule it stands for. `fleetkey check` prints them; the console logs them.
	Warnings []*Problem
}

// KeyURL returns the URL that installs the virtual key of v: its own VirtualKeyURL when it has one, else the plan's:
// SmartcarKeyURL for free and build, https://www.tesla.com/_ak/<subdomain>.app.car for enterprise.
func (c Config) KeyURL(v Vehicle) string {
	if v.VirtualKeyURL != "" {
		return v.VirtualKeyURL
	}
	if c.Account.Plan == PlanEnterprise {
		return "https://www.tesla.com/_ak/" + c.Account.Subdomain + ".app.car"
	}
	return SmartcarKeyURL
}

// Problem is one thing wrong with a config file. Parse joins every problem of a file into its error;
// errors.As finds each one.
type Problem struct {
	File string // the name given to Parse: a path, or "demo"
	Line int    // 1-based line of the key (or of its table when the key is missing); 0 when not known
	Col  int    // 1-based column; only TOML syntax errors have one, 0 otherwise
	// Key is the dotted key, with 0-based array indexes: "vehicle[2].vin", "policy.keyless_interval". It is "" for
	// TOML syntax errors.
	Key     string
	Message string
}

// Error reads like "config.toml:14: vehicle[2].year: 2009 is outside 2012..2027".
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Load reads and parses the config file at path; see Parse. A path that is not a regular file (a FIFO, a
// device, a directory) is refused with an error wrapping ErrNotRegular, before any read.
func Load(path string) (Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a config file. name is used in messages (a file path, or "demo"). A config with
// any problem is rejected whole: the error joins one *Problem per problem found, in line order.
// Defaults: source "config", plan "free", the [smartcar] defaults of Smartcar, the [connect] defaults of
// defaultConnect, the [serve] defaults of defaultServe, policy.DefaultIntervals(), auto reads of
// key-installed and legacy, a vehicle's name is its id (its VIN when it has none) and its key status "unknown".
func Parse(name string, data []byte) (Config, error) {
	return parseConfig(name, data, time.Now())
}

// parseConfig is Parse at a given time, which bounds the model years.
func parseConfig(name string, data []byte, now time.Time) (Config, error) {
	// Without its byte order mark, the file's offsets are the decoders' and its first line is indexed.
	data = bytes.TrimPrefix(data, utf8BOM)
	raw, err := decode(data)
	if err != nil {
		return Config{}, errors.Join(syntaxProblem(name, data, err))
	}
	c := &checker{name: name, now: now, src: data}
	cfg := c.config(raw)
	if err := c.err(); err != nil {
		return Config{}, err
	}
	cfg.Warnings = inLineOrder(c.warnings)
	return cfg, nil
}

// syntaxProblem turns a TOML decoder error into a problem, keeping the decoder's message and position.
func syntaxProblem(name string, data []byte, err error) *Problem {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Problem{File: name, Message: err.Error()}
	}
	line, col := syntaxPosition(data, pe.Position)
	return &Problem{File: name, Line: line, Col: col, Message: pe.Message}
}

// syntaxPosition returns the line and column of a decoder error. The decoder's line is one too far when the error is
// at a newline (its lexer has counted the newline already) while its column is right, so both are derived from the
// byte offset instead, unless that disagrees with the decoder by more than that one line.
func syntaxPosition(data []byte, p toml.Position) (line, col int) {
	if p.Start < 0 || p.Start > len(data) {
		return p.Line, p.Col
	}
	before := data[:p.Start]
	line = bytes.Count(before, []byte("\n")) + 1
	if line != p.Line && line != p.Line-1 {
		return p.Line, p.Col
	}
	return line, p.Start - bytes.LastIndexByte(before, '\n')
}

// topKeys are the valid keys at the top level of a config file.
var topKeys = []string{"state", "state_file", "fleet", "account", "smartcar", "connect", "policy", "read", "serve", "vehicle"}

// checker walks a decoded config file and collects its problems.
type checker struct {
	name string
	now  time.Time
	src  []byte
	// lines is the line index of src, built by line on first use: only a file with a problem or a warning pays for it.
	lines    lineIndex
	problems []*Problem
	warnings []*Problem
}

// config checks every part of the file and returns the config it defines.
func (c *checker) config(raw map[string]any) Config {
	top := table{m: raw}
	c.unknownKeys(top, topKeys)
	src := c.source(raw["fleet"])
	vehicles, pinned := c.vehicles(raw["vehicle"], src == SourceSmartcar)
	sc := c.smartcar(raw["smartcar"], src)
	return Config{
		Source:    src,
		Account:   c.account(raw["account"]),
		Smartcar:  sc,
		Connect:   c.connect(raw["connect"], sc),
		Serve:     c.serve(raw["serve"]),
		Intervals: c.intervals(raw["policy"]),
		Auto:      c.auto(raw["read"]),
		StateFile: c.stateFile(top),
		State:     c.state(raw["state"]),
		Vehicles:  vehicles,
		Pinned:    pinned,
	}
}

// addf records a problem with key, at the line that defines the key (or its table).
func (c *checker) addf(key, format string, args ...any) {
	c.addAt(c.line(key), key, format, args...)
}

// line returns the line that defines key, or its nearest enclosing table (see lineIndex.line), indexing the lines
// of the file on the first call.
func (c *checker) line(key string) int {
	if c.lines == nil {
		c.lines = indexLines(string(c.src))
	}
	return c.lines.line(key)
}

// addAt records a problem with key at a given line, for a key whose own table the file does not have.
func (c *checker) addAt(line int, key, format string, args ...any) {
	c.problems = append(c.problems, &Problem{
		File: c.name, Line: line, Key: key, Message: fmt.Sprintf(format, args...),
	})
}

// warnf records a warning about key, at the line that defines it: accepted, but said.
func (c *checker) warnf(key, format string, args ...any) {
	c.warnings = append(c.warnings, &Problem{
		File: c.name, Line: c.line(key), Key: key, Message: fmt.Sprintf(format, args...),
	})
}

// err joins the problems found, in line order (problems without a line last); nil when there are none.
func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	ps := inLineOrder(c.problems)
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// inLineOrder sorts problems by line, those without a line last, keeping the order of each line's own.
func inLineOrder(ps []*Problem) []*Problem {
	order := func(p *Problem) int {
		if p.Line == 0 {
			return math.MaxInt
		}
		return p.Line
	}
	slices.SortStableFunc(ps, func(a, b *Problem) int { return cmp.Compare(order(a), order(b)) })
	return ps
}
