package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/ring"
)

// A lease probe (cluster/lease, DESIGN §4) rides transport.KindPing, whose
// reply has always been the request's bytes echoed. The probe extends the
// ping's 8 bytes instead of taking a new kind, so that a node of an older
// build still answers it (with an echo) during a rolling upgrade:
//
//	probe   nonce(8) 'P' epoch(uvarint) issuer length(1) issuer
//	answer  nonce(8) 'A' epoch(uvarint) issuer length(1) issuer
//
// The epoch and issuer are those of the routing table the sender (probe)
// or the replier (answer) holds; a node with no table sends epoch 0 and an
// empty issuer. A plain ping (8 bytes) is still echoed. An older node
// echoes a probe whole: DecodeProbeAnswer reports that as an answer
// without a table (Echo).

const (
	probeNonceLen = 8
	probeMark     = 'P'
	answerMark    = 'A'
)

// ProbeTable is the routing table a lease probe or its answer reports.
type ProbeTable struct {
	Epoch  uint64
	Issuer ring.NodeID
}

// AppendProbe appends a lease probe with the sender's table.
func AppendProbe(b []byte, nonce uint64, t ProbeTable) []byte {
	return appendProbeMsg(b, nonce, probeMark, t)
}

// AppendProbeAnswer appends the answer to a probe of nonce with the
// replier's table.
func AppendProbeAnswer(b []byte, nonce uint64, t ProbeTable) []byte {
	return appendProbeMsg(b, nonce, answerMark, t)
}

func appendProbeMsg(b []byte, nonce uint64, mark byte, t ProbeTable) []byte {
	b = binary.BigEndian.AppendUint64(b, nonce)
	b = append(b, mark)
	b = binary.AppendUvarint(b, t.Epoch)
	b = append(b, byte(len(t.Issuer)))
	return append(b, t.Issuer...)
}

// IsProbe reports whether a ping's payload is a lease probe (the others
// are plain pings, echoed).
func IsProbe(b []byte) bool { return len(b) > probeNonceLen && b[probeNonceLen] == probeMark }

// DecodeProbe decodes AppendProbe's output.
func DecodeProbe(b []byte) (nonce uint64, t ProbeTable, err error) {
	nonce, mark, t, err := decodeProbeMsg(b)
	if err == nil && mark != probeMark {
		err = errors.New("lease probe: not a probe")
	}
	return nonce, t, err
}

// DecodeProbeAnswer decodes the answer to a probe of nonce. echo reports
// an older node's answer (the probe echoed): it carries no table.
func DecodeProbeAnswer(b []byte, nonce uint64) (t ProbeTable, echo bool, err error) {
	got, mark, t, err := decodeProbeMsg(b)
	switch {
	case err != nil:
		return ProbeTable{}, false, err
	case got != nonce:
		return ProbeTable{}, false, errors.New("lease probe answer: nonce does not match")
	case mark == probeMark:
		return ProbeTable{}, true, nil
	}
	return t, false, nil
}

func decodeProbeMsg(b []byte) (nonce uint64, mark byte, t ProbeTable, err error) {
	d := decoder{b: b}
	if raw := d.raw(probeNonceLen, "nonce"); d.err == nil {
		nonce = binary.BigEndian.Uint64(raw)
	}
	mark = d.byte1()
	t.Epoch = d.uvarint()
	n := d.byte1()
	t.Issuer = ring.NodeID(d.raw(int(n), "issuer"))
	if d.err == nil && mark != probeMark && mark != answerMark {
		d.err = fmt.Errorf("unknown mark %q", mark)
	}
	if d.err != nil {
		return 0, 0, ProbeTable{}, fmt.Errorf("lease probe: %w", d.err)
	}
	return nonce, mark, t, nil
}
