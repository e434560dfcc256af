package resp

// GlobMatch reports whether str matches the glob pattern, exactly as Redis's
// stringmatchlen does for KEYS, SCAN MATCH and HSCAN MATCH:
//
//   - any sequence of bytes, including none
//     ?       any one byte
//     [abc]   one of the bytes listed; [^abc] none of them
//     [a-z]   a range (ends in either order); ranges compare bytes as C's
//     signed char, as Redis does on amd64
//     \x      the byte x itself, also inside brackets
//
// An unterminated bracket ends the pattern; a trailing backslash matches
// itself. With nocase, ASCII letters match either case.
func GlobMatch(pattern, str []byte, nocase bool) bool {
	skipLonger := false
	return globMatchImpl(pattern, str, nocase, &skipLonger)
}

// globMatchImpl is stringmatchlen_impl. skipLonger is set once a '*' has
// tried every remaining suffix of str without success: any earlier '*'
// trying a longer match cannot succeed either, which bounds the work for
// patterns like "*a*a*a*a*b" to polynomial time.
func globMatchImpl(pattern, str []byte, nocase bool, skipLonger *bool) bool {
	for len(pattern) > 0 && len(str) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for len(str) > 0 {
				if globMatchImpl(pattern[1:], str, nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				str = str[1:]
			}
			*skipLonger = true
			return false
		case '?':
			str = str[1:]
		case '[':
			pattern = pattern[1:]
			not := len(pattern) > 0 && pattern[0] == '^'
			if not {
				pattern = pattern[1:]
			}
			match := false
			for {
				if len(pattern) >= 2 && pattern[0] == '\\' {
					pattern = pattern[1:]
					if pattern[0] == str[0] {
						match = true
					}
				} else if len(pattern) == 0 {
					// Unterminated: stay on the last byte so the common
					// advance below consumes it and ends the pattern.
					break
				} else if pattern[0] == ']' {
					break
				} else if len(pattern) >= 3 && pattern[1] == '-' {
					start, end, c := int(int8(pattern[0])), int(int8(pattern[2])), int(int8(str[0]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lowerASCII(start), lowerASCII(end), lowerASCII(c)
					}
					pattern = pattern[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if pattern[0] == str[0] || (nocase && lowerASCII(int(pattern[0])) == lowerASCII(int(str[0]))) {
					match = true
				}
				pattern = pattern[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			str = str[1:]
			if len(pattern) == 0 {
				// The unterminated bracket consumed the whole pattern.
				return len(str) == 0
			}
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if pattern[0] != str[0] && (!nocase || lowerASCII(int(pattern[0])) != lowerASCII(int(str[0]))) {
				return false
			}
			str = str[1:]
		}
		pattern = pattern[1:]
		if len(str) == 0 {
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			break
		}
	}
	return len(pattern) == 0 && len(str) == 0
}

// lowerASCII is C's tolower in the C locale: only A-Z change.
func lowerASCII(c int) int {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// MatchAll reports whether pattern is "*", which matches every key, so
// KEYS and SCAN can skip matching altogether as Redis does.
func MatchAll(pattern []byte) bool { return len(pattern) == 1 && pattern[0] == '*' }
