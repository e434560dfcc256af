package scripting

import (
	"strings"
)

// Flags are a script's or a function's flags, as a `#!lua flags=...`
// shebang or redis.register_function declares them (script.c
// scripts_flags_def).
type Flags uint8

const (
	NoWrites       Flags = 1 << iota // no-writes: may only read
	AllowOOM                         // allow-oom: runs above maxmemory
	AllowStale                       // allow-stale: runs on a stale replica
	NoCluster                        // no-cluster: refused on a cluster node
	AllowCrossSlot                   // allow-cross-slot-keys: may touch keys of several slots
	// EvalCompat: an EVAL script without a shebang, which Redis runs in
	// its compatibility mode (writes allowed, undeclared keys of any slot
	// of the node, no flag checks).
	EvalCompat
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{NoWrites, "no-writes"}, {AllowOOM, "allow-oom"}, {AllowStale, "allow-stale"},
	{NoCluster, "no-cluster"}, {AllowCrossSlot, "allow-cross-slot-keys"},
}

// FlagByName returns the flag named name (as a shebang or
// register_function spells it).
func FlagByName(name string) (Flags, bool) {
	for _, f := range flagNames {
		if f.name == name {
			return f.f, true
		}
	}
	return 0, false
}

// Names returns the flags' names in Redis's order (FUNCTION LIST).
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// ParseShebang reads the flags of an EVAL script body, as
// evalExtractShebangFlags: no "#!" means EvalCompat; otherwise the first
// line must be "#!lua" followed by "flags=a,b" options. shebangLen is the
// length of the first line (without its newline), which the compiler
// skips while keeping the line count. err is Redis's error text.
func ParseShebang(body []byte) (flags Flags, shebangLen int, err string) {
	if len(body) < 2 || body[0] != '#' || body[1] != '!' {
		return EvalCompat, 0, ""
	}
	end := -1
	for i, c := range body {
		if c == '\n' {
			end = i
			break
		}
	}
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts, ok := splitArgs(string(body[:end]))
	if !ok || len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	for _, p := range parts[1:] {
		rest, isFlags := strings.CutPrefix(p, "flags=")
		if !isFlags {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		for _, name := range strings.Split(rest, ",") {
			f, ok := FlagByName(name)
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, end, ""
}

// splitArgs is sdssplitargs for the shebang line: words separated by
// spaces, "double" and 'single' quoted words with Redis's escapes.
func splitArgs(s string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == '\v' || s[i] == '\f') {
			i++
		}
		if i >= len(s) {
			return out, true
		}
		var cur []byte
		inDQ, inSQ := false, false
		for done := false; !done; {
			switch {
			case inDQ:
				switch {
				case i >= len(s):
					return nil, false
				case s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]):
					cur = append(cur, hexVal(s[i+2])<<4|hexVal(s[i+3]))
					i += 3
				case s[i] == '\\' && i+1 < len(s):
					i++
					c := s[i]
					switch c {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					}
					cur = append(cur, c)
				case s[i] == '"':
					if i+1 < len(s) && !isSpace(s[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, s[i])
				}
			case inSQ:
				switch {
				case i >= len(s):
					return nil, false
				case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case s[i] == '\'':
					if i+1 < len(s) && !isSpace(s[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, s[i])
				}
			default:
				switch {
				case i >= len(s) || isSpace(s[i]):
					done = true
				case s[i] == '"':
					inDQ = true
				case s[i] == '\'':
					inSQ = true
				default:
					cur = append(cur, s[i])
				}
			}
			if i < len(s) {
				i++
			}
		}
		out = append(out, string(cur))
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
