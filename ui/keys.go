package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key of the console. It feeds the help, so disabled bindings vanish from it.
type keyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Open, Back, Filter, Unfilter, Sort    key.Binding
	Read, ReadUnknown, StopReads, Retry   key.Binding
	Copy, Add                             key.Binding
	Invert, Help, Quit                    key.Binding
	Yes, No                               key.Binding // the answers to a question (see ask); only drawn
	canAdd                                bool        // Add exists at all (a Connector, not read-only)
}

func newKeyMap(readOnly, canAdd bool) keyMap {
	k := keyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:         key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details + QR")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Unfilter:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"), key.WithDisabled()),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Read:        key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "read now")),
		ReadUnknown: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "read unknowns"), key.WithDisabled()),
		StopReads:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop the reads"), key.WithDisabled()),
		Retry:       key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "retry now"), key.WithDisabled()),
		Yes:         key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "read it")),
		No:          key.NewBinding(key.WithKeys("any"), key.WithHelp("other keys", "cancel")),
		Add:         key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "add vehicles")),
		Copy:        key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy key URL")),
		Invert:      key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "invert QR")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	// ReadUnknown, StopReads and Retry start disabled: syncKeys enables them while they apply.
	k.Read.SetEnabled(!readOnly)
	k.Add.SetEnabled(canAdd)
	k.canAdd = canAdd
	return k
}

// forList enables the bindings that apply to the vehicle table; esc clears the filter when there is one.
func (k *keyMap) forList(filtered bool) {
	k.setPaneKeys(true)
	k.Unfilter.SetEnabled(filtered)
}

// forDetail enables the bindings that apply to the detail pane. Copy and invert apply only to a vehicle with a key
// URL (not a legacy one), and invert only without colour: a coloured QR carries its own black and white, and an
// inverted one would not scan.
func (k *keyMap) forDetail(colour, hasKeyURL bool) {
	k.setPaneKeys(false)
	k.Invert.SetEnabled(!colour && hasKeyURL)
	k.Copy.SetEnabled(hasKeyURL)
}

func (k *keyMap) setPaneKeys(list bool) {
	if k.canAdd {
		k.Add.SetEnabled(list)
	}
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Open, &k.Filter, &k.Sort} {
		b.SetEnabled(list)
	}
	k.Back.SetEnabled(!list)
	if !list {
		k.Unfilter.SetEnabled(false)
	}
	k.Copy.SetEnabled(!list)
	k.Invert.SetEnabled(!list)
}

// ShortHelp is the one-line help under the table.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Back, k.StopReads, k.Read, k.ReadUnknown, k.Retry, k.Add, k.Copy, k.Invert, k.Filter,
		k.Unfilter, k.Sort, k.Help, k.Quit}
}

// FullHelp is the `?` screen, in columns.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Open, k.Back, k.Filter, k.Unfilter, k.Sort},
		{k.Read, k.ReadUnknown, k.StopReads, k.Retry, k.Add},
		{k.Copy, k.Invert, k.Help, k.Quit},
	}
}

// askHelp is the footer while a question waits for its answer.
func (k keyMap) askHelp() []key.Binding { return []key.Binding{k.Yes, k.No} }
