package hub

import (
	"slices"
	"time"
)

// span is an open range of a day, in minutes from its midnight.
type span struct{ from, to int }

// Clock measures working time in a group's business hours: time counts only
// while the hours are open. Hours without windows count every minute (the
// calendar).
type Clock struct {
	h   *Hours
	loc *time.Location
}

// Clock is the hours' working-time clock; tz is the tenant's time zone,
// used when the hours name none.
func (h *Hours) Clock(tz string) Clock {
	if h == nil || len(h.Weekly) == 0 {
		return Clock{}
	}
	name := h.Timezone
	if name == "" {
		name = tz
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	return Clock{h: h, loc: loc}
}

// horizon bounds the search for open time: hours that never open (every
// day a holiday, say) count calendar time instead of looping forever.
const horizon = 800

// spans are the open ranges of the local day that starts at day, as Open
// decides them: the day's windows, and yesterday's overnight windows
// running into it; none on a holiday.
func (c Clock) spans(day time.Time) []span {
	if slices.Contains(c.h.Holidays, day.Format("2006-01-02")) {
		return nil
	}
	today, yesterday := dayNames[day.Weekday()], dayNames[(day.Weekday()+6)%7]
	var out []span
	for _, w := range c.h.Weekly {
		from, err1 := minutes(w.From)
		to, err2 := minutes(w.To)
		if err1 != nil || err2 != nil {
			continue
		}
		overnight := to <= from
		if slices.Contains(w.Days, today) {
			end := to
			if overnight {
				end = 24 * 60
			}
			out = append(out, span{from, end})
		}
		if overnight && slices.Contains(w.Days, yesterday) && to > 0 {
			out = append(out, span{0, to})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.from - b.from })
	return out
}

// at is minute m of the local day starting at day.
func at(day time.Time, m int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, day.Location())
}

// open calls f with each open range [a, b) from start on, in order
// (overlapping windows merged), until f returns false or the horizon ends.
// It reports whether f stopped it.
func (c Clock) open(start time.Time, f func(a, b time.Time) bool) bool {
	t := start.In(c.loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
	last := t
	for i := 0; i < horizon; i++ {
		for _, s := range c.spans(day) {
			a, b := at(day, s.from), at(day, s.to)
			if a.Before(last) {
				a = last
			}
			if !b.After(a) {
				continue
			}
			if !f(a, b) {
				return true
			}
			last = b
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, c.loc)
	}
	return false
}

// Add is the time d of working time after start: a ticket created at 17:30
// with hours 09:00–18:00 and a target of one hour is due 09:30 the next
// working day.
func (c Clock) Add(start time.Time, d time.Duration) time.Time {
	if c.h == nil || d <= 0 {
		return start.Add(max(d, 0))
	}
	left, due := d, time.Time{}
	if !c.open(start, func(a, b time.Time) bool {
		if b.Sub(a) >= left {
			due = a.Add(left)
			return false
		}
		left -= b.Sub(a)
		return true
	}) {
		return start.Add(d)
	}
	return due.UTC()
}

// Between is the working time from a to b (0 when b is not after a).
func (c Clock) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.h == nil {
		return b.Sub(a)
	}
	var n time.Duration
	c.open(a, func(x, y time.Time) bool {
		if !x.Before(b) {
			return false
		}
		if y.After(b) {
			y = b
		}
		n += y.Sub(x)
		return y.Before(b)
	})
	return n
}
