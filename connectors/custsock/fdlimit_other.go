//go:build !unix

package custsock

// FDLimit is unknown here: the configured cap alone applies.
func FDLimit() uint64 { return 0 }
