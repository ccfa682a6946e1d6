package config

import "testing"

func TestParseConfigAutoProblems(t *testing.T) {
	const valid = "want one of key-installed, legacy, keyless, unknown"
	tests := []configProblemCase{
		{"unknown badges", "[read]\nauto = [\"key-installed\", \"Legacy\", \"keyless\", \"all\"]\n", []string{
			`config.toml:2: read.auto[1]: "Legacy" is not a badge; ` + valid,
			`config.toml:2: read.auto[3]: "all" is not a badge; ` + valid,
		}},
		{"not an array", "[read]\nauto = \"legacy\"\n", []string{
			`config.toml:2: read.auto: want an array of badge names like ["key-installed", "legacy"], got string "legacy"`,
		}},
		{"not a string", "[read]\nauto = [\"legacy\", 3]\n",
			[]string{"config.toml:2: read.auto[1]: want a badge name, got integer 3"}},
		{"read is not a table", "read = [\"legacy\"]\n",
			[]string{"config.toml:1: read: want a table ([read]), got an array"}},
		{"unknown read key", "[read]\nmanual = [\"keyless\"]\n",
			[]string{"config.toml:2: read.manual: unknown key (valid: auto)"}},
	}
	checkConfigProblems(t, tests)
}
