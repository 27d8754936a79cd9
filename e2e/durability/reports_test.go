package durability

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type reportCounts struct {
	Conversations, Answered, MessagesIn, MessagesOut int
}

func (r *reportCounts) read(c *kit.Client) reportCounts {
	var v struct {
		Conversations int `json:"conversations"`
		Answered      int `json:"answered"`
		MessagesIn    int `json:"messages_in"`
		MessagesOut   int `json:"messages_out"`
	}
	c.Must(200, "GET", "/api/v1/reports/summary", nil).JSON(c.T, &v)
	*r = reportCounts{v.Conversations, v.Answered, v.MessagesIn, v.MessagesOut}
	return *r
}

// answerNew has each customer write and the agent answer them.
func answerNew(t *testing.T, h *kit.Hub, ch kit.APIChannel, agent *kit.Client, customers []string, seen map[string]bool) {
	t.Helper()
	for _, c := range customers {
		if st, err := kit.TrySend(ch, h.Base, kit.TextMsg("m-"+c, c, "在吗")); err != nil || st != 200 {
			t.Fatalf("post %s: %d %v", c, st, err)
		}
	}
	var open []string
	kit.Eventually(t, 15*time.Second, "the new conversations are assigned", func() bool {
		var cs struct{ Conversations []struct{ ID string } }
		agent.Must(200, "GET", "/api/v1/conversations?status=open", nil).JSON(t, &cs)
		open = open[:0]
		for _, c := range cs.Conversations {
			if !seen[c.ID] {
				open = append(open, c.ID)
			}
		}
		return len(open) == len(customers)
	})
	for _, id := range open {
		seen[id] = true
		agent.Must(201, "POST", "/api/v1/conversations/"+id+"/messages", map[string]any{"content": "您好"})
	}
}

// The reports count every conversation once across a crash (kill -9) and,
// in cluster mode, with two processes applying the same event log.
func TestReportsAcrossRestart(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		kit.DropIdleConns(t)
		adm := h.Admin()
		ch := adm.NewAPIChannel(kit.NewCallbackServer(t).URL, nil)
		agent := adm.NewAgent("rep-restart@kefu.test", 10)
		agent.SetStatus("online")
		seen := map[string]bool{}
		answerNew(t, h, ch, agent, []string{"c1", "c2", "c3"}, seen)
		var r reportCounts
		kit.Eventually(t, 15*time.Second, "three answered conversations in the report", func() bool {
			return r.read(adm) == reportCounts{3, 3, 3, 3}
		})
		h.Kill()

		hubs := []*kit.Hub{e.Start()}
		if m.Cluster {
			hubs = append(hubs, e.Start()) // two processes apply the same log
		}
		for i, hh := range hubs {
			a := agent.On(hh)
			a.SetStatus("online")
			answerNew(t, hh, ch, a, []string{fmt.Sprintf("d%d-1", i), fmt.Sprintf("d%d-2", i)}, seen)
		}
		want := reportCounts{3 + 2*len(hubs), 3 + 2*len(hubs), 3 + 2*len(hubs), 3 + 2*len(hubs)}
		for _, hh := range hubs {
			a := adm.On(hh)
			kit.Eventually(t, 15*time.Second, "every conversation in the report", func() bool { return r.read(a) == want })
		}
		time.Sleep(2 * time.Second) // a double count would show by now
		for _, hh := range hubs {
			if got := r.read(adm.On(hh)); got != want {
				t.Fatalf("%s: report %+v, want %+v", hh.Base, got, want)
			}
		}
	})
}
