package store

import (
	"fmt"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtJournalsInMemory keeps SQLite's statement journals in small heap
// chunks. By default each statement journal is one 64 KiB chunk that
// modernc's allocator maps and unmaps on every write statement inside a
// transaction (about a tenth of the hub's CPU at full rate, most of it in
// mmap/munmap and TLB flushes). A negative spill size means 1 KiB chunks
// that never spill to a temporary file; our statements change few rows,
// so the journals stay small.
//
// It is process-wide and must run before the first SQLite connection
// opens; afterwards SQLite refuses it, which is only slower, not wrong.
var stmtJournalsInMemory = sync.OnceValue(func() error {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.Xmalloc(tls, 8)
	if va == 0 {
		return fmt.Errorf("sqlite config: out of memory")
	}
	defer libc.Xfree(tls, va)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_STMTJRNL_SPILL, libc.VaList(va, int32(-1))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite config: statement journal spill: code %d", rc)
	}
	return nil
})
