//go:build !unix

package web

// fdLimit is unknown here: the configured cap alone applies.
func fdLimit() uint64 { return 0 }
