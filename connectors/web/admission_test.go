package web

import (
	"testing"

	"github.com/kefu-hub/kefu/connectors/custsock"
)

// The process-wide cap leaves a fifth of the open-file limit (at least
// 256 descriptors, half of a tiny limit) to agent sockets, the database,
// the bus and files, and a configured cap only ever lowers it.
func TestSocketCapKeepsDescriptorsForAgents(t *testing.T) {
	for _, c := range []struct {
		limit      uint64
		configured int
		want       int
	}{
		{20000, 0, 16000},
		{1024, 0, 768},
		{300, 0, 150},
		{1 << 20, 0, 838861},
		{20000, 500, 500},
		{20000, 50000, 16000},
		{0, 0, 10000},
		{0, 700, 700},
	} {
		got := socketCap(c.limit, c.configured)
		if got != c.want {
			t.Errorf("socketCap(%d, %d) = %d, want %d", c.limit, c.configured, got, c.want)
		}
		if c.limit > 0 && (uint64(got) >= c.limit || c.limit-uint64(got) < min(c.limit/2, fdReserveMin)) {
			t.Errorf("socketCap(%d, %d) = %d leaves too few descriptors", c.limit, c.configured, got)
		}
	}
	if l := custsock.FDLimit(); l > 0 && uint64(socketCap(l, 0)) >= l {
		t.Fatalf("this process: cap %d with an open-file limit of %d", socketCap(l, 0), l)
	}
}

func TestAdmissionCounts(t *testing.T) {
	a := newAdmission(2, 3, 4)
	for _, c := range []struct{ ip, ch, want string }{
		{"a", "x", ""}, {"a", "x", ""}, {"a", "x", "address"}, {"b", "x", ""}, {"c", "x", "channel"},
		{"c", "y", ""}, {"d", "y", "process"},
	} {
		if got := a.enter(c.ip, c.ch); got != c.want {
			t.Fatalf("enter(%s, %s) = %q, want %q", c.ip, c.ch, got, c.want)
		}
	}
	a.leave("a", "x")
	if got := a.enter("a", "y"); got != "" {
		t.Fatalf("after a leave: %q", got)
	}
	for _, k := range [][2]string{{"a", "x"}, {"a", "y"}, {"b", "x"}, {"c", "y"}} {
		a.leave(k[0], k[1])
	}
	if a.open() != 0 || len(a.addr) != 0 || len(a.channel) != 0 {
		t.Fatalf("after every leave: %d open, %v, %v", a.open(), a.addr, a.channel)
	}
}

// The conversation caps default when unset, and bad values are refused.
func TestConfigLimits(t *testing.T) {
	c := Config{}
	if err := c.normalize(func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if c.Limits.OpenPerAddress != defaultOpenPerAddress || c.Limits.OpenPerChannel != defaultOpenPerChannel {
		t.Fatalf("default limits %+v", c.Limits)
	}
	for _, l := range []Limits{{OpenPerAddress: -1}, {OpenPerChannel: -5}, {OpenPerChannel: 2000000}} {
		c := Config{Limits: l}
		if err := c.normalize(func(string) bool { return true }); err == nil {
			t.Errorf("limits %+v accepted", l)
		}
	}
	// A channel saved before the limits existed reads the defaults.
	if (Limits{}).perAddress() != defaultOpenPerAddress || (Limits{}).perChannel() != defaultOpenPerChannel {
		t.Fatal("zero limits do not read as the defaults")
	}
}
