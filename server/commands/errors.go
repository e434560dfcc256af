package commands

// Error texts several families answer with, as Redis words them (a
// family's own texts stay in its file).
const (
	errNotPositive = "ERR value is out of range, must be positive"
	errLongRange   = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errNumkeys     = "ERR numkeys should be greater than 0"
	errNumkeysArgs = "ERR Number of keys can't be greater than number of args"
)
