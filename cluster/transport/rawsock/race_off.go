//go:build !race

package rawsock

// raceEnabled: built with -race (Read and Write say why it matters).
const raceEnabled = false
