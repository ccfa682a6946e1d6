//go:build race

package config

// bigFleet is the size of the fleet of TestParseBigFleetProblems. The race detector makes decoding 100 000 vehicles
// (twice, with BurntSushi/toml for the syntax error) take half a minute, so under it the test runs at 10 000; the
// ordinary test run checks the lines at 100 000.
const bigFleet = 10_000
