package connectors

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TokenCache keeps a platform's access tokens (one per app, named by the
// caller): in memory, then in the store every hub process reads (Tokens),
// so a cluster fetches once per token lifetime instead of once per
// process; one fetch per name at a time in a process. A token the platform
// rejects is dropped (from the store only if no other process replaced it
// already), a fresh one fetched and the call retried once (With).
type TokenCache struct {
	store    Tokens // nil: this process only
	now      func() time.Time
	rejected func(error) bool // the platform's answer for a bad token

	mu    sync.Mutex
	mem   map[string]cachedToken
	locks map[string]*sync.Mutex
	last  map[string]string // name → the token last rejected
}

// TokenFetch asks the platform for a new token: the token and how long it
// lives. rejected is the token last rejected under this name ("" if none):
// a platform may still hand out a token it rejects (WeChat does).
type TokenFetch func(ctx context.Context, rejected string) (token string, life time.Duration, err error)

type cachedToken struct {
	token string
	until time.Time
}

// renewBefore is how long before its expiry a token is renewed (at most
// half its life).
const renewBefore = 5 * time.Minute

// NewTokenCache returns a token cache; rejected tells a call failed for its
// token.
func NewTokenCache(store Tokens, now func() time.Time, rejected func(error) bool) *TokenCache {
	return &TokenCache{store: store, now: now, rejected: rejected, mem: map[string]cachedToken{},
		locks: map[string]*sync.Mutex{}, last: map[string]string{}}
}

// With runs call with a valid token of name; when the platform rejects
// the token it is renewed and the call retried once.
func (t *TokenCache) With(ctx context.Context, name string, fetch TokenFetch, call func(tok string) error) error {
	tok, err := t.get(ctx, name, fetch)
	if err != nil {
		return err
	}
	err = call(tok)
	if !t.rejected(err) {
		return err
	}
	if ierr := t.invalidate(ctx, name, tok); ierr != nil {
		return errors.Join(err, ierr)
	}
	if tok, err = t.get(ctx, name, fetch); err != nil {
		return err
	}
	return call(tok)
}

func (t *TokenCache) cached(name string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ct, ok := t.mem[name]
	return ct.token, ok && t.now().Before(ct.until)
}

func (t *TokenCache) lock(name string) *sync.Mutex {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.locks[name]
	if !ok {
		l = &sync.Mutex{}
		t.locks[name] = l
	}
	return l
}

func (t *TokenCache) remember(name, tok string, until time.Time) {
	t.mu.Lock()
	t.mem[name] = cachedToken{tok, until}
	t.mu.Unlock()
}

// get returns a valid token: cached, stored, or fetched.
func (t *TokenCache) get(ctx context.Context, name string, fetch TokenFetch) (string, error) {
	if tok, ok := t.cached(name); ok {
		return tok, nil
	}
	l := t.lock(name)
	l.Lock()
	defer l.Unlock()
	if tok, ok := t.cached(name); ok {
		return tok, nil
	}
	if t.store != nil {
		tok, until, err := t.store.PlatformToken(ctx, name)
		if err != nil {
			return "", err
		}
		if tok != "" && t.now().Before(until) {
			t.remember(name, tok, until)
			return tok, nil
		}
	}
	t.mu.Lock()
	last := t.last[name]
	t.mu.Unlock()
	tok, life, err := fetch(ctx, last)
	if err != nil {
		return "", err
	}
	until := t.now().Add(life - min(renewBefore, life/2))
	if t.store != nil {
		if err := t.store.SavePlatformToken(ctx, name, tok, until); err != nil {
			return "", err
		}
	}
	t.remember(name, tok, until)
	return tok, nil
}

// invalidate forgets a token the platform rejected.
func (t *TokenCache) invalidate(ctx context.Context, name, tok string) error {
	t.mu.Lock()
	if t.mem[name].token == tok {
		delete(t.mem, name)
	}
	t.last[name] = tok
	t.mu.Unlock()
	if t.store != nil {
		return t.store.DropPlatformToken(ctx, name, tok)
	}
	return nil
}
