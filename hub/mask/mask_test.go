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
