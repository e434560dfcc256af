package cmdtable

// RangeKeys reports whether Keys finds e's keys from its legacy range
// (rangeKeys), for the external test over the server's whole table.
func RangeKeys(e *Entry) bool { return e.rangeKeys }
