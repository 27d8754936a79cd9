package connectors_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
)

// The addresses a security probe got accepted as callback URLs are refused,
// at setup (CheckURL) as literal hosts.
func TestCheckURLRefusesSpecialPurposeHosts(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"http://[64:ff9b::7f00:1]/x",                     // NAT64 of 127.0.0.1
		"http://[2002:7f00:1::]/x",                       // 6to4 of 127.0.0.1
		"http://[::7f00:1]/x",                            // IPv4-compatible 127.0.0.1
		"http://198.18.0.1/x",                            // benchmarking
		"http://240.0.0.1/x",                             // reserved
		"http://[64:ff9b::a00:1]/x",                      // NAT64 of 10.0.0.1
		"http://[64:ff9b::a9fe:a9fe]/",                   // NAT64 of the metadata address
		"http://[::ffff:a9fe:a9fe]/",                     // IPv4-mapped metadata address
		"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
		"http://[fe80::1%25eth0]/x",                      // link-local with a zone
		"http://224.0.0.251/x", "http://255.255.255.255/x", "http://192.0.2.10/x", "http://[2001:db8::1]/x",
	} {
		if err := connectors.CheckURL(t.Context(), u, false); !errors.Is(err, connectors.ErrPrivateAddress) {
			t.Errorf("CheckURL(%s) = %v, want ErrPrivateAddress", u, err)
		}
	}
	// Public addresses, including a NAT64 address of a public IPv4 host (an
	// IPv6-only network with DNS64), pass.
	for _, u := range []string{"http://8.8.8.8/x", "https://[2606:4700:4700::1111]/x", "http://[64:ff9b::808:808]/x"} {
		if err := connectors.CheckURL(t.Context(), u, false); err != nil {
			t.Errorf("CheckURL(%s) = %v, want accepted", u, err)
		}
	}
}

// Every row of the special-purpose table is refused at its first, middle
// and last address, and the neighbours just outside a few rows are not.
func TestInternalEverySpecialRange(t *testing.T) {
	t.Parallel()
	for _, r := range connectors.SpecialRanges() {
		t.Run(r.Name+" "+r.Prefix.String(), func(t *testing.T) {
			first := r.Prefix.Masked().Addr()
			last := lastAddr(r.Prefix)
			// (NAT64 is judged by the IPv4 host it leads to: these three
			// lead to 0.0.0.0, 0.0.0.1 and 255.255.255.255.)
			for _, a := range []netip.Addr{first, first.Next(), last} {
				if !connectors.Internal(a) {
					t.Errorf("%s (%s, %s) is not refused", a, r.Name, r.RFC)
				}
			}
		})
	}
	for _, s := range []string{"1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "172.32.0.0",
		"198.17.255.255", "198.20.0.0", "223.255.255.255", "2400:cb00::1", "2001:200::1", "2003::1", "fbff::1"} {
		if connectors.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s is refused, want allowed (public)", s)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// The dialer checks the address it actually connects to, whatever the URL
// said when it was saved (DNS rebinding): a name that resolves to loopback
// is not dialed, and the server behind it hears nothing. With private
// callbacks allowed the same request goes through.
func TestClientRefusesInternalAtDialTime(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := connectors.NewHTTPClient(false).Get(u)
	if !errors.Is(err, connectors.ErrPrivateAddress) {
		t.Fatalf("GET %s with private callbacks forbidden: %v, want ErrPrivateAddress", u, err)
	}
	if hits.Load() != 0 {
		t.Fatal("the loopback server was reached")
	}
	res, err := connectors.NewHTTPClient(true).Get(u)
	if err != nil {
		t.Fatalf("GET %s with private callbacks allowed: %v", u, err)
	}
	res.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("%d hits with private callbacks allowed, want 1", hits.Load())
	}
}
