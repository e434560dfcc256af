// Package ring maps keys to hash slots and slots to nodes.
//
// The slot function is Redis Cluster's, bit for bit, so every cluster-aware
// client computes the same slot for a key as the server does.
package ring

import (
	"strings"
	"unsafe"
)

// SlotCount is the fixed number of hash slots, as in Redis Cluster.
const SlotCount = 16384

// KeySlot returns the hash slot of key: CRC16-XMODEM of the key's hash tag
// (the text between the first '{' and the next '}', when non-empty) or of the
// whole key, modulo SlotCount.
func KeySlot(key []byte) uint16 {
	return keySlot(unsafe.String(unsafe.SliceData(key), len(key))) // read only, not kept
}

// KeySlotString is KeySlot for a string key, without copying it.
func KeySlotString(key string) uint16 { return keySlot(key) }

func keySlot(key string) uint16 { return crc16(hashTag(key)) & (SlotCount - 1) }

// hashTag returns the part of key that is hashed.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key // no '}', or "{}", which is not a tag: hash the whole key
	}
	return key[i+1 : i+1+j]
}

// crc16 is CRC16-XMODEM (polynomial 0x1021, MSB first, initial 0), eight
// bytes per step (slice-by-8: the eight bytes' contributions come from
// eight tables and are XORed, instead of eight dependent table lookups),
// then byte by byte.
func crc16(b string) uint16 {
	var crc uint16
	for len(b) >= 8 {
		_ = b[7] // one bounds check for the eight reads
		crc = crcTables[7][byte(crc>>8)^b[0]] ^ crcTables[6][byte(crc)^b[1]] ^
			crcTables[5][b[2]] ^ crcTables[4][b[3]] ^ crcTables[3][b[4]] ^
			crcTables[2][b[5]] ^ crcTables[1][b[6]] ^ crcTables[0][b[7]]
		b = b[8:]
	}
	for i := 0; i < len(b); i++ {
		crc = crc<<8 ^ crcTables[0][byte(crc>>8)^b[i]]
	}
	return crc
}

// crcTables[0] is CRC16-XMODEM's byte table (the CRC of byte i); table k
// is the CRC of byte i followed by k zero bytes, so that eight bytes' CRC is
// the XOR of their entries (crc16).
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[0][i] = crc
	}
	for k := 1; k < len(t); k++ {
		for i := range t[k] {
			prev := t[k-1][i]
			t[k][i] = prev<<8 ^ t[0][byte(prev>>8)]
		}
	}
	return t
}()
