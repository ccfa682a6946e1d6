package config

import (
	"cmp"
	"strings"
)

// PinnedFacts says which facts of a [[vehicle]] entry the file gives explicitly. With source "smartcar" an entry is
// an overlay, and only what it pins overrides what the API reports. Name, Key and Asleep need saying because their
// zero values are settings too ("unknown", false) and a name defaults to the id; make, model, year, virtual_key_url
// and last_read_at are given exactly when their Vehicle field is not zero.
type PinnedFacts struct {
	Name, Key, Asleep bool
}

// pinKey is the key of an entry in Config.Pinned: its id, or its VIN when it has no id.
func pinKey(v Vehicle) string {
	return cmp.Or(v.ID, v.VIN)
}

// Overlay returns the [[vehicle]] entry that overlays the connected vehicle with the given id and VIN, and what the
// entry pins: the entry with that id, else the entry with that VIN (case-insensitive). vin may be "" when it is not
// known yet. ok is false when no entry matches. It scans the entries; callers matching a large fleet should index
// Vehicles by ID and VIN once instead.
func (c Config) Overlay(id, vin string) (v Vehicle, pinned PinnedFacts, ok bool) {
	match := func(same func(Vehicle) bool) (Vehicle, PinnedFacts, bool) {
		for _, v := range c.Vehicles {
			if same(v) {
				return v, c.Pinned[pinKey(v)], true
			}
		}
		return Vehicle{}, PinnedFacts{}, false
	}
	if id != "" {
		if v, p, ok := match(func(v Vehicle) bool { return v.ID == id }); ok {
			return v, p, true
		}
	}
	if vin == "" {
		return Vehicle{}, PinnedFacts{}, false
	}
	vin = strings.ToUpper(vin)
	return match(func(v Vehicle) bool { return v.VIN == vin })
}
