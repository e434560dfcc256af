package lualib

import (
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// JSON token types, in json_token_type_t's order (their names appear in
// parse errors).
type jsonTokenType int

const (
	tObjBegin jsonTokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var jsonTokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END",
	"T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN"}

// jsonCharTokens is ch2token.
var jsonCharTokens = func() [256]jsonTokenType {
	var t [256]jsonTokenType
	for i := range t {
		t[i] = tError
	}
	t['{'], t['}'], t['['], t[']'], t[','], t[':'] = tObjBegin, tObjEnd, tArrBegin, tArrEnd, tComma, tColon
	t[0] = tEnd
	t[' '], t['\t'], t['\n'], t['\r'] = tWhitespace, tWhitespace, tWhitespace, tWhitespace
	for _, c := range "fiInNt\"+-0123456789" {
		t[c] = tUnknown
	}
	return t
}()

// jsonUnescapes is escape2char: 0 for an invalid escape.
var jsonUnescapes = func() [256]byte {
	var t [256]byte
	t['"'], t['\\'], t['/'], t['b'], t['t'], t['n'], t['f'], t['r'], t['u'] = '"', '\\', '/', '\b', '\t', '\n', '\f', '\r', 'u'
	return t
}()

type jsonToken struct {
	typ   jsonTokenType
	index int // 0-based offset of the token
	str   string
	num   float64
	b     bool
	err   string // for tError
}

// jsonParser is one cjson.decode call. The input reads as C's
// NUL-terminated string: a NUL byte, and the end, read as NUL.
type jsonParser struct {
	L     *lua.LState
	cfg   *jsonConfig
	null  *lua.LUserData
	data  string
	ptr   int
	depth int32
	tmp   []byte
}

func (p *jsonParser) at(i int) byte {
	if i < len(p.data) {
		return p.data[i]
	}
	return 0
}

func jsonDecode(L *lua.LState, cfg *jsonConfig, null *lua.LUserData) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	p := &jsonParser{L: L, cfg: cfg, null: null, data: checkString(L, 1)}
	if len(p.data) >= 2 && (p.data[0] == 0 || p.data[1] == 0) {
		raise(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	var tok jsonToken
	p.nextToken(&tok)
	v := p.value(&tok, 1)
	p.nextToken(&tok)
	if tok.typ != tEnd {
		p.throw("the end", &tok)
	}
	L.Push(v)
	return 1
}

// throw is json_throw_parse_error.
func (p *jsonParser) throw(expected string, tok *jsonToken) {
	found := jsonTokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.err
	}
	raise(p.L, "Expected %s but found %s at character %d", expected, found, tok.index+1)
}

func (p *jsonParser) setError(tok *jsonToken, msg string) {
	tok.typ = tError
	tok.index = p.ptr
	tok.err = msg
}

// nextToken is json_next_token.
func (p *jsonParser) nextToken(tok *jsonToken) {
	var c byte
	for {
		c = p.at(p.ptr)
		tok.typ = jsonCharTokens[c]
		if tok.typ != tWhitespace {
			break
		}
		p.ptr++
	}
	tok.index = p.ptr
	switch tok.typ {
	case tError:
		p.setError(tok, "invalid token")
		return
	case tEnd:
		return
	case tUnknown:
	default:
		p.ptr++
		return
	}
	rest := p.data[p.ptr:]
	switch {
	case c == '"':
		p.stringToken(tok)
	case c == '-' || isDigit(c):
		if p.cfg.decodeInvalidNumbers == 0 && p.invalidNumber() {
			p.setError(tok, "invalid number")
			return
		}
		p.numberToken(tok)
	case hasPrefix(rest, "true"):
		tok.typ, tok.b = tBoolean, true
		p.ptr += 4
	case hasPrefix(rest, "false"):
		tok.typ, tok.b = tBoolean, false
		p.ptr += 5
	case hasPrefix(rest, "null"):
		tok.typ = tNull
		p.ptr += 4
	case p.cfg.decodeInvalidNumbers != 0 && p.invalidNumber():
		p.numberToken(tok)
	default:
		p.setError(tok, "invalid token")
	}
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// invalidNumber is json_is_invalid_number: numbers strtod takes but strict
// JSON does not (leading +, hexadecimal, leading zeros, inf, nan).
func (p *jsonParser) invalidNumber() bool {
	i := p.ptr
	c := p.at(i)
	if c == '+' {
		return true
	}
	if c == '-' {
		i++
		c = p.at(i)
	}
	if c == '0' {
		c2 := p.at(i + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	}
	if c <= '9' || c >= 0x80 { // a C char: bytes from 0x80 are negative
		return false
	}
	rest := p.data[i:]
	return hasPrefixFold(rest, "inf") || hasPrefixFold(rest, "nan")
}

func (p *jsonParser) numberToken(tok *jsonToken) {
	tok.typ = tNumber
	f, n := strtod(p.data[p.ptr:])
	if n == 0 {
		p.setError(tok, "invalid number")
		return
	}
	tok.num = f
	p.ptr += n
}

// stringToken is json_next_string_token.
func (p *jsonParser) stringToken(tok *jsonToken) {
	p.ptr++ // the opening quote
	p.tmp = p.tmp[:0]
	for {
		c := p.at(p.ptr)
		if c == '"' {
			break
		}
		if c == 0 {
			p.setError(tok, "unexpected end of string")
			return
		}
		if c == '\\' {
			c = jsonUnescapes[p.at(p.ptr+1)]
			if c == 'u' {
				if p.unicodeEscape() {
					continue
				}
				p.setError(tok, "invalid unicode escape code")
				return
			}
			if c == 0 {
				p.setError(tok, "invalid escape code")
				return
			}
			p.ptr++
		}
		p.tmp = append(p.tmp, c)
		p.ptr++
	}
	p.ptr++ // the closing quote
	tok.typ = tString
	tok.str = string(p.tmp)
}

func (p *jsonParser) hex4(i int) int {
	v := 0
	for k := 0; k < 4; k++ {
		c := p.at(i + k)
		var d int
		switch {
		case isDigit(c):
			d = int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			d = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | d
	}
	return v
}

// unicodeEscape is json_append_unicode_escape at \uXXXX (with a surrogate
// pair's second half): appends the UTF-8 and advances, false when invalid.
func (p *jsonParser) unicodeEscape() bool {
	cp := p.hex4(p.ptr + 2)
	if cp < 0 {
		return false
	}
	n := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if p.at(p.ptr+6) != '\\' || p.at(p.ptr+7) != 'u' {
			return false
		}
		low := p.hex4(p.ptr + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		n = 12
	}
	p.tmp = utf8.AppendRune(p.tmp, rune(cp))
	p.ptr += n
	return true
}

// descend is json_decode_descend: slots is the Lua stack the level needs
// on top of used, the slots the C parser already holds.
func (p *jsonParser) descend(used, slots int) {
	p.depth++
	if p.depth <= p.cfg.decodeMaxDepth && used+slots <= maxCStack {
		return
	}
	raise(p.L, "Found too many nested data structures (%d) at character %d", p.depth, p.ptr)
}

// value is json_process_value; used counts the C parser's stack slots.
func (p *jsonParser) value(tok *jsonToken, used int) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tObjBegin:
		return p.object(used)
	case tArrBegin:
		return p.array(used)
	case tNull:
		return p.null
	}
	p.throw("value", tok)
	return nil
}

func (p *jsonParser) object(used int) lua.LValue {
	p.descend(used, 3)
	// The pairs are gathered first so that the table is made at its size
	// (gopher-lua's first string key otherwise reserves 32 slots).
	var pairs []jsonPair
	var tok jsonToken
	p.nextToken(&tok)
	if tok.typ != tObjEnd {
		for {
			if tok.typ != tString {
				p.throw("object key string", &tok)
			}
			key := tok.str
			p.nextToken(&tok)
			if tok.typ != tColon {
				p.throw("colon", &tok)
			}
			p.nextToken(&tok)
			pairs = append(pairs, jsonPair{key, p.value(&tok, used+2)})
			p.nextToken(&tok)
			if tok.typ == tObjEnd {
				break
			}
			if tok.typ != tComma {
				p.throw("comma or object end", &tok)
			}
			p.nextToken(&tok)
		}
	}
	p.depth--
	t := p.L.CreateTable(0, len(pairs))
	for _, kv := range pairs {
		t.RawSetString(kv.key, kv.value) // a repeated key: the last one stays
	}
	return t
}

type jsonPair struct {
	key   string
	value lua.LValue
}

func (p *jsonParser) array(used int) lua.LValue {
	p.descend(used, 2)
	t := p.L.CreateTable(0, 0)
	var tok jsonToken
	p.nextToken(&tok)
	if tok.typ == tArrEnd {
		p.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, p.value(&tok, used+1))
		p.nextToken(&tok)
		if tok.typ == tArrEnd {
			p.depth--
			return t
		}
		if tok.typ != tComma {
			p.throw("comma or array end", &tok)
		}
		p.nextToken(&tok)
	}
}
