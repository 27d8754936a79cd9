package desk

// A group's robot (issue 17, per group): the group's mode, greeting and
// threshold win over the channel's for conversations routed to the group.

import (
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestGroupRobotOverChannel(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		d.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"})
		after := d.admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}).Str("id")
		path := "/api/v1/groups/" + after + "/robot"
		if got := d.admin.Must(200, "GET", path, nil); got.Str("group_id") != after || got.Str("mode") != "" {
			t.Fatalf("unset group robot: %s", got.Body)
		}
		d.admin.Must(404, "PUT", "/api/v1/groups/gr_nope/robot", map[string]any{"mode": "first"})
		d.admin.Must(400, "PUT", path, map[string]any{"mode": "first", "threshold": 3})
		d.admin.Must(400, "PUT", path, map[string]any{"mode": "sometimes"})
		set := d.admin.Must(200, "PUT", path, map[string]any{"mode": "first", "greeting": "售后小助手为您服务", "threshold": nil})
		if set.Str("mode") != "first" || set.Str("greeting") != "售后小助手为您服务" {
			t.Fatalf("group robot: %s", set.Body)
		}
		if ch := d.admin.Must(200, "GET", "/api/v1/channels/"+d.ch.ID+"/robot", nil); ch.Str("mode") != "off" {
			t.Fatalf("the channel's robot changed: %s", ch.Body)
		}

		// A customer who chose 售后 meets the group's robot although the
		// channel's is off.
		contact := "cust-" + kit.RandHex(4)
		body := map[string]any{"id": "m-" + kit.RandHex(6), "type": "text", "text": "请问邮费多少钱", "group": "售后",
			"contact": map[string]any{"id": contact, "name": "顾客 " + contact}}
		if st, b := d.ch.Post(t, d.h.Base, body); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		conv := d.convOf(t, contact)
		robot := d.waitRobot(t, conv, 2)
		if robot[0].Text != "售后小助手为您服务" || robot[1].Text != "全场满99元包邮。" {
			t.Fatalf("group robot said %+v", robot)
		}

		// DELETE removes the override: the group follows the channel (off)
		// again, and a customer choosing 售后 waits for a person.
		d.admin.Must(404, "DELETE", "/api/v1/groups/gr_nope/robot", nil)
		if got := d.admin.Must(200, "DELETE", path, nil); got.Str("group_id") != after || got.Str("mode") != "" {
			t.Fatalf("deleted group robot: %s", got.Body)
		}
		if got := d.admin.Must(200, "GET", path, nil); got.Str("mode") != "" || got.Str("greeting") != "" {
			t.Fatalf("group robot after delete: %s", got.Body)
		}
		d.admin.Must(200, "DELETE", path, nil) // already cleared: still fine
		contact = "cust-" + kit.RandHex(4)
		body = map[string]any{"id": "m-" + kit.RandHex(6), "type": "text", "text": "请问邮费多少钱", "group": "售后",
			"contact": map[string]any{"id": contact, "name": "顾客 " + contact}}
		if st, b := d.ch.Post(t, d.h.Base, body); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		conv = d.convIn(t, "all", contact) // queued, or the online agent's
		d.noRobot(t, conv)
	})
}
