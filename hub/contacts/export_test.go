package contacts

// SetCommon sets how many candidates make a search text common, for a test
// to walk both ways of matching; it returns the undo.
func SetCommon(n int) func() {
	old := common
	common = n
	return func() { common = old }
}
