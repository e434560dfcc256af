package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// decoder reads a message field by field. The first error sticks: every
// later read returns a zero value, so a decode function reads all its
// fields and checks err once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errors.New("bad uvarint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errors.New("bad varint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// count reads a list's length and refuses one larger than the bytes left
// divided by each element's least size (at least 1 byte per element).
func (d *decoder) count(minSize int) uint64 {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/max(minSize, 1)) {
		d.err = errors.New("bad count")
	}
	return n
}

// bytes reads a length-prefixed byte string; an empty one is nil.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errors.New("truncated bytes")
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	if n == 0 {
		return nil
	}
	return s
}

// raw reads n bytes with no length prefix.
func (d *decoder) raw(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = errors.New("truncated " + what)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) nodeID() ring.NodeID {
	return ring.NodeID(d.raw(ring.NodeIDLen, "node ID"))
}

func (d *decoder) u16() uint16 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 2 {
		d.err = errors.New("truncated slot")
		return 0
	}
	v := binary.BigEndian.Uint16(d.b)
	d.b = d.b[2:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.err = errors.New("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) effect(slot uint16) store.Effect {
	e := store.Effect{Slot: slot}
	e.Kind = store.EffectKind(d.byte1())
	e.Key = d.bytes()
	e.Field = d.bytes()
	e.Value = d.bytes()
	e.ExpireAt = d.varint()
	return e
}

// trailing fails on bytes left after the last field.
func (d *decoder) trailing() {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
