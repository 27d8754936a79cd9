package bench

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrNotLoopback is returned for a target that is not on this machine.
var ErrNotLoopback = errors.New("kefu bench only targets loopback (127.0.0.0/8, ::1, localhost)")

// CheckLoopback parses a hub base URL and refuses anything but http(s) on a
// loopback host: a load tool must never be pointed at someone else's hub.
// It returns the URL without a trailing slash, path, query or fragment.
func CheckLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("parse url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("url %q: credentials in the url are not accepted", raw)
	}
	host := u.Hostname()
	if !IsLoopbackHost(host) {
		return nil, fmt.Errorf("url %q: host %q: %w", raw, host, ErrNotLoopback)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// IsLoopbackHost reports whether host is "localhost" or a loopback IP
// literal. Other names are refused without resolving them, so DNS cannot
// turn a loopback-looking name into a remote target.
func IsLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // zone, e.g. ::1%lo
		h = h[:i]
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
