package mask

import "testing"

func TestMaskDefaults(t *testing.T) {
	m, err := Compile(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"bank card in Chinese text", "我的卡号是6222021234567890128，请退款", "我的卡号是6222***********0128，请退款"},
		{"bank card with spaces keeps its spacing", "卡号 6222 0212 3456 7890 128", "卡号 6222 **** **** ***0 128"},
		{"order number of card length but failing Luhn stays", "订单号 6222021234567890123", "订单号 6222021234567890123"},
		{"ID number", "身份证 11010519491231002X 谢谢", "身份证 110***********002X 谢谢"},
		{"ID number with a wrong check digit stays", "编号 110105194912310021", "编号 110105194912310021"},
		{"phone numbers stay by default", "电话 13812345678", "电话 13812345678"},
		{"short numbers stay", "订单 778，型号 HP 1020", "订单 778，型号 HP 1020"},
		{"digits inside a word are not a card", "CANARY6222021234567890128", "CANARY6222021234567890128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Apply(tt.in); got != tt.want {
				t.Fatalf("Apply(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskCustom(t *testing.T) {
	ps := Defaults()
	ps[2].Enabled = true
	ps = append(ps, Pattern{Name: "member", Enabled: true, Regex: `VIP-\d{6}`, KeepFirst: 3})
	m, err := Compile(ps)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Apply("电话 138-1234-5678，会员 VIP-123456"); got != "电话 138-****-5678，会员 VIP-******" {
		t.Fatalf("got %q", got)
	}
	for _, bad := range []Pattern{{Name: "x", Regex: "("}, {Name: "y"}, {Name: "z", Regex: "a", Check: "crc"}, {Name: "n", Regex: "a", KeepLast: -1}} {
		if _, err := Compile([]Pattern{bad}); err == nil {
			t.Errorf("Compile accepted %+v", bad)
		}
	}
	var none *Masker
	if none.Apply("6222021234567890128") != "6222021234567890128" {
		t.Fatal("a nil masker must change nothing")
	}
}

// Issue 18: the bank card rule masks what looks like a card — a known
// issuer prefix of the right length, or a 卡/card word just before — and
// leaves order and tracking numbers readable even when they pass Luhn (one
// in ten does); the ID rule wants a real province code. Explain says which
// rule masked what.
func TestMaskKeepsOrderNumbers(t *testing.T) {
	m, err := Compile(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in, want string }{
		{"19-digit Taobao order number passing Luhn stays", "订单号 1796482305127764514 还没发货", "订单号 1796482305127764514 还没发货"},
		{"15-digit tracking number passing Luhn stays", "快递单号773619283746511", "快递单号773619283746511"},
		{"19 digits starting with 4 is no Visa length", "单号 4362817364550192838", "单号 4362817364550192838"},
		{"a Visa card number is masked", "4111111111111111", "4111********1111"},
		{"the same order number after 卡号 is a card", "卡号 1796482305127764514", "卡号 1796***********4514"},
		{"after 'card' too", "my card: 1796482305127764514", "my card: 1796***********4514"},
		{"UnionPay 19 digits is masked", "6222021234567890128", "6222***********0128"},
		{"18 digits with an ID's shape but no province stays", "编号 991005194912310029", "编号 991005194912310029"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Apply(tt.in); got != tt.want {
				t.Fatalf("Apply(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	out, hits := m.Explain("身份证 11010519491231002X，卡 6222021234567890128，订单 1796482305127764514")
	if out != "身份证 110***********002X，卡 6222***********0128，订单 1796482305127764514" ||
		len(hits) != 2 || hits[0].Rule != "id_number" || hits[1].Rule != "bank_card" || hits[1].Masked != "6222***********0128" {
		t.Fatalf("Explain = %q %+v", out, hits)
	}
}
