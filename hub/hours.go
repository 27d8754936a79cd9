package hub

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // business hours must work on hosts without a zoneinfo database
)

// Hours are a group's business hours. No windows means always open.
type Hours struct {
	// Timezone is an IANA name; empty means the tenant's time zone.
	Timezone string `json:"timezone,omitempty"`
	// Weekly lists the opening windows. A window whose end is not after its
	// start runs overnight into the next day (22:00–02:00); 00:00–24:00 is
	// the whole day.
	Weekly []Window `json:"weekly"`
	// Holidays are dates (YYYY-MM-DD, in the time zone) closed all day.
	Holidays []string `json:"holidays,omitempty"`
}

// Window is one opening range on the given days.
type Window struct {
	Days []string `json:"days"` // mon tue wed thu fri sat sun
	From string   `json:"from"` // HH:MM
	To   string   `json:"to"`   // HH:MM, up to 24:00
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func minutes(hm string) (int, error) {
	h, m, ok := strings.Cut(hm, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("time %q is not HH:MM", hm)
	}
	return hh*60 + mm, nil
}

// Validate reports what an admin must fix.
func (h *Hours) Validate() error {
	if h == nil {
		return nil
	}
	if h.Timezone != "" {
		if _, err := time.LoadLocation(h.Timezone); err != nil {
			return fmt.Errorf("timezone %q is unknown", h.Timezone)
		}
	}
	for i, w := range h.Weekly {
		if len(w.Days) == 0 {
			return fmt.Errorf("weekly[%d]: days is empty", i)
		}
		for _, d := range w.Days {
			if !slices.Contains(dayNames, d) {
				return fmt.Errorf("weekly[%d]: day %q is not one of mon…sun", i, d)
			}
		}
		if _, err := minutes(w.From); err != nil {
			return fmt.Errorf("weekly[%d].from: %w", i, err)
		}
		if _, err := minutes(w.To); err != nil {
			return fmt.Errorf("weekly[%d].to: %w", i, err)
		}
	}
	for _, d := range h.Holidays {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return fmt.Errorf("holiday %q is not YYYY-MM-DD", d)
		}
	}
	return nil
}

// Open reports whether t falls inside the hours; tz is the tenant's time
// zone, used when the hours name none.
func (h *Hours) Open(t time.Time, tz string) bool {
	if h == nil || len(h.Weekly) == 0 {
		return true
	}
	name := h.Timezone
	if name == "" {
		name = tz
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if slices.Contains(h.Holidays, t.Format("2006-01-02")) {
		return false
	}
	now := t.Hour()*60 + t.Minute()
	today, yesterday := dayNames[t.Weekday()], dayNames[(t.Weekday()+6)%7]
	for _, w := range h.Weekly {
		from, err1 := minutes(w.From)
		to, err2 := minutes(w.To)
		if err1 != nil || err2 != nil {
			continue
		}
		overnight := to <= from
		if slices.Contains(w.Days, today) && now >= from && (overnight || now < to) {
			return true
		}
		if overnight && slices.Contains(w.Days, yesterday) && now < to {
			return true
		}
	}
	return false
}

// String is the hours in words for explanations.
func (h *Hours) String() string {
	if h == nil || len(h.Weekly) == 0 {
		return "always open"
	}
	var parts []string
	for _, w := range h.Weekly {
		parts = append(parts, strings.Join(w.Days, ",")+" "+w.From+"-"+w.To)
	}
	s := strings.Join(parts, "; ")
	if h.Timezone != "" {
		s += " " + h.Timezone
	}
	return s
}
