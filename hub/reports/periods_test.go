package reports_test

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/reports"
)

// Periods: the previous one is as long and ends the day before; bad dates,
// reversed and too long spans are refused.
func TestParsePeriod(t *testing.T) {
	p := period(t, "2026-12-01", "2026-12-07")
	if p.Days() != 7 || len(p.Dates()) != 7 {
		t.Fatalf("days %d", p.Days())
	}
	prev := p.Previous()
	if got := prev.From.Format(reports.DateLayout) + ".." + prev.To.Format(reports.DateLayout); got != "2026-11-24..2026-11-30" {
		t.Errorf("previous %s", got)
	}
	f := p.Filter(reports.Filter{})
	if !f.From.Equal(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)) || !f.To.Equal(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("span %v – %v", f.From, f.To)
	}
	for _, c := range [][2]string{{"2026-12-07", "2026-12-01"}, {"2026-13-01", "2026-12-01"}, {"x", "2026-12-01"},
		{"2020-01-01", "2026-12-01"}} {
		if _, err := reports.ParsePeriod(c[0], c[1], shanghai); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

// FuzzParsePeriod: any query strings either make a period of 1 to MaxDays
// days or an error, never a panic.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range [][2]string{{"2026-12-01", "2026-12-07"}, {"2026-02-29", "2026-03-01"}, {"0000-01-01", "9999-12-31"},
		{"2026-12-01\x00", ""}, {"２０２６-12-01", "2026-12-01"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, from, to string) {
		p, err := reports.ParsePeriod(from, to, shanghai)
		if err != nil {
			return
		}
		if n := p.Days(); n < 1 || n > reports.MaxDays {
			t.Fatalf("%q..%q: %d days", from, to, n)
		}
	})
}
