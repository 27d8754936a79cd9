package reports

import (
	"fmt"
	"time"
)

// DateLayout is how report dates are written (the tenant's local dates).
const DateLayout = "2006-01-02"

// MaxDays bounds a report's span (about two years).
const MaxDays = 800

// Period is a span of whole local days, from its first to its last date.
type Period struct {
	From, To time.Time // local midnights of the first and the last day
}

// ParsePeriod reads from and to (YYYY-MM-DD, both included) in loc.
func ParsePeriod(from, to string, loc *time.Location) (Period, error) {
	f, err := time.ParseInLocation(DateLayout, from, loc)
	if err != nil {
		return Period{}, fmt.Errorf("from: want YYYY-MM-DD: %w", err)
	}
	t, err := time.ParseInLocation(DateLayout, to, loc)
	if err != nil {
		return Period{}, fmt.Errorf("to: want YYYY-MM-DD: %w", err)
	}
	p := Period{From: f, To: t}
	if t.Before(f) {
		return p, fmt.Errorf("to %s is before from %s", to, from)
	}
	if p.Days() > MaxDays {
		return p, fmt.Errorf("a report spans at most %d days", MaxDays)
	}
	return p, nil
}

// Days is how many dates the period has.
func (p Period) Days() int {
	n := 0
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		n++
		if n > MaxDays {
			break
		}
	}
	return n
}

// Previous is the period of as many days just before p.
func (p Period) Previous() Period {
	n := p.Days()
	return Period{From: p.From.AddDate(0, 0, -n), To: p.From.AddDate(0, 0, -1)}
}

// Filter is the span of instants the period covers, with the dimensions
// of f.
func (p Period) Filter(f Filter) Filter {
	f.From, f.To = p.From, p.To.AddDate(0, 0, 1)
	return f
}

// Dates are the period's dates, in order.
func (p Period) Dates() []string {
	var out []string
	for d := p.From; !d.After(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DateLayout))
	}
	return out
}

// DayCounts are the counts of one local date.
type DayCounts struct {
	Date string `json:"date"`
	Counts
}

// Daily sums hours into the period's local dates (every date present,
// zero when nothing happened).
func Daily(p Period, hours []HourCounts) []DayCounts {
	dates := p.Dates()
	idx := make(map[string]int, len(dates))
	out := make([]DayCounts, len(dates))
	for i, d := range dates {
		idx[d], out[i].Date = i, d
	}
	loc := p.From.Location()
	for _, h := range hours {
		if i, ok := idx[time.Unix(h.Hour, 0).In(loc).Format(DateLayout)]; ok {
			out[i].Add(h.Counts)
		}
	}
	return out
}

// offset is the UTC offset (seconds) of the period's zone, and whether it
// holds from the first date's midnight to the day after the last's.
func (p Period) offset() (int, bool) {
	_, off := p.From.Zone()
	for d := p.From; !d.After(p.To.AddDate(0, 0, 1)); d = d.AddDate(0, 0, 1) {
		if _, o := d.Zone(); o != off {
			return off, false
		}
	}
	return off, true
}

// Weekly sums a period's dates (Daily's) into its weeks (Monday to
// Sunday), each dated by its first date in the period: a period from a
// Wednesday starts with that Wednesday's row, then a row per Monday.
func Weekly(days []DayCounts) []DayCounts {
	return bucket(days, func(d DayCounts, t time.Time) (string, bool) {
		return d.Date, t.Weekday() == time.Monday
	})
}

// Monthly sums a period's dates into its calendar months, dated YYYY-MM.
func Monthly(days []DayCounts) []DayCounts {
	return bucket(days, func(d DayCounts, t time.Time) (string, bool) {
		return d.Date[:7], t.Day() == 1
	})
}

// bucket sums consecutive dates into rows: a new row starts at the first
// date and wherever starts says so, with the key it gives.
func bucket(days []DayCounts, starts func(DayCounts, time.Time) (string, bool)) []DayCounts {
	var out []DayCounts
	for i, d := range days {
		t, _ := time.Parse(DateLayout, d.Date) // Daily's own dates
		key, first := starts(d, t)
		if i == 0 || first {
			out = append(out, DayCounts{Date: key})
		}
		out[len(out)-1].Add(d.Counts)
	}
	return out
}

// HoursOfDay sums hours by the local hour of the day (0–23).
func HoursOfDay(loc *time.Location, hours []HourCounts) [24]Counts {
	var out [24]Counts
	for _, h := range hours {
		out[time.Unix(h.Hour, 0).In(loc).Hour()].Add(h.Counts)
	}
	return out
}

// Heatmap counts conversations by local weekday (Monday first) and hour.
func Heatmap(loc *time.Location, hours []HourCounts) [7][24]int64 {
	var out [7][24]int64
	for _, h := range hours {
		t := time.Unix(h.Hour, 0).In(loc)
		out[(int(t.Weekday())+6)%7][t.Hour()] += h.Conversations
	}
	return out
}

// Weekdays sums hours by local weekday, Monday first.
func Weekdays(loc *time.Location, hours []HourCounts) [7]Counts {
	var out [7]Counts
	for _, h := range hours {
		out[(int(time.Unix(h.Hour, 0).In(loc).Weekday())+6)%7].Add(h.Counts)
	}
	return out
}
