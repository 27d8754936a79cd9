package ratings

import (
	"encoding/hex"
	"strconv"
)

// SignForTest is the token a key (hex, as stored) gives a conversation's
// link until exp (unix seconds).
func SignForTest(secret, convID string, exp int64) string {
	b, _ := hex.DecodeString(secret)
	return convID + "-" + strconv.FormatInt(exp, 36) + "-" + sign(b, convID, exp)
}
