package kit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"
)

// TrySendHeader is TrySend that also returns the answer's headers (a 503's
// Retry-After), for tests that act on them.
func TrySendHeader(ch APIChannel, base string, body any) (int, http.Header, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest("POST", base+"/webhooks/api/"+ch.ID, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := api.SetHeaders(req.Header, ch.Secret, "msg_"+RandHex(8), time.Now(), b); err != nil {
		return 0, nil, err
	}
	res, err := sendClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, res.Header, nil
}
