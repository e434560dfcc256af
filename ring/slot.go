// Package ring maps keys to hash slots and slots to nodes.
//
// The slot function is Redis Cluster's, bit for bit, so every cluster-aware
// client computes the same slot for a key as the server does.
package ring

// SlotCount is the fixed number of hash slots, as in Redis Cluster.
const SlotCount = 16384

// KeySlot returns the hash slot of key: CRC16-XMODEM of the key's hash tag
// (the text between the first '{' and the next '}', when non-empty) or of the
// whole key, modulo SlotCount.
func KeySlot(key []byte) uint16 {
	return crc16(hashTag(key)) & (SlotCount - 1)
}

// KeySlotString is KeySlot for a string key, without copying it.
func KeySlotString(key string) uint16 {
	start := -1
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			start = i
			break
		}
	}
	if start >= 0 {
		for j := start + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > start+1 {
					key = key[start+1 : j]
				}
				break
			}
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^key[i]]
	}
	return crc & (SlotCount - 1)
}

// hashTag returns the part of key that is hashed.
func hashTag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key // "{}" is not a tag: hash the whole key
				}
				return key[i+1 : j]
			}
		}
		return key
	}
	return key
}

func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// crcTable is CRC16-XMODEM (polynomial 0x1021), one entry per byte value.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()
