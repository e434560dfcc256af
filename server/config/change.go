package config

import (
	"strings"

	"github.com/meshcache/meshcache/server/resp"
)

// Matching returns the names CONFIG GET answers for patterns: every
// setting name or alias matching any of them, each once, in the order
// the patterns find them.
func Matching(patterns [][]byte) []string {
	seen := make(map[string]bool)
	var names []string
	for _, pat := range patterns {
		for _, n := range Match(string(pat)) {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// ChangeAll is CONFIG SET name value [name value ...] on cfg, all or
// nothing as Redis 7: it returns the changed configuration and the
// settings it changed, or the error line CONFIG SET answers (Redis's
// words) and cfg's copy untouched. nameValues has an even length.
func ChangeAll(cfg Config, nameValues [][]byte) (next Config, changed []*Setting, errLine string) {
	next = cfg
	seen := make(map[*Setting]bool)
	for i := 0; i+1 < len(nameValues); i += 2 {
		name := strings.ToLower(string(nameValues[i]))
		p := Lookup(name)
		if p == nil {
			return cfg, nil, "ERR Unknown option or number of arguments for CONFIG SET - '" + resp.OneLine(nameValues[i]) + "'"
		}
		if seen[p] {
			return cfg, nil, setError(name, "duplicate parameter")
		}
		seen[p] = true
		if err := p.Change(&next, string(nameValues[i+1])); err != nil { // ErrImmutable too
			return cfg, nil, setError(name, err.Error())
		}
		changed = append(changed, p)
	}
	if err := next.Validate(); err != nil {
		return cfg, nil, setError(changed[0].Name(), err.Error())
	}
	return next, changed, ""
}

// setError formats a rejected CONFIG SET as Redis 7 does.
func setError(name, reason string) string {
	return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason
}
