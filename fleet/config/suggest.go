package config

import (
	"slices"
	"strings"
)

// suggest returns the known key nearest to an unknown key k, when it is near enough to be a typo: at most 2 edits
// (a transposition counts as one), and fewer edits than the suggestion has characters. Case is ignored, so `VIN`
// suggests `vin`. Ties go to the earlier known key.
func suggest(k string, known []string) (string, bool) {
	best, bestDist := "", -1
	for _, cand := range known {
		d := editDistance(strings.ToLower(k), cand)
		if bestDist < 0 || d < bestDist {
			best, bestDist = cand, d
		}
	}
	if bestDist < 0 || bestDist > 2 || bestDist >= len(best) {
		return "", false
	}
	return best, true
}

// editDistance is the optimal string alignment distance of a and b: the fewest insertions, deletions, substitutions
// and transpositions of adjacent characters that turn a into b, each substring edited at most once.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance of ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// tableKeys are the valid keys of each table, by header, in file order.
var tableKeys = []struct {
	header string
	keys   []string
}{
	{"[fleet]", fleetKeys}, {"[account]", accountKeys}, {"[smartcar]", smartcarKeys}, {"[connect]", connectKeys},
	{"[policy]", policyKeys},
	{"[read]", readKeys}, {"[serve]", serveKeys}, {"[[vehicle]]", vehicleKeys},
}

// homeTable returns the header of the table other than t where k is a valid key ("[fleet]" for `source`), "" when
// there is none.
func homeTable(t table, k string) string {
	own := "[" + t.path + "]"
	if strings.HasPrefix(t.path, "vehicle[") {
		own = "[[vehicle]]"
	}
	for _, tk := range tableKeys {
		if tk.header != own && slices.Contains(tk.keys, k) {
			return tk.header
		}
	}
	return ""
}

// secretWords are the parts of a key name that mark it as holding a secret.
var secretWords = []string{"secret", "token", "password", "passwd", "api_key", "apikey"}

// looksSecret reports whether an unknown key k looks like it holds a secret ("client_secret", "access_token").
func looksSecret(k string) bool {
	k = strings.ReplaceAll(strings.ToLower(k), "-", "_")
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
