package config

import (
	"bytes"
	"fleetkey/fleet/config/configtest"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestParseBigFleetProblems: in a 100 000-vehicle file (bigFleet), every problem still names the file, the line and
// the key, found from the lines of the generated text; and a syntax error deep in the file names its line.
func TestParseBigFleetProblems(t *testing.T) {
	src := configtest.Fleet(bigFleet)
	yearLine := synthLine(src, bigFleet*73456/100_000, "year")
	keyLine := synthLine(src, bigFleet-2, "model")
	idLine := synthLine(src, bigFleet-1, "id")
	if yearLine == 0 || keyLine == 0 || idLine == 0 {
		t.Fatalf("synthLine found no line: year %d, model %d, id %d", yearLine, keyLine, idLine)
	}
	tests := []struct {
		name string
		src  []byte
		want []string
	}{
		{"bad year, misspelt key, duplicate id", withLines(src, map[int]string{
			yearLine: "year = 2009",
			keyLine:  `modle = "Model 3"`,
			idLine:   `id = "veh-000007"`,
		}), []string{
			fmt.Sprintf("fleet.toml:%d: vehicle[%d].year: 2009 is outside 2012..2027", yearLine, bigFleet*73456/100_000),
			fmt.Sprintf("fleet.toml:%d: vehicle[%d].model: required but missing",
				synthLine(src, bigFleet-2, "id")-1, bigFleet-2),
			fmt.Sprintf("fleet.toml:%d: vehicle[%d].modle: unknown key, did you mean `model`?", keyLine, bigFleet-2),
			fmt.Sprintf(`fleet.toml:%d: vehicle[%d].id: duplicate ID "veh-000007", also in vehicle[7] (line %d)`,
				idLine, bigFleet-1, synthLine(src, 7, "id")),
		}},
		// The decoder places the error at the space after "year = 20".
		{"syntax error deep in the file", withLines(src, map[int]string{yearLine: "year = 20 09"}), []string{
			fmt.Sprintf("fleet.toml:%d:10: expected a top-level item to end with a newline, comment, or EOF, "+
				"but got '0' instead", yearLine),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig("fleet.toml", tt.src, configTestNow)
			if got := problemMessages(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("parseConfig(%d vehicles) problems =\n%s\nwant\n%s", bigFleet, strings.Join(got, "\n"),
					strings.Join(tt.want, "\n"))
			}
		})
	}
}

// withLines returns src with the given 1-based lines replaced.
func withLines(src []byte, lines map[int]string) []byte {
	ls := bytes.Split(src, []byte("\n"))
	for n, l := range lines {
		ls[n-1] = []byte(l)
	}
	return bytes.Join(ls, []byte("\n"))
}
