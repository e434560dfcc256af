package resp

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Reading whole replies that another node sent (the parts of a split
// command), as opposed to Reply, which writes them.

// ParseInteger reads a whole RESP integer reply (":n\r\n").
func ParseInteger(b []byte) (int64, error) {
	if len(b) < 4 || b[0] != ':' || !bytes.HasSuffix(b, []byte("\r\n")) {
		return 0, fmt.Errorf("not an integer reply: %q", b[:min(len(b), 64)])
	}
	return strconv.ParseInt(string(b[1:len(b)-2]), 10, 64)
}

// SplitBulkArray splits a whole RESP array reply of bulk strings and nulls
// (MGET's), RESP2 or RESP3, into the raw bytes of each element; anything
// else, a truncated element or trailing bytes is an error.
func SplitBulkArray(b []byte) ([][]byte, error) {
	n, rest, err := readHeader(b, '*')
	if err != nil {
		return nil, err
	}
	items := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		var size int
		switch {
		case len(rest) >= 3 && rest[0] == '_': // RESP3 null
			size = 3
		case len(rest) > 0 && rest[0] == '$':
			l, after, err := readHeader(rest, '$')
			if err != nil {
				return nil, err
			}
			size = len(rest) - len(after)
			if l >= 0 {
				size += l + 2
			}
		default:
			return nil, fmt.Errorf("element %d: not a bulk string", i)
		}
		if size > len(rest) {
			return nil, fmt.Errorf("element %d truncated", i)
		}
		items = append(items, rest[:size:size])
		rest = rest[size:]
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing bytes after the array")
	}
	return items, nil
}

// readHeader reads a "<kind><n>\r\n" line and returns n and what follows.
func readHeader(b []byte, kind byte) (int, []byte, error) {
	if len(b) == 0 || b[0] != kind {
		return 0, nil, fmt.Errorf("want %q reply, have %q", kind, b[:min(len(b), 64)])
	}
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 {
		return 0, nil, errors.New("header line truncated")
	}
	n, err := strconv.Atoi(string(b[1:end]))
	if err != nil {
		return 0, nil, fmt.Errorf("header %q: %w", b[:end], err)
	}
	return n, b[end+2:], nil
}
