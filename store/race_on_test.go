//go:build race

package store

// raceEnabled: sync.Pool drops objects at random under the race detector.
const raceEnabled = true
