package connectors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned for a URL or connection to an address the
// hub must not call (loopback, private, link-local, metadata …): an outbound
// webhook URL must not become a way into the hub's own network (SSRF).
var ErrPrivateAddress = errors.New("address is loopback, private or otherwise internal")

// Internal reports whether ip is one the hub refuses to call by default:
// any address of the IANA IPv4 and IPv6 special-purpose address registries
// (and multicast, and the deprecated IPv6 forms), whether or not the
// registry marks it globally reachable, except a NAT64 address that leads
// to a public IPv4 host (see embeddedIPv4).
func Internal(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	ip = ip.WithZone("").Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if ip.Is6() {
		if v4, ok := embeddedIPv4(ip); ok {
			return Internal(v4)
		}
	}
	_, special := SpecialPurpose(ip)
	return special
}

// SpecialRange is one row of the special-purpose table.
type SpecialRange struct {
	Prefix netip.Prefix
	Name   string // the registry's name for it
	RFC    string
}

// specialRanges is the IANA IPv4 and IPv6 special-purpose address
// registries (iana-ipv4-special-registry, iana-ipv6-special-registry), plus
// multicast, the IPv4 broadcast and the deprecated IPv6 site-local and
// IPv4-compatible ranges. Rows marked globally reachable by the registry
// (AS112, AMT, 6to4) are here too: a callback has no business there. A
// NAT64 address is judged by the IPv4 address it carries (embeddedIPv4)
// before this table is consulted.
var specialRanges = []SpecialRange{
	// IPv4
	{netip.MustParsePrefix("0.0.0.0/8"), "This network", "RFC 791"},
	{netip.MustParsePrefix("10.0.0.0/8"), "Private-Use", "RFC 1918"},
	{netip.MustParsePrefix("100.64.0.0/10"), "Shared Address Space", "RFC 6598"},
	{netip.MustParsePrefix("127.0.0.0/8"), "Loopback", "RFC 1122"},
	{netip.MustParsePrefix("169.254.0.0/16"), "Link Local", "RFC 3927"},
	{netip.MustParsePrefix("172.16.0.0/12"), "Private-Use", "RFC 1918"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF Protocol Assignments", "RFC 6890"},
	{netip.MustParsePrefix("192.0.2.0/24"), "Documentation (TEST-NET-1)", "RFC 5737"},
	{netip.MustParsePrefix("192.31.196.0/24"), "AS112-v4", "RFC 7535"},
	{netip.MustParsePrefix("192.52.193.0/24"), "AMT", "RFC 7450"},
	{netip.MustParsePrefix("192.88.99.0/24"), "Deprecated (6to4 Relay Anycast)", "RFC 7526"},
	{netip.MustParsePrefix("192.168.0.0/16"), "Private-Use", "RFC 1918"},
	{netip.MustParsePrefix("192.175.48.0/24"), "Direct Delegation AS112 Service", "RFC 7534"},
	{netip.MustParsePrefix("198.18.0.0/15"), "Benchmarking", "RFC 2544"},
	{netip.MustParsePrefix("198.51.100.0/24"), "Documentation (TEST-NET-2)", "RFC 5737"},
	{netip.MustParsePrefix("203.0.113.0/24"), "Documentation (TEST-NET-3)", "RFC 5737"},
	{netip.MustParsePrefix("224.0.0.0/4"), "Multicast", "RFC 5771"},
	{netip.MustParsePrefix("240.0.0.0/4"), "Reserved", "RFC 1112"},
	{netip.MustParsePrefix("255.255.255.255/32"), "Limited Broadcast", "RFC 919"},
	// IPv6
	{netip.MustParsePrefix("::/96"), "Unspecified, Loopback and deprecated IPv4-Compatible", "RFC 4291"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "IPv4-mapped Address", "RFC 4291"},
	{netip.MustParsePrefix("64:ff9b::/96"), "IPv4-IPv6 Translat.", "RFC 6052"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "IPv4-IPv6 Translat. (local use)", "RFC 8215"},
	{netip.MustParsePrefix("100::/64"), "Discard-Only Address Block", "RFC 6666"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "Dummy IPv6 Prefix", "RFC 9780"},
	{netip.MustParsePrefix("2001::/23"), "IETF Protocol Assignments (Teredo, benchmarking, ORCHID, AMT, AS112, DRIP …)", "RFC 2928"},
	{netip.MustParsePrefix("2001:db8::/32"), "Documentation", "RFC 3849"},
	{netip.MustParsePrefix("2002::/16"), "6to4", "RFC 3056"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "Direct Delegation AS112 Service", "RFC 7534"},
	{netip.MustParsePrefix("3fff::/20"), "Documentation", "RFC 9637"},
	{netip.MustParsePrefix("5f00::/16"), "Segment Routing (SRv6) SIDs", "RFC 9602"},
	{netip.MustParsePrefix("fc00::/7"), "Unique-Local", "RFC 4193"},
	{netip.MustParsePrefix("fe80::/10"), "Link-Local Unicast", "RFC 4291"},
	{netip.MustParsePrefix("fec0::/10"), "Deprecated Site-Local", "RFC 3879"},
	{netip.MustParsePrefix("ff00::/8"), "Multicast", "RFC 4291"},
}

// SpecialRanges returns the special-purpose table (for tests and docs).
func SpecialRanges() []SpecialRange { return append([]SpecialRange(nil), specialRanges...) }

// SpecialPurpose returns the special-purpose range ip is in, if any.
func SpecialPurpose(ip netip.Addr) (SpecialRange, bool) {
	for _, r := range specialRanges {
		if r.Prefix.Contains(ip) {
			return r, true
		}
	}
	return SpecialRange{}, false
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// embeddedIPv4 returns the IPv4 address a NAT64 address (64:ff9b::a.b.c.d)
// leads to. On an IPv6-only network with DNS64 every IPv4-only callback
// host resolves to one, so it is judged as the IPv4 host it reaches
// through the translator: 64:ff9b::7f00:1 is 127.0.0.1 and refused,
// 64:ff9b::8.8.8.8 is allowed. Every other form that carries an IPv4
// address is refused whole: IPv4-compatible (::/96), 6to4 (2002::/16,
// deprecated) and Teredo (in 2001::/23); IPv4-mapped ones are unmapped
// before.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !nat64.Contains(ip) {
		return netip.Addr{}, false
	}
	b := ip.As16()
	return netip.AddrFrom4([4]byte(b[12:16])), true
}

// CheckURL validates an outbound URL when it is configured: http(s), a
// host, and (unless allowPrivate) no internal address. The dialer checks
// again at connect time, so DNS rebinding and redirects are covered too.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if allowPrivate {
		return nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return fmt.Errorf("resolve %s: %w", u.Hostname(), err)
	}
	for _, a := range addrs {
		if Internal(a) {
			return fmt.Errorf("%s: %w", u.Hostname(), ErrPrivateAddress)
		}
	}
	return nil
}

// NewHTTPClient returns the client for platform and callback calls, with
// timeouts and (unless allowPrivate) a dial-time guard against internal
// addresses.
func NewHTTPClient(allowPrivate bool) *http.Client {
	d := NewDialer(allowPrivate, 5*time.Second)
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second, ResponseHeaderTimeout: 15 * time.Second}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return nil
		}}
}

// NewDialer returns a dialer that (unless allowPrivate) refuses to connect
// to an internal address, checked on the address actually dialled: for the
// hub's other outbound connections (the e-mail channel's SMTP and IMAP).
func NewDialer(allowPrivate bool, timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || Internal(ap.Addr()) {
				return fmt.Errorf("dial %s: %w", address, ErrPrivateAddress)
			}
			return nil
		}
	}
	return d
}
