package robot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/robot"
)

// sayIn is say for a customer who chose a group (the widget's group
// picker, the API's "group").
func (f fx) sayIn(t *testing.T, group, id, contact, text string) (conv string, robotTurn bool) {
	t.Helper()
	ctx := context.Background()
	in := f.ten.Msg(id, contact)
	in.Text, in.Group = text, group
	r := f.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !r.ForRobot() {
		return r.ConversationID, false
	}
	if _, err := f.Robot.Answer(ctx, robot.Turn{TenantID: r.TenantID, ChannelID: in.ChannelID,
		ConversationID: r.ConversationID, MessageID: r.MessageID, New: r.New}); err != nil {
		t.Fatal(err)
	}
	return r.ConversationID, true
}

func (f fx) group(t *testing.T, name string, members ...string) string {
	t.Helper()
	g, err := f.Identity.Groups.Create(context.Background(), f.ten.Admin.TenantID, identity.GroupPatch{Name: &name, AgentIDs: &members})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func (f fx) setGroup(t *testing.T, id string, g robot.GroupSettings) {
	t.Helper()
	if _, err := f.Robot.SetGroupSettings(context.Background(), f.ten.Admin.TenantID, id, g); err != nil {
		t.Fatal(err)
	}
}

// TestGroupRobotOverridesChannel: a conversation routed to a group takes
// the group's mode, greeting and threshold over its channel's; a field the
// group leaves null is the channel's; conversations outside the group keep
// the channel's robot. Both dialects.
func TestGroupRobotOverridesChannel(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeOff) // channel: off, greeting 您好
		after := f.group(t, "售后")
		first := robot.ModeFirst
		f.setGroup(t, after, robot.GroupSettings{Mode: &first, Greeting: ptr("售后机器人为您服务")})

		conv, turn := f.sayIn(t, "售后", "g1", "c1", "邮费多少钱")
		if !turn || f.waiting(t, conv) {
			t.Fatalf("group robot first over channel off: robot turn %v, waiting %v", turn, f.waiting(t, conv))
		}
		if got := strings.Join(f.robotSaid(t, conv), "|"); got != "售后机器人为您服务|全场满99元包邮。" {
			t.Errorf("group robot said %q", got)
		}
		if conv, turn := f.sayIn(t, "", "n1", "c2", "邮费多少钱"); turn || !f.waiting(t, conv) {
			t.Errorf("no group: the channel's robot (off) should leave it to people; robot turn %v", turn)
		}

		// The group's threshold: at 1 the same question is not answered.
		f.setGroup(t, after, robot.GroupSettings{Mode: &first, Threshold: ptr(1.0)})
		conv, _ = f.sayIn(t, "售后", "g2", "c3", "邮费多少钱")
		said := f.robotSaid(t, conv)
		if len(said) == 0 || strings.Contains(strings.Join(said, "|"), "全场满99元包邮") {
			t.Errorf("threshold 1 still answered: %q", said)
		}
		if strings.Join(said, "|") == "" || said[0] != "您好" {
			t.Errorf("greeting null should be the channel's 您好: %q", said)
		}

		// Group off over channel first; a group without overrides follows the channel.
		if _, err := h.Robot.SetSettings(ctx, f.ten.Admin.TenantID, f.ten.Channel.ID, robot.Settings{Mode: robot.ModeFirst,
			Greeting: "渠道问候", MaxMisses: 2}); err != nil {
			t.Fatal(err)
		}
		off := robot.ModeOff
		f.setGroup(t, after, robot.GroupSettings{Mode: &off})
		if conv, turn := f.sayIn(t, "售后", "g3", "c4", "邮费多少钱"); turn || !f.waiting(t, conv) {
			t.Errorf("group off over channel first: robot turn %v", turn)
		}
		pre := f.group(t, "售前")
		conv, turn = f.sayIn(t, "售前", "p1", "c5", "邮费多少钱")
		if got := strings.Join(f.robotSaid(t, conv), "|"); !turn || got != "渠道问候|全场满99元包邮。" {
			t.Errorf("group without overrides: robot turn %v, said %q", turn, got)
		}
		got, err := h.Robot.GroupSettings(ctx, f.ten.Admin.TenantID, pre)
		if err != nil || got.Mode != nil || got.Greeting != nil || got.Threshold != nil || got.GroupID != pre {
			t.Errorf("unset group settings: %+v %v", got, err)
		}
		got, err = h.Robot.GroupSettings(ctx, f.ten.Admin.TenantID, after)
		if err != nil || got.Mode == nil || *got.Mode != robot.ModeOff || got.Greeting != nil || got.Threshold != nil {
			t.Errorf("stored group settings: %+v %v", got, err)
		}

		// Clearing the group's overrides: its conversations follow the
		// channel's robot (first, 渠道问候) again.
		if _, err := h.Robot.ClearGroupSettings(ctx, f.ten.Admin.TenantID, after); err != nil {
			t.Fatal(err)
		}
		conv, turn = f.sayIn(t, "售后", "g4", "c6", "邮费多少钱")
		if got := strings.Join(f.robotSaid(t, conv), "|"); !turn || got != "渠道问候|全场满99元包邮。" {
			t.Errorf("cleared group: robot turn %v, said %q (want the channel's robot)", turn, got)
		}
		got, err = h.Robot.GroupSettings(ctx, f.ten.Admin.TenantID, after)
		if err != nil || got.Mode != nil || got.Greeting != nil || got.Threshold != nil || !got.UpdatedAt.IsZero() {
			t.Errorf("cleared group settings: %+v %v", got, err)
		}
	})
}

