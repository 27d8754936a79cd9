package hub

import (
	"testing"
	"time"
)

// The working-time clock SLA due times are counted on: weekdays, weekends,
// overnight windows, holidays, time zones, and a pause measured in working
// time then added back.
func TestClock(t *testing.T) {
	office := &Hours{Timezone: "Asia/Shanghai", Weekly: []Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}}}
	night := &Hours{Timezone: "UTC", Weekly: []Window{{Days: []string{"fri", "sat"}, From: "22:00", To: "02:00"}}}
	holiday := &Hours{Timezone: "Asia/Shanghai", Weekly: office.Weekly, Holidays: []string{"2026-10-01", "2026-10-02"}}
	never := &Hours{Weekly: []Window{{Days: []string{"mon"}, From: "09:00", To: "10:00"}}, Holidays: nil}
	sh := func(s string) time.Time { // Shanghai wall time
		loc, _ := time.LoadLocation("Asia/Shanghai")
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-12-04 is a Friday.
	for _, c := range []struct {
		name  string
		h     *Hours
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"calendar time without hours", nil, utc("2026-12-05 10:00"), 90 * time.Minute, utc("2026-12-05 11:30")},
		{"inside the day", office, sh("2026-12-03 10:00"), 2 * time.Hour, sh("2026-12-03 12:00")},
		{"ends exactly at closing", office, sh("2026-12-03 16:00"), 2 * time.Hour, sh("2026-12-03 18:00")},
		{"carries to the next morning", office, sh("2026-12-03 17:30"), time.Hour, sh("2026-12-04 09:30")},
		{"created at night starts at opening", office, sh("2026-12-03 23:00"), 30 * time.Minute, sh("2026-12-04 09:30")},
		{"friday evening skips the weekend", office, sh("2026-12-04 17:00"), 2 * time.Hour, sh("2026-12-07 10:00")},
		{"created on sunday", office, sh("2026-12-06 12:00"), 8 * time.Hour, sh("2026-12-07 17:00")},
		{"a full working week", office, sh("2026-12-07 09:00"), 45 * time.Hour, sh("2026-12-11 18:00")},
		{"holidays are closed", holiday, sh("2026-09-30 17:00"), 2 * time.Hour, sh("2026-10-05 10:00")},
		{"overnight window runs past midnight", night, utc("2026-12-04 23:00"), 2 * time.Hour, utc("2026-12-05 01:00")},
		{"overnight into the next night", night, utc("2026-12-05 01:00"), 2 * time.Hour, utc("2026-12-05 23:00")},
		{"saturday night ends sunday 02:00, then friday", night, utc("2026-12-06 01:30"), time.Hour, utc("2026-12-11 22:30")},
		{"zero target is now", office, sh("2026-12-06 12:00"), 0, sh("2026-12-06 12:00")},
		{"hours in the tenant zone", never, utc("2026-12-07 00:00"), 30 * time.Minute, utc("2026-12-07 01:30")},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.h.Clock("Asia/Shanghai").Add(c.start, c.d)
			if !got.Equal(c.want) {
				t.Fatalf("Add(%s, %s) = %s, want %s", c.start, c.d, got, c.want.UTC())
			}
			if back := c.h.Clock("Asia/Shanghai").Between(c.start, got); back != c.d {
				t.Fatalf("Between(%s, %s) = %s, want %s", c.start, got, back, c.d)
			}
		})
	}
	// A pause (pending, waiting on the customer) from Friday 17:00 to
	// Monday 10:00 used two working hours (17–18 Friday, 9–10 Monday): the
	// due time moves by those two, not by the whole weekend.
	clock := office.Clock("")
	due := clock.Add(sh("2026-12-04 15:00"), 4*time.Hour) // Monday 10:00
	paused := clock.Between(sh("2026-12-04 17:00"), sh("2026-12-07 10:00"))
	if paused != 2*time.Hour {
		t.Fatalf("the pause used %s of working time, want 2h", paused)
	}
	if got := clock.Add(due, paused); !got.Equal(sh("2026-12-07 12:00")) {
		t.Fatalf("resumed due %s, want Monday 12:00", got)
	}
	// Hours that never open (every day a holiday) count calendar time.
	shut := &Hours{Weekly: []Window{{Days: []string{"mon"}, From: "09:00", To: "10:00"}}}
	for d := 0; d < 900; d++ {
		shut.Holidays = append(shut.Holidays, utc("2026-12-01 00:00").AddDate(0, 0, d).Format("2006-01-02"))
	}
	if got := shut.Clock("UTC").Add(utc("2026-12-01 00:00"), time.Hour); !got.Equal(utc("2026-12-01 01:00")) {
		t.Fatalf("never-open hours: %s", got)
	}
}
