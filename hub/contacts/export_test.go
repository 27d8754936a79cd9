package contacts

// SetCommon sets how many candidates make a search text common, for a test
// to walk both ways of matching; it returns the undo.
func SetCommon(n int) func() {
	old := common
	common = n
	return func() { common = old }
}

// SetFew sets how many contacts a plain agent may see for their list to be
// read from those contacts, and how many of the list's first contacts are
// searched before, for a test to walk every way of listing; it returns the
// undo.
func SetFew(n, probe int) func() {
	oldFew, oldPlain, oldProbe := few, fewPlain, probeRows
	few, fewPlain, probeRows = n, n, probe
	return func() { few, fewPlain, probeRows = oldFew, oldPlain, oldProbe }
}

// SetFewOwn sets how many owned matches of a common text a plain agent's
// list reads without searching the list's newest first (0: never).
func SetFewOwn(n int) func() {
	old := fewOwn
	fewOwn = n
	return func() { fewOwn = old }
}