// TestGroupRobotTenantsAndBadInput: another tenant's group is not found
// (read or write), and bad values change nothing.
func TestGroupRobotTenantsAndBadInput(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeOff)
		mine := f.group(t, "售后")
		other := h.NewTenant(t)
		first := robot.ModeFirst
		if _, err := h.Robot.GroupSettings(ctx, other.Admin.TenantID, mine); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant reads: %v", err)
		}
		if _, err := h.Robot.SetGroupSettings(ctx, other.Admin.TenantID, mine, robot.GroupSettings{Mode: &first}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant writes: %v", err)
		}
		f.setGroup(t, mine, robot.GroupSettings{Mode: &first})
		if _, err := h.Robot.ClearGroupSettings(ctx, other.Admin.TenantID, mine); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant clears: %v", err)
		}
		if got, err := h.Robot.GroupSettings(ctx, f.ten.Admin.TenantID, mine); err != nil || got.Mode == nil {
			t.Errorf("another tenant's clear removed the overrides: %+v %v", got, err)
		}
		if _, err := h.Robot.ClearGroupSettings(ctx, f.ten.Admin.TenantID, mine); err != nil {
			t.Fatal(err)
		}
		bad := robot.Mode("always")
		for _, g := range []robot.GroupSettings{{Mode: &bad}, {Threshold: ptr(0.0)}, {Threshold: ptr(1.5)},
			{Greeting: ptr(strings.Repeat("好", 1001))}} {
			var inv *hub.InvalidError
			if _, err := h.Robot.SetGroupSettings(ctx, f.ten.Admin.TenantID, mine, g); !errors.As(err, &inv) {
				t.Errorf("%+v: %v, want invalid", g, err)
			}
		}
		if got, err := h.Robot.GroupSettings(ctx, f.ten.Admin.TenantID, mine); err != nil || got.Mode != nil || !got.UpdatedAt.IsZero() {
			t.Errorf("bad input changed the settings: %+v %v", got, err)
		}
		if _, err := h.Robot.SetSettings(ctx, f.ten.Admin.TenantID, f.ten.Channel.ID, robot.Settings{Mode: robot.ModeOff,
			MaxMisses: 2, Threshold: 2}); err == nil {
			t.Error("channel threshold 2 accepted")
		}
	})
}

// TestRobotOffHoursFollowsGroup: mode off_hours asks whether someone of
// the conversation's group can answer, not of the whole channel: with an
// agent online in 售前 only, a customer who chose 售后 meets the robot.
func TestRobotOffHoursFollowsGroup(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeOff)
		f.group(t, "售前", f.ten.Admin.ID)
		after := f.group(t, "售后")
		offHours := robot.ModeOffHours
		f.setGroup(t, after, robot.GroupSettings{Mode: &offHours})
		if err := h.Identity.Agents.SetStatus(ctx, f.ten.Admin, hub.StatusOnline); err != nil {
			t.Fatal(err)
		}
		if _, turn := f.sayIn(t, "售后", "a1", "c1", "邮费多少钱"); !turn {
			t.Error("nobody of 售后 online: the group's off-hours robot does not answer")
		}
		f.ten.Admin.Status = hub.StatusOnline
		mine := f.group(t, "值班", f.ten.Admin.ID)
		f.setGroup(t, mine, robot.GroupSettings{Mode: &offHours})
		if _, turn := f.sayIn(t, "值班", "b1", "c2", "邮费多少钱"); turn {
			t.Error("an agent of 值班 online: the robot answers anyway")
		}
	})
}
