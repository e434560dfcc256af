package commands

import "github.com/meshcache/meshcache/server/resp"

// Error texts several families answer with, as Redis words them (a
// family's own texts stay in its file).
const (
	errNotPositive = "ERR value is out of range, must be positive"
	errLongRange   = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errNumkeys     = "ERR numkeys should be greater than 0"
	errNumkeysArgs = "ERR Number of keys can't be greater than number of args"
)

// UnknownCommandError formats Redis's error for a command not in the table:
// the name (128 bytes at most) and the arguments, quoted, while they fit in
// 128 bytes (the last one cut to fit).
func UnknownCommandError(args [][]byte) string {
	var list []byte
	for _, a := range args[1:] {
		if len(list) >= 128 {
			break
		}
		list = append(list, '\'')
		list = append(list, Truncate(a, 128-len(list)+1)...)
		list = append(list, '\'', ' ')
	}
	return "ERR unknown command '" + resp.OneLine(Truncate(args[0], 128)) + "', with args beginning with: " + resp.OneLine(list)
}

// Truncate returns b cut to n bytes at most.
func Truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
