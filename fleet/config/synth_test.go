package config

// The line of any key in a synthetic fleet (configtest.Fleet), so that a test can name the line a message must give.

import (
	"bytes"
)

// synthLine returns the 1-based line of key in [[vehicle]] entry i (counted from 0) of src, 0 when the entry has no
// such key, found by scanning the text, so that a test does not depend on how configtest.Fleet lays entries out.
func synthLine(src []byte, i int, key string) int {
	line, entry := 1, -1
	for _, l := range bytes.Split(src, []byte("\n")) {
		switch {
		case bytes.Equal(l, []byte("[[vehicle]]")):
			entry++
		case entry == i && bytes.HasPrefix(l, []byte(key+" = ")):
			return line
		case entry > i:
			return 0
		}
		line++
	}
	return 0
}
