package store

// SetAccess sets key's access metadata as RESTORE's IDLETIME and FREQ do
// (Redis's objectSetLRUOrLFU): under an LFU policy a freq >= 0 becomes the
// key's LFU counter; under any other policy an idleSec >= 0 makes the key
// look idle for that long. A negative argument leaves its part alone. The
// metadata ranks eviction on this node only: like every access time it is
// not an effect and does not replicate. It reports whether key exists.
func (tx *Tx) SetAccess(key []byte, idleSec int64, freq int) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return false, nil
	}
	a := sl.t.arena
	switch {
	case tx.lfu && freq >= 0:
		setLFU(a, off, tx.nowMin, uint8(min(freq, 255)))
	case !tx.lfu && idleSec >= 0:
		lru := int64(tx.nowSec) - idleSec
		setLRU(a, off, uint32(max(lru, 0)))
	}
	return true, nil
}
