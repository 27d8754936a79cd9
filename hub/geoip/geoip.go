// Package geoip maps a visitor's IPv4 address to a region for region
// routing (区域分流). It reads two file formats, chosen by extension:
//
//   - .xdb — the ip2region v2 binary database (IPv4): a 256-byte header,
//     a 256×256 vector index of (first, last) segment-index pointers per
//     leading two octets, the region strings, and 14-byte segment index
//     entries (start ip, end ip, region length, region pointer), all little
//     endian. Written from the published format; no ip2region Go module can
//     be fetched here.
//   - anything else — text ranges, one per line: "start|end|region" (the
//     ip2region source format, e.g. 1.0.8.0|1.0.15.255|中国|0|广东省|广州市|电信)
//     or "start,end,region". Blank lines and lines starting with # are skipped.
//
// Regions are strings like 中国|0|广东省|深圳市|电信 (0 = unknown); routing
// rules match any part by prefix.
package geoip

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
)

// DB answers region lookups; safe for concurrent use (read-only).
type DB struct {
	xdb    []byte  // the whole xdb file, when that is the format
	ranges []entry // sorted, for text files
}

type entry struct {
	start, end uint32
	region     string
}

// Open loads a database file into memory; an empty path is no database
// (nil, whose Lookup finds nothing).
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, nil //nolint:nilnil // no database configured: Lookup on nil finds nothing
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ip database: %w", err)
	}
	if strings.HasSuffix(strings.ToLower(path), ".xdb") {
		if len(b) < headerLen+vectorLen {
			return nil, errors.New("ip database: file too short for the xdb format")
		}
		return &DB{xdb: b}, nil
	}
	return parseText(b)
}

func parseText(b []byte) (*DB, error) {
	d := &DB{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sep := "|"
		if i, j := strings.IndexByte(line, ','), strings.IndexByte(line, '|'); i >= 0 && (j < 0 || i < j) {
			sep = ","
		}
		parts := strings.SplitN(line, sep, 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("ip database line %d: want start%send%sregion", n, sep, sep)
		}
		s, err1 := ipv4(parts[0])
		e, err2 := ipv4(parts[1])
		if err1 != nil || err2 != nil || e < s {
			return nil, fmt.Errorf("ip database line %d: bad range %q-%q", n, parts[0], parts[1])
		}
		d.ranges = append(d.ranges, entry{s, e, strings.TrimSpace(parts[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ip database: %w", err)
	}
	sort.Slice(d.ranges, func(i, j int) bool { return d.ranges[i].start < d.ranges[j].start })
	return d, nil
}

func ipv4(s string) (uint32, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Unmap().Is4() {
		return 0, fmt.Errorf("%q is not an IPv4 address", s)
	}
	b := a.Unmap().As4()
	return binary.BigEndian.Uint32(b[:]), nil
}

// Lookup returns the region of an IPv4 address, "" when unknown (or for
// IPv6, which neither format covers).
func (d *DB) Lookup(ip string) string {
	if d == nil {
		return ""
	}
	n, err := ipv4(ip)
	if err != nil {
		return ""
	}
	if d.xdb != nil {
		return d.searchXDB(n)
	}
	i := sort.Search(len(d.ranges), func(i int) bool { return d.ranges[i].end >= n })
	if i < len(d.ranges) && d.ranges[i].start <= n {
		return d.ranges[i].region
	}
	return ""
}

// xdb layout constants (ip2region v2).
const (
	headerLen  = 256
	vectorCols = 256
	vectorSize = 8
	vectorLen  = 256 * vectorCols * vectorSize
	segmentLen = 14
)

func (d *DB) searchXDB(ip uint32) string {
	b := d.xdb
	idx := headerLen + int(ip>>24)*vectorCols*vectorSize + int(ip>>16&0xff)*vectorSize
	first, last := int(binary.LittleEndian.Uint32(b[idx:])), int(binary.LittleEndian.Uint32(b[idx+4:]))
	if first == 0 || last < first || last+segmentLen > len(b) {
		return ""
	}
	lo, hi := 0, (last-first)/segmentLen
	for lo <= hi {
		m := (lo + hi) / 2
		p := first + m*segmentLen
		start, end := binary.LittleEndian.Uint32(b[p:]), binary.LittleEndian.Uint32(b[p+4:])
		switch {
		case ip < start:
			hi = m - 1
		case ip > end:
			lo = m + 1
		default:
			n, ptr := int(binary.LittleEndian.Uint16(b[p+8:])), int(binary.LittleEndian.Uint32(b[p+10:]))
			if ptr+n > len(b) {
				return ""
			}
			return string(b[ptr : ptr+n])
		}
	}
	return ""
}
