// Package ui is the Bubble Tea console of fleetkey: the vehicle table with live countdowns, the detail pane with the
// virtual-key install QR, filter, sort and help. It does no I/O of its own: reads go through a Reader in commands,
// and time enters through the one-per-second tick.
package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"fleetkey/fleet"
	"fleetkey/fleet/schedule"
	"fleetkey/policy"
	"fleetkey/ui/qr"
)

// Reader spends one read of a vehicle through the budget gate and returns the fleet after it. A Reader that can also
// Retry (as *fleet.Fleet) gives the console its K key.
type Reader interface {
	Read(ctx context.Context, id string, now time.Time) ([]fleet.Entry, error)
}

// readTimeout bounds a read started from the console.
const readTimeout = 2 * time.Minute

// Options configure a console.
type Options struct {
	Entries   []fleet.Entry
	Intervals policy.Intervals
	Reader    Reader              // nil: reads are unavailable (as with ReadOnly)
	Records   Records             // loads the whole entry the detail pane shows; nil: the console holds Entries whole
	Changes   <-chan fleet.Change // news of background reads; nil when there are none
	// Feed, when set, is the console's subscription to rows shared with other consoles (see Shared): it replaces
	// Entries and Changes, and the rows change only through it.
	Feed      Feed
	Connector Connector        // adds vehicles with Smartcar Connect; nil: the a key is off
	Clock     func() time.Time // the time a read is recorded at; defaults to time.Now
	Now       time.Time        // the first frame's time, until the first tick
	Label     string           // shown in the header, e.g. "demo" or the config path
	ReadOnly  bool             // hide and disable everything that changes state
	NoColour  bool             // NO_COLOR: the QR is drawn with glyphs picked for the background, not colours
	SyncTTY   bool             // force synchronized output on (plain sshd, where Bubble Tea skips the query)
	AltScreen bool
	// Listing says how far the shown listing is: the header says when it is the ledger's kept copy, and how far a
	// refresh got, until one lands.
	Listing fleet.ListStatus
	// Health is the fleet's state as a whole at start (who schedules, trouble), until the first change.
	Health schedule.Health
	// Notes are what opening the fleet did that the user should hear of (an import): the first status line.
	Notes []string
}

// focus says which pane takes the keys.
type focus int

const (
	focusList focus = iota
	focusDetail
	focusHelp
	focusFilter
	focusConnect
)

// Model is the root of the console.
type Model struct {
	opts   Options
	iv     policy.Intervals
	list   list
	keys   keyMap
	help   help.Model
	filter textinput.Model
	focus  focus
	back   focus // the pane help returns to
	now    time.Time
	width  int
	height int
	styles styles
	isDark bool
	colour bool
	invert bool
	status status
	qr     *qr.Cache
	frame  *frameCache
	rev    uint64 // bumped by every change that alters the frame

	conn connectPane // the onboarding pane

	bucketLimited bool            // reads wait for the app-wide request bucket
	pausedUntil   time.Time       // every request waits until then
	health        schedule.Health // the fleet's trouble as a whole, from the latest change

	ask   ask         // a question waiting for y; the zero ask is none
	batch batch       // R's reads in progress; the zero batch is none
	whole wholeRecord // the detail pane's whole entry
}

// status is the one line of news under the table: the last action's outcome or error. It fades after statusTTL.
type status struct {
	text string
	err  bool
	hold bool      // routine news of background reads does not replace it until it fades (errors, R's summary)
	at   time.Time // when it was set, by the model's clock
}

// statusTTL is how long news stays in the status line.
const statusTTL = 10 * time.Second

// frameCache holds the last rendered frame, shared by value copies of the model, so View does no work that no
// message changed.
type frameCache struct {
	rev     uint64
	content string
	seq     uint64 // the last revision handed out, so no two model values ever share one
}

// touch marks the model as changed: its frame must be drawn again.
func (m *Model) touch() {
	m.frame.seq++
	m.rev = m.frame.seq
}

// New returns a console showing opts.Entries.
func New(opts Options) Model {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Reader == nil {
		opts.ReadOnly = true
	}
	m := Model{
		opts:   opts,
		iv:     opts.Intervals,
		list:   newList(firstRows(opts), opts.Now),
		keys:   newKeyMap(opts.ReadOnly, opts.Connector != nil && !opts.ReadOnly),
		help:   help.New(),
		filter: newFilterInput(),
		now:    opts.Now,
		health: opts.Health,
		isDark: true,
		colour: !opts.NoColour,
		qr:     qr.NewCache(),
		frame:  &frameCache{rev: ^uint64(0)},
	}
	if opts.Records == nil && opts.Feed.box == nil {
		m.whole.held = map[string]fleet.Entry{}
		m.whole.hold(opts.Entries)
	}
	m.opts.Entries = nil // the list holds its own rows; keeping the slice would double the memory of a large fleet
	if len(opts.Notes) > 0 {
		m.status = m.news(strings.Join(opts.Notes, "; "), false)
	}
	m.keys.forList(false)
	m.syncKeys()
	m.applyTheme()
	return m
}

// firstRows are the rows a console starts with: its feed's, or its own made of opts.Entries.
func firstRows(opts Options) *Rows {
	if opts.Feed.box != nil {
		return opts.Feed.rows
	}
	return NewRows(opts.Entries, opts.Intervals, opts.Now)
}

func newFilterInput() textinput.Model {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "name, VIN, model or badge"
	ti.CharLimit = 64
	return ti
}

func (m *Model) applyTheme() {
	m.styles = newStyles(m.isDark)
	m.help.Styles = help.DefaultStyles(m.isDark)
	m.filter.SetStyles(textinput.DefaultStyles(m.isDark))
}

// Init starts the clock, asks the terminal for its background, and turns synchronized output on where Bubble Tea
// would not (a ModeReportMsg for mode 2026 makes the program enable it).
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tick(), tea.RequestBackgroundColor, waitChange(m.opts.Changes), waitFeed(m.opts.Feed.box)}
	if m.opts.SyncTTY {
		cmds = append(cmds, func() tea.Msg {
			return tea.ModeReportMsg{Mode: ansi.ModeSynchronizedOutput, Value: ansi.ModeReset}
		})
	}
	return tea.Batch(cmds...)
}

// tick fires on each wall-clock second; one timer drives every countdown.
func tick() tea.Cmd {
	return tea.Every(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// waitChange waits for the next change from the fleet; one command is in flight at a time, re-armed on each message.
func waitChange(ch <-chan fleet.Change) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		c, ok := <-ch
		return changeMsg{change: c, ok: ok}
	}
}

// View returns the frame, rendering it only when a message changed something since the last one.
func (m Model) View() tea.View {
	if m.frame.rev != m.rev {
		m.frame.content = m.render()
		m.frame.rev = m.rev
	}
	v := tea.NewView(m.frame.content)
	v.AltScreen = m.opts.AltScreen
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "fleetkey"
	return v
}
