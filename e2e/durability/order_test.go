package durability

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// Each customer sends messages one after another (the next once the
// previous is acknowledged), many customers at once: every customer's
// messages are stored in the order they were sent, as seq 1..n. It runs
// alone (no t.Parallel, one mode at a time): its wait for every message to
// be stored assumes the hub does not share the CPU with other tests.
func TestCustomerOrderPreserved(t *testing.T) {
	kit.ForModesSerially(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		const customers, each = 16, 25
		var wg sync.WaitGroup
		for c := 0; c < customers; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 1; i <= each; i++ {
					status, body := ch.Post(t, h.Base, kit.TextMsg(fmt.Sprintf("c%d-m%d", c, i), fmt.Sprintf("cust-%d", c), fmt.Sprintf("%d", i)))
					if status != 200 {
						t.Errorf("post: %d %s", status, body)
						return
					}
				}
			}(c)
		}
		wg.Wait()
		var convs struct {
			Conversations []struct{ ID string }
		}
		kit.Eventually(t, 15e9, "every message stored", func() bool {
			adm.Must(200, "GET", "/api/v1/conversations?status=offline", nil).JSON(t, &convs)
			if len(convs.Conversations) != customers {
				return false
			}
			total := 0
			for _, cv := range convs.Conversations {
				var ms struct{ Messages []struct{ Direction string } }
				adm.Must(200, "GET", "/api/v1/conversations/"+cv.ID+"/messages?limit=500", nil).JSON(t, &ms)
				for _, m := range ms.Messages {
					if m.Direction == "in" {
						total++
					}
				}
			}
			return total == customers*each
		})
		for _, cv := range convs.Conversations {
			var ms struct {
				Messages []struct {
					Seq             int64
					Text, Direction string
				}
			}
			adm.Must(200, "GET", "/api/v1/conversations/"+cv.ID+"/messages?limit=500", nil).JSON(t, &ms)
			want := 1
			for _, msg := range ms.Messages {
				if msg.Direction != "in" {
					continue // the offline auto-reply
				}
				if msg.Text != fmt.Sprint(want) {
					t.Fatalf("conversation %s: message %q stored where %d was expected (seq %d): out of order", cv.ID, msg.Text, want, msg.Seq)
				}
				want++
			}
		}
	})
}
