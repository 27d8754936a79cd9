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

// Weeks run Monday to Sunday, each dated by its first date in the period;
// months are dated YYYY-MM; both sum the dates' hours.
func TestWeeklyMonthly(t *testing.T) {
	p := period(t, "2026-11-27", "2026-12-08") // Friday to the Tuesday a week and a half later
	at := func(day string, n int64) reports.HourCounts {
		d, err := time.ParseInLocation(reports.DateLayout, day, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return reports.HourCounts{Hour: d.Add(10 * time.Hour).Unix(), Counts: reports.Counts{Conversations: n}}
	}
	hours := []reports.HourCounts{at("2026-11-27", 1), at("2026-11-29", 2), at("2026-11-30", 4), at("2026-12-01", 8),
		at("2026-12-06", 16), at("2026-12-07", 32), at("2026-12-08", 64), at("2026-12-09", 128)}
	got := map[string]int64{}
	var keys []string
	for _, w := range reports.Weekly(reports.Daily(p, hours)) {
		keys, got[w.Date] = append(keys, w.Date), w.Conversations
	}
	if diff := diff([]string{"2026-11-27", "2026-11-30", "2026-12-07"}, keys); diff != "" {
		t.Errorf("weeks: %s", diff)
	}
	if diff := diff(map[string]int64{"2026-11-27": 3, "2026-11-30": 28, "2026-12-07": 96}, got); diff != "" {
		t.Errorf("weeks: %s", diff)
	}
	got, keys = map[string]int64{}, nil
	for _, m := range reports.Monthly(reports.Daily(p, hours)) {
		keys, got[m.Date] = append(keys, m.Date), m.Conversations
	}
	if diff := diff(map[string]int64{"2026-11": 7, "2026-12": 120}, got); diff != "" || len(keys) != 2 {
		t.Errorf("months %v: %s", keys, diff)
	}
}
