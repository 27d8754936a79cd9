package geoip

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

const ranges = `# start|end|region (ip2region source format)
1.0.1.0|1.0.3.255|中国|0|福建省|福州市|电信
14.16.0.0|14.31.255.255|中国|0|广东省|深圳市|电信
36.96.0.0,36.127.255.255,中国|0|北京|北京市|联通
`

func lookups(t *testing.T, d *DB) {
	t.Helper()
	for ip, want := range map[string]string{
		"14.16.0.0":      "中国|0|广东省|深圳市|电信",
		"14.20.8.9":      "中国|0|广东省|深圳市|电信",
		"14.31.255.255":  "中国|0|广东省|深圳市|电信",
		"14.32.0.0":      "",
		"1.0.2.1":        "中国|0|福建省|福州市|电信",
		"36.100.1.1":     "中国|0|北京|北京市|联通",
		"8.8.8.8":        "",
		"::ffff:1.0.2.1": "中国|0|福建省|福州市|电信",
		"2001:db8::1":    "",
		"not an ip":      "",
	} {
		if got := d.Lookup(ip); got != want {
			t.Errorf("Lookup(%s) = %q, want %q", ip, got, want)
		}
	}
}

func TestTextRanges(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ip.txt")
	os.WriteFile(p, []byte(ranges), 0o600)
	d, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	lookups(t, d)
	os.WriteFile(p, []byte("1.2.3.4|1.2.3.0|backwards\n"), 0o600)
	if _, err := Open(p); err == nil {
		t.Fatal("a range that ends before it starts was accepted")
	}
}

func TestXDB(t *testing.T) {
	d, err := parseText([]byte(ranges))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ip2region.xdb")
	if err := os.WriteFile(p, makeXDB(d.ranges), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	lookups(t, x)
	var nilDB *DB
	if nilDB.Lookup("1.0.2.1") != "" {
		t.Fatal("no database must find nothing")
	}
}

// makeXDB writes ranges in the ip2region v2 layout, splitting segments at
// /16 boundaries as the official maker does.
func makeXDB(es []entry) []byte {
	b := make([]byte, headerLen+vectorLen)
	binary.LittleEndian.PutUint16(b, 2)
	ptrs := map[string]int{}
	for _, e := range es {
		if _, ok := ptrs[e.region]; !ok {
			ptrs[e.region] = len(b)
			b = append(b, e.region...)
		}
	}
	type seg struct {
		s, e uint32
		r    string
	}
	var segs []seg
	for _, e := range es {
		for s := e.start; ; {
			end := s | 0xffff
			if end > e.end {
				end = e.end
			}
			segs = append(segs, seg{s, end, e.region})
			if end == e.end {
				break
			}
			s = end + 1
		}
	}
	for _, sg := range segs {
		p := len(b)
		var row [segmentLen]byte
		binary.LittleEndian.PutUint32(row[0:], sg.s)
		binary.LittleEndian.PutUint32(row[4:], sg.e)
		binary.LittleEndian.PutUint16(row[8:], uint16(len(sg.r)))
		binary.LittleEndian.PutUint32(row[10:], uint32(ptrs[sg.r]))
		b = append(b, row[:]...)
		idx := headerLen + int(sg.s>>24)*vectorCols*vectorSize + int(sg.s>>16&0xff)*vectorSize
		if binary.LittleEndian.Uint32(b[idx:]) == 0 {
			binary.LittleEndian.PutUint32(b[idx:], uint32(p))
		}
		binary.LittleEndian.PutUint32(b[idx+4:], uint32(p))
	}
	return b
}
