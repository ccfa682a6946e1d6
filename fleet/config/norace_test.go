//go:build !race

package config

// bigFleet is the size of the fleet of TestParseBigFleetProblems: the size of the start-up target (see race_test.go).
const bigFleet = 100_000
