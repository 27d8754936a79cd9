package store

import (
	"fmt"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtJournalsInMemory keeps SQLite's statement journals in small heap
// chunks that never spill to a temporary file (a negative spill size), so a
// write statement inside a transaction costs no file syscalls; our
// statements change few rows, so the journals stay small. (The allocator
// under modernc's SQLite keeps freed pages for reuse since memory v1.12,
// so the chunks' turnover costs no mmap/munmap either.)
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
