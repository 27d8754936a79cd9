package wechat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"
)

// Access tokens. WeChat gives one access_token per AppID; fetching a new one
// from /cgi-bin/token invalidates the previous one, so two hub processes
// each fetching their own would keep breaking each other. The token is
// therefore stored where every process reads it (deps.Tokens, the database)
// and fetched from /cgi-bin/stable_token, which hands every caller the same
// token while it is valid: processes refreshing at the same moment get the
// same answer instead of invalidating each other. On 40001 / 42001 the
// rejected token is dropped (only if no other process replaced it already),
// a fresh one fetched — forced only when WeChat returns the rejected one
// again — and the call retried once.

// refreshBefore is how long before its expiry a token is renewed: WeChat's
// stable_token itself hands out a new token in a token's last 5 minutes.
const refreshBefore = 5 * time.Minute

// cachedToken is a token and when to stop using it (its expiry less the
// renewal margin); the store keeps the same time.
type cachedToken struct {
	token string
	until time.Time
}

type tokenSource struct {
	c        *Connector
	mu       sync.Mutex
	mem      map[string]cachedToken // appid → token (the store is the truth)
	locks    map[string]*sync.Mutex // one fetch per appid in this process
	rejected map[string]string      // appid → the token WeChat last rejected
}

func newTokenSource(c *Connector) *tokenSource {
	return &tokenSource{c: c, mem: map[string]cachedToken{}, locks: map[string]*sync.Mutex{}, rejected: map[string]string{}}
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

// get returns a valid token for the account: cached, stored, or fetched.
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
		tok, until, err := s.PlatformToken(ctx, accountName+a.AppID)
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

func (t *tokenSource) fetch(ctx context.Context, a *account) (string, error) {
	h, ok := credential.NewStableAccessToken(a.AppID, a.sec.AppSecret, credential.CacheKeyOfficialAccountPrefix, t.c.mem).(*credential.StableAccessToken)
	if !ok {
		return "", errors.New("silenceper/wechat: unexpected stable token handle")
	}
	res, err := h.GetAccessTokenDirectly(ctx, false)
	t.mu.Lock()
	rejected := t.rejected[a.AppID]
	t.mu.Unlock()
	if err == nil && res.AccessToken == rejected {
		res, err = h.GetAccessTokenDirectly(ctx, true) // WeChat still hands out the token it rejects
	}
	if err != nil {
		return "", fmt.Errorf("get access token: %w", asAPIError(err, "stable_token"))
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", errors.New("get access token: WeChat answered no token")
	}
	life := time.Duration(res.ExpiresIn) * time.Second
	until := t.c.deps.Now().Add(life - min(refreshBefore, life/2))
	if s := t.c.deps.Tokens; s != nil {
		if err := s.SavePlatformToken(ctx, accountName+a.AppID, res.AccessToken, until); err != nil {
			return "", err
		}
	}
	t.remember(a.AppID, res.AccessToken, until)
	return res.AccessToken, nil
}

// invalidate forgets a token WeChat rejected.
func (t *tokenSource) invalidate(ctx context.Context, a *account, tok string) error {
	t.mu.Lock()
	if t.mem[a.AppID].token == tok {
		delete(t.mem, a.AppID)
	}
	t.rejected[a.AppID] = tok
	t.mu.Unlock()
	if s := t.c.deps.Tokens; s != nil {
		return s.DropPlatformToken(ctx, accountName+a.AppID, tok)
	}
	return nil
}

// withToken runs a platform call with a valid token; when WeChat rejects
// the token (40001, 42001, 40014) it is renewed and the call retried once.
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

// apiError is an error WeChat answered with an errcode.
type apiError struct {
	Code int64
	Msg  string
	API  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("WeChat %s: errcode=%d, errmsg=%s", e.API, e.Code, stripTokens(e.Msg))
}

// The library returns WeChat's errors as plain strings ("… errcode=45015 ,
// errmsg=…"), or as *util.CommonError.
var errcodeIn = regexp.MustCompile(`errcode\s*[=:]\s*(-?\d+)`)

// asAPIError turns the library's error into an *apiError when it carries
// an errcode, with access tokens masked either way.
func asAPIError(err error, api string) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return &apiError{Code: ce.ErrCode, Msg: ce.ErrMsg, API: api}
	}
	if m := errcodeIn.FindStringSubmatch(err.Error()); m != nil {
		code, _ := strconv.ParseInt(m[1], 10, 64)
		return &apiError{Code: code, Msg: stripTokens(err.Error()), API: api}
	}
	return redact(err)
}

func errCode(err error) int64 {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// tokenRejected: invalid credential, expired token, invalid token.
func tokenRejected(err error) bool {
	switch errCode(err) {
	case 40001, 42001, 40014:
		return true
	}
	return false
}
