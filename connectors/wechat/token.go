package wechat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
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

// fetchToken asks stable_token for the account's token and its lifetime;
// forced when WeChat hands out again the token it last rejected.
func (c *Connector) fetchToken(ctx context.Context, a *account, rejected string) (string, time.Duration, error) {
	h, ok := credential.NewStableAccessToken(a.AppID, a.sec.AppSecret, credential.CacheKeyOfficialAccountPrefix, c.mem).(*credential.StableAccessToken)
	if !ok {
		return "", 0, errors.New("silenceper/wechat: unexpected stable token handle")
	}
	res, err := h.GetAccessTokenDirectly(ctx, false)
	if err == nil && rejected != "" && res.AccessToken == rejected {
		res, err = h.GetAccessTokenDirectly(ctx, true) // WeChat still hands out the token it rejects
	}
	if err != nil {
		return "", 0, fmt.Errorf("get access token: %w", asAPIError(err, "stable_token"))
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", 0, errors.New("get access token: WeChat answered no token")
	}
	return res.AccessToken, time.Duration(res.ExpiresIn) * time.Second, nil
}

// withToken runs a WeChat call with a valid token (connectors.TokenCache:
// shared by the hub's processes; on 40001, 42001, 40014 renewed and the
// call retried once).
func (c *Connector) withToken(ctx context.Context, a *account, call func(tok string) error) error {
	fetch := func(ctx context.Context, rejected string) (string, time.Duration, error) {
		return c.fetchToken(ctx, a, rejected)
	}
	return c.tokens.With(ctx, accountName+a.AppID, fetch, call)
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
