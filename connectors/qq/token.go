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
	"sync"
	"time"
)

// Access tokens. getAppAccessToken hands out one token per bot; asked in a
// token's last 60 seconds it returns a new one while the old one stays
// valid a little longer. The token is stored where every hub process reads
// it (deps.Tokens), so a cluster fetches once per lifetime instead of once
// per process; a token the API rejects is dropped (only if no other
// process replaced it already), a fresh one fetched and the call retried once.

// refreshBefore is how long before its expiry a token is renewed.
const refreshBefore = 5 * time.Minute

type cachedToken struct {
	token string
	until time.Time
}

type tokenSource struct {
	c     *Connector
	mu    sync.Mutex
	mem   map[string]cachedToken // appid → token (the store is the truth)
	locks map[string]*sync.Mutex // one fetch per appid in this process
}

func newTokenSource(c *Connector) *tokenSource {
	return &tokenSource{c: c, mem: map[string]cachedToken{}, locks: map[string]*sync.Mutex{}}
}

func (t *tokenSource) cached(appID string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ct, ok := t.mem[appID]
	return ct.token, ok && t.c.deps.Now().Before(ct.until)
}

func (t *tokenSource) lock(appID string) *sync.Mutex {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.locks[appID]
	if !ok {
		l = &sync.Mutex{}
		t.locks[appID] = l
	}
	return l
}

func (t *tokenSource) remember(appID, tok string, until time.Time) {
	t.mu.Lock()
	t.mem[appID] = cachedToken{tok, until}
	t.mu.Unlock()
}

// get returns a valid token for the bot: cached, stored, or fetched.
func (t *tokenSource) get(ctx context.Context, a *account) (string, error) {
	if tok, ok := t.cached(a.AppID); ok {
		return tok, nil
	}
	l := t.lock(a.AppID)
	l.Lock()
	defer l.Unlock()
	if tok, ok := t.cached(a.AppID); ok {
		return tok, nil
	}
	if s := t.c.deps.Tokens; s != nil {
		tok, until, err := s.PlatformToken(ctx, tokenName+a.AppID)
		if err != nil {
			return "", err
		}
		if tok != "" && t.c.deps.Now().Before(until) {
			t.remember(a.AppID, tok, until)
			return tok, nil
		}
	}
	return t.fetch(ctx, a)
}

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

func (t *tokenSource) fetch(ctx context.Context, a *account) (string, error) {
	body, _ := json.Marshal(map[string]string{"appId": a.AppID, "clientSecret": a.sec.AppSecret})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.c.tokenBase+"/app/getAppAccessToken", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := t.c.api.Do(req)
	if err != nil {
		return "", fmt.Errorf("get access token: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var ta tokenAnswer
	if err := json.Unmarshal(raw, &ta); err != nil {
		return "", fmt.Errorf("get access token: %s, unreadable answer", res.Status)
	}
	if res.StatusCode != http.StatusOK || ta.AccessToken == "" {
		return "", &APIError{Status: res.StatusCode, Code: ta.Code, Message: ta.Message, API: "getAppAccessToken"}
	}
	life, err := ta.lifetime()
	if err != nil {
		return "", fmt.Errorf("get access token: %w", err)
	}
	until := t.c.deps.Now().Add(life - min(refreshBefore, life/2))
	if s := t.c.deps.Tokens; s != nil {
		if err := s.SavePlatformToken(ctx, tokenName+a.AppID, ta.AccessToken, until); err != nil {
			return "", err
		}
	}
	t.remember(a.AppID, ta.AccessToken, until)
	return ta.AccessToken, nil
}

// invalidate forgets a token the API rejected.
func (t *tokenSource) invalidate(ctx context.Context, a *account, tok string) error {
	t.mu.Lock()
	if t.mem[a.AppID].token == tok {
		delete(t.mem, a.AppID)
	}
	t.mu.Unlock()
	if s := t.c.deps.Tokens; s != nil {
		return s.DropPlatformToken(ctx, tokenName+a.AppID, tok)
	}
	return nil
}

// withToken runs a platform call with a valid token; when the API rejects
// the token it is renewed and the call retried once.
func (c *Connector) withToken(ctx context.Context, a *account, call func(tok string) error) error {
	tok, err := c.tokens.get(ctx, a)
	if err != nil {
		return err
	}
	err = call(tok)
	if !tokenRejected(err) {
		return err
	}
	if ierr := c.tokens.invalidate(ctx, a, tok); ierr != nil {
		return errors.Join(err, ierr)
	}
	if tok, err = c.tokens.get(ctx, a); err != nil {
		return err
	}
	return call(tok)
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
