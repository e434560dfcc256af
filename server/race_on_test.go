//go:build race

package server

// raceEnabled: the race detector is on (its shadow memory makes a 512 MB
// string take longer than the differential test waits for a reply).
const raceEnabled = true
