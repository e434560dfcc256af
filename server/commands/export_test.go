package commands

// Unexported parts of SORT that the external tests (sort_test.go) check.
var (
	PatternSlot = patternSlot
	SortGetKeys = sortGetKeys
)
