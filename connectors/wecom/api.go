package wecom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// APIError is an error WeCom answered (errcode ≠ 0, or an HTTP error).
type APIError struct {
	Status  int // HTTP status
	Code    int64
	Message string
	API     string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("WeCom %s: HTTP %d, errcode %d: %s", e.API, e.Status, e.Code, e.Message)
}

// WeCom codes the connector acts on.
const (
	codeBusy          = -1    // 系统繁忙: retry
	codeBadToken      = 40014 // 不合法的access_token
	codeNoToken       = 41001 // 缺少access_token参数
	codeTokenExpired  = 42001 // access_token已过期
	codeFrequency     = 45009 // 接口调用超过限制: retry later
	codeBadSyncToken  = 95007 // 不合法的 msgtoken (the callback's sync token expired)
	codeBadOpenKfID   = 95000
	codeNoOpenKfID    = 95004
	codeAPIOff        = 95017 // the kf account is not handed to the API
	codeSessionClosed = 95018 // the session's state takes no API message (人工接待, or ended/expired)
)

// tokenRejected reports a call WeCom refused for its access token: the
// cache drops it, fetches another and retries once.
func tokenRejected(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Code == codeBadToken || ae.Code == codeTokenExpired || ae.Code == codeNoToken)
}

// tokenAnswer is gettoken's answer.
type tokenAnswer struct {
	ErrCode     int64  `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchToken asks gettoken for the application's access token.
func (c *Connector) fetchToken(ctx context.Context, a *account) (string, time.Duration, error) {
	q := url.Values{"corpid": {a.CorpID}, "corpsecret": {a.sec.Secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/cgi-bin/gettoken?"+q.Encode(), nil)
	if err != nil {
		return "", 0, err
	}
	var ta tokenAnswer
	if err := c.do(req, "gettoken", &ta); err != nil {
		return "", 0, err
	}
	if ta.AccessToken == "" || ta.ExpiresIn <= 0 {
		return "", 0, &APIError{Status: http.StatusOK, Code: ta.ErrCode, Message: "no access_token in the answer", API: "gettoken"}
	}
	return ta.AccessToken, time.Duration(ta.ExpiresIn) * time.Second, nil
}

// withToken runs a platform call with a valid access token
// (connectors.TokenCache: shared by the hub's processes, dropped and the
// call retried once when WeCom rejects it).
func (c *Connector) withToken(ctx context.Context, a *account, call func(tok string) error) error {
	fetch := func(ctx context.Context, _ string) (string, time.Duration, error) { return c.fetchToken(ctx, a) }
	return c.tokens.With(ctx, tokenName+a.CorpID+":"+hashSecret(a.sec.Secret), fetch, call)
}

// call POSTs a JSON body to a WeCom API with the access token and decodes
// the answer into v (nil: only errcode is read).
func (c *Connector) call(ctx context.Context, a *account, path string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.withToken(ctx, a, func(tok string) error {
		u := c.base + path + "?access_token=" + url.QueryEscape(tok)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		return c.do(req, path, v)
	})
}

// answer is the errcode every WeCom answer carries.
type answer struct {
	ErrCode int64  `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// do runs a request and reads WeCom's JSON answer: errcode ≠ 0 or a
// non-200 status is an *APIError.
func (c *Connector) do(req *http.Request, api string, v any) error {
	res, err := c.api.Do(req)
	if err != nil {
		return fmt.Errorf("WeCom %s: %w", api, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("WeCom %s: read: %w", api, err)
	}
	var ans answer
	jerr := json.Unmarshal(raw, &ans)
	if res.StatusCode != http.StatusOK || jerr != nil || ans.ErrCode != 0 {
		msg := ans.ErrMsg
		if jerr != nil {
			msg = "unreadable answer"
		}
		return &APIError{Status: res.StatusCode, Code: ans.ErrCode, Message: hub.Truncate(msg, 300), API: api}
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("WeCom %s: %w", api, err)
		}
	}
	return nil
}

// hashSecret names a Secret in the token's name without storing it: a new
// Secret gets a new token.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:6])
}
