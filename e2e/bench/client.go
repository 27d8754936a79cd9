package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// loopbackDialer refuses to connect anywhere but a loopback address, after
// name resolution: the last line of the loopback guard (it also covers
// redirects and whatever "localhost" resolves to).
func loopbackDialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
			}
			return nil
		}}
}

// newHTTPClient returns a keep-alive client for up to conns parallel
// requests, dialing loopback only and never following redirects.
func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext:         loopbackDialer().DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// apiClient is an authenticated caller of the hub's REST API.
type apiClient struct {
	base  *url.URL
	http  *http.Client
	token string
}

// apiError is a non-expected answer of the REST API.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// do sends a JSON request and decodes a JSON answer into out (may be nil);
// any status other than want is an *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, want int, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if res.StatusCode != want {
		return &apiError{Method: method, Path: path, Status: res.StatusCode, Body: string(b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// login returns a client authenticated as email.
func login(ctx context.Context, base *url.URL, hc *http.Client, email, password string) (*apiClient, error) {
	c := &apiClient{base: base, http: hc}
	var out struct {
		Token string `json:"token"`
		Agent struct {
			ID string `json:"id"`
		} `json:"agent"`
	}
	// A hub busy hashing other sign-ins answers 429 (retry in a second):
	// the agents of a run sign in at once, on a loaded box too.
	for attempt := 1; ; attempt++ {
		err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", http.StatusOK,
			map[string]string{"email": email, "password": password}, &out)
		var ae *apiError
		if err == nil {
			break
		}
		if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || attempt == 10 || ctx.Err() != nil {
			return nil, fmt.Errorf("log in as %s: %w", email, err)
		}
		sleep(ctx, time.Second)
	}
	if out.Token == "" {
		return nil, errors.New("log in: the hub answered no token")
	}
	c.token = out.Token
	return c, nil
}
