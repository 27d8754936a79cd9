package schedules_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/reports/schedules"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// A tenant's daily report e-mail: on at 08:00 to the notification list
// until its admin sets a time and addresses (kept, checked) or turns it off.
func TestSchedule(t *testing.T) {
	storetest.Each(t, store.Options{}, func(t *testing.T, d storetest.Dialect) {
		ctx := context.Background()
		const tenant = "tn_schedule"
		r := schedules.New(d.Store)
		sc, err := r.Get(ctx, tenant)
		if err != nil || diff(schedules.Default(), sc) != "" || sc.Minute() != 480 {
			t.Fatalf("default %+v (%v)", sc, err)
		}
		set := schedules.Schedule{Enabled: true, Time: "18:45", Recipients: []string{"boss@shop.test", " cfo@shop.test ", "BOSS@shop.test"}}
		if _, err := r.Set(ctx, tenant, set); err != nil {
			t.Fatal(err)
		}
		want := schedules.Schedule{Enabled: true, Time: "18:45", Recipients: []string{"boss@shop.test", "cfo@shop.test"}}
		if sc, err := r.Get(ctx, tenant); err != nil || diff(want, sc) != "" || sc.Minute() != 18*60+45 {
			t.Errorf("set (want, got):\n%s", diff(want, sc))
		}
		if ts, err := r.Enabled(ctx); err != nil || diff([]string{tenant}, ts) != "" {
			t.Errorf("scheduled %v (%v)", ts, err)
		}
		for _, bad := range []schedules.Schedule{{Time: "25:00"}, {Time: "8"}, {Time: "08:00", Recipients: []string{"not an address"}}} {
			var invalid *hub.InvalidError
			if _, err := r.Set(ctx, tenant, bad); !errors.As(err, &invalid) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := r.Set(ctx, tenant, schedules.Schedule{Time: "08:00"}); err != nil {
			t.Fatal(err)
		}
		if ts, err := r.Enabled(ctx); err != nil || len(ts) != 0 {
			t.Errorf("off, still scheduled: %v (%v)", ts, err)
		}
	})
}

func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("want %+v\n got %+v", want, got)
}
