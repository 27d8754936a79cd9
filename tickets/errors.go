package tickets

import "database/sql"

// sqlErrNoRows is how a missing row reads from database/sql.
var sqlErrNoRows = sql.ErrNoRows
