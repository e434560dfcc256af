package evict

// poolSize is EVPOOL_SIZE.
const poolSize = 16

// candidate is one eviction candidate.
type candidate struct {
	score uint64
	slot  uint16
	key   []byte // owned; reused between candidates
}

// Pool holds the best eviction candidates sampled so far, sorted by
// ascending score; the best is last. The zero value is an empty pool. It is
// not safe for concurrent use: the store serialises eviction.
type Pool struct {
	n       int
	entries [poolSize]candidate
	// sample is the buffer Keyspace.Sample copies a sampled key into
	// before insert copies it into its entry.
	sample []byte
}

// insert adds a candidate when it beats the worst one or there is room,
// as evictionPoolPopulate does.
func (p *Pool) insert(score uint64, slot uint16, key []byte) {
	for i := 0; i < p.n; i++ {
		if p.entries[i].slot == slot && string(p.entries[i].key) == string(key) {
			p.entries[i].score = score
			return
		}
	}
	i := 0
	for i < p.n && p.entries[i].score < score {
		i++
	}
	if i == 0 && p.n == poolSize {
		return // worse than every candidate of a full pool
	}
	var spare []byte
	if p.n < poolSize {
		// Shift [i, n) right by one; the unused last entry's buffer is spare.
		spare = p.entries[p.n].key
		copy(p.entries[i+1:p.n+1], p.entries[i:p.n])
		p.n++
	} else {
		// Full: drop the worst (entry 0) and shift [1, i) left.
		spare = p.entries[0].key
		copy(p.entries[:i-1], p.entries[1:i])
		i--
	}
	p.entries[i] = candidate{score: score, slot: slot, key: append(spare[:0], key...)}
}

// pop removes and returns the best candidate; the key stays valid until the
// next insert.
func (p *Pool) pop() (candidate, bool) {
	if p.n == 0 {
		return candidate{}, false
	}
	p.n--
	return p.entries[p.n], true
}
