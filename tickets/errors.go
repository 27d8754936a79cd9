package tickets

import "database/sql"

var sqlErrNoRows = sql.ErrNoRows
