package qq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Access tokens. getAppAccessToken hands out one token per bot; asked in a
// token's last 60 seconds it returns a new one while the old one stays
// valid a little longer. connectors.TokenCache keeps it for every hub
// process and renews it when the API rejects it.

// tokenAnswer is getAppAccessToken's answer; expires_in is a string
// ("7200"), though a number is read too.
type tokenAnswer struct {
	AccessToken string          `json:"access_token"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Code        int64           `json:"code"`
	Message     string          `json:"message"`
}

func (ta *tokenAnswer) lifetime() (time.Duration, error) {
	s := strings.Trim(string(ta.ExpiresIn), `" `)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expires_in %q is not a positive number of seconds", ta.ExpiresIn)
	}
	return time.Duration(n) * time.Second, nil
}

// fetchToken asks getAppAccessToken for the bot's token and its lifetime.
func (c *Connector) fetchToken(ctx context.Context, a *account) (string, time.Duration, error) {
	body, _ := json.Marshal(map[string]string{"appId": a.AppID, "clientSecret": a.sec.AppSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenBase+"/app/getAppAccessToken", bytes.NewReader(body))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.api.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("get access token: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var ta tokenAnswer
	if err := json.Unmarshal(raw, &ta); err != nil {
		return "", 0, fmt.Errorf("get access token: %s, unreadable answer", res.Status)
	}
	if res.StatusCode != http.StatusOK || ta.AccessToken == "" {
		return "", 0, &APIError{Status: res.StatusCode, Code: ta.Code, Message: ta.Message, API: "getAppAccessToken"}
	}
	life, err := ta.lifetime()
	if err != nil {
		return "", 0, fmt.Errorf("get access token: %w", err)
	}
	return ta.AccessToken, life, nil
}

// withToken runs a platform call with a valid token (connectors.TokenCache:
// shared by the hub's processes, renewed and retried once when rejected).
func (c *Connector) withToken(ctx context.Context, a *account, call func(tok string) error) error {
	fetch := func(ctx context.Context, _ string) (string, time.Duration, error) { return c.fetchToken(ctx, a) }
	return c.tokens.With(ctx, tokenName+a.AppID, fetch, call)
}

// APIError is an error the platform answered.
type APIError struct {
	Status  int // HTTP status
	Code    int64
	Message string
	API     string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("QQ %s: HTTP %d, code %d: %s", e.API, e.Status, e.Code, e.Message)
}

// Token errors: 11241–11244 (token invalid, expired, not found) or a 401.
func tokenRejected(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusUnauthorized || (ae.Code >= 11241 && ae.Code <= 11244)
}
