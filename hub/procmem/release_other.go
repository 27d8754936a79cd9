//go:build !linux

package procmem

// Release does nothing where /proc is not there.
func Release() (uint64, error) { return 0, nil }
