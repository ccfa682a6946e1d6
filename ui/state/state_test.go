package state

import (
	"testing"

	"fleetkey/fleet/ledger"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name    string
		c       ledger.Condition
		unsaved bool
		want    State
	}{
		{"fine", ledger.Normal, false, OK},
		{"asleep", ledger.Asleep, false, Asleep},
		{"rate-limited", ledger.RateLimited, false, Limited},
		{"failing", ledger.Failing, false, Failing},
		{"billing", ledger.BillingStopped, false, Billing},
		{"rejected", ledger.Rejected, false, Rejected},
		{"unsaved beats the last answers", ledger.Failing, true, Unsaved},
		{"unsaved beats asleep", ledger.Asleep, true, Unsaved},
		{"a stop beats unsaved", ledger.BillingStopped, true, Billing},
		{"a rejection beats unsaved", ledger.Rejected, true, Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.c, tt.unsaved); got != tt.want {
				t.Errorf("Of(%v, %v) = %v, want %v", tt.c, tt.unsaved, got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	if OK.Cell() != "" || OK.Label() != "" || OK.String() != "" {
		t.Errorf("OK = %q/%q/%q, want nothing to say", OK.Cell(), OK.Label(), OK.String())
	}
	for s := Asleep; s <= Unsaved; s++ {
		if n := len([]rune(s.Cell())); n > 10 {
			t.Errorf("%v.Cell() = %q, %d cells, want at most 10", s, s.Cell(), n)
		}
		if s.Mark() == "" || s.Help() == "" || s.Label() != s.Mark()+" "+s.String() {
			t.Errorf("%v: mark %q, help %q, label %q; want all three, label = mark + word", s, s.Mark(), s.Help(), s.Label())
		}
	}
}
