package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestInitSynchronizedOutput(t *testing.T) {
	for _, sync := range []bool{false, true} {
		m := New(Options{SyncTTY: sync})
		batch, ok := m.Init()().(tea.BatchMsg)
		if !ok {
			t.Fatalf("Init() = %T, want a batch", m.Init()())
		}
		found := false
		for _, c := range batch[1:] { // batch[0] is the clock, which waits for the next second
			if r, ok := c().(tea.ModeReportMsg); ok && r.Mode == ansi.ModeSynchronizedOutput && r.Value == ansi.ModeReset {
				found = true
			}
		}
		if found != sync {
			t.Errorf("SyncTTY=%v: Init reports mode 2026 = %v, want %v", sync, found, sync)
		}
	}
}

// TestViewRendersOnlyOnChange: a message that changes nothing leaves the frame as it was, without rendering again.
func TestViewRendersOnlyOnChange(t *testing.T) {
	m := newTestModel(t, 100, 30, Options{})
	_ = m.View()
	rev := m.rev
	m = update(t, m, tea.FocusMsg{}, tea.BlurMsg{}, tea.KeyReleaseMsg{Code: 'x'})
	if m.rev != rev {
		t.Errorf("messages that change nothing bumped the revision %d → %d", rev, m.rev)
	}
	m.frame.content = "sentinel" // a render would overwrite it
	if got := m.View().Content; got != "sentinel" {
		t.Errorf("View rendered again without a change")
	}
	m = update(t, m, tickAt(1))
	if got := m.View().Content; got == "sentinel" {
		t.Errorf("View did not render after a tick")
	}
}
