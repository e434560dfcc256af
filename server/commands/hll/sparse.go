package hll

// sparseSet is hllSparseSet: raise register index of the sparse value v to
// count, splitting the opcode that covers it and merging equal VAL runs
// next to it exactly as Redis does, so that the bytes stay Redis's. A count
// above 32, or a form that would grow past sparseMax bytes, promotes v to
// dense first. It returns the new value and whether a register changed.
func sparseSet(v []byte, index int, count uint8, sparseMax int) ([]byte, bool, error) {
	if count > sparseValMaxValue {
		return promote(v, index, count)
	}
	// Step 1: find the opcode covering index.
	p := HdrSize
	end := len(v)
	first, span, prev := 0, 0, -1
	for p < end {
		oplen := 1
		switch b := v[p]; {
		case isZero(b):
			span = zeroLen(b)
		case isVal(b):
			span = valLen(b)
		default:
			span = xzeroLen(v, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return v, false, ErrInvalid
	}
	b := v[p]
	var runlen int
	zero, xzero, val := false, false, false
	switch {
	case isZero(b):
		zero, runlen = true, zeroLen(b)
	case isXZero(b):
		xzero, runlen = true, xzeroLen(v, p)
	default:
		val, runlen = true, valLen(b)
	}
	// Step 2: cases A, B and C are updated in place.
	updated := false
	if val {
		if valValue(b) >= count {
			return v, false, nil // case A
		}
		if runlen == 1 { // case B
			v[p] = valOp(count, 1)
			updated = true
		}
	}
	if !updated && zero && runlen == 1 { // case C
		v[p] = valOp(count, 1)
		updated = true
	}
	if !updated {
		// Case D: split the opcode into up to three.
		var seq [5]byte
		n := 0
		last := first + span - 1
		if zero || xzero {
			if index != first {
				n += putZeros(seq[n:], index-first)
			}
			seq[n] = valOp(count, 1)
			n++
			if index != last {
				n += putZeros(seq[n:], last-index)
			}
		} else {
			cur := valValue(b)
			if index != first {
				seq[n] = valOp(cur, index-first)
				n++
			}
			seq[n] = valOp(count, 1)
			n++
			if index != last {
				seq[n] = valOp(cur, last-index)
				n++
			}
		}
		// Step 3: replace the old opcode by the sequence.
		oldlen := 1
		if xzero {
			oldlen = 2
		}
		delta := n - oldlen
		if delta > 0 && len(v)+delta > sparseMax {
			return promote(v, index, count)
		}
		size := len(v) + delta
		nv := make([]byte, 0, max(size, p+n))
		nv = append(nv, v[:p]...)
		nv = append(nv, seq[:n]...)
		if p+oldlen < len(v) {
			nv = append(nv, v[p+oldlen:]...)
		}
		// An XZERO cut short by the end of a corrupt value still counts
		// two bytes, so Redis's new length drops the sequence's last byte.
		v = nv[:size]
		end = len(v)
	}
	// Step 4: merge adjacent VAL opcodes of equal value, scanning up to
	// five opcodes from the one before the change.
	q := HdrSize
	if prev >= 0 {
		q = prev
	}
	for scan := 5; q < end && scan > 0; scan-- {
		switch b := v[q]; {
		case isXZero(b):
			q += 2
			continue
		case isZero(b):
			q++
			continue
		}
		if q+1 < end && isVal(v[q+1]) {
			v1, v2 := valValue(v[q]), valValue(v[q+1])
			if v1 == v2 {
				if n := valLen(v[q]) + valLen(v[q+1]); n <= sparseValMaxLen {
					v[q+1] = valOp(v1, n)
					copy(v[q:], v[q+1:end])
					end--
					v = v[:end]
					continue // try the merged opcode with the next one
				}
			}
		}
		q++
	}
	Invalidate(v)
	return v, true, nil
}

// putZeros writes a ZERO or XZERO opcode for n registers and returns its
// length.
func putZeros(p []byte, n int) int {
	if n > sparseZeroMaxLen {
		setXZero(p, n)
		return 2
	}
	p[0] = byte(n - 1)
	return 1
}

// promote converts v to dense and sets the register there; a promotion
// always changes it.
func promote(v []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(v)
	if err != nil {
		return v, false, err
	}
	DenseSet(d[HdrSize:], index, count)
	return d, true, nil
}
