package contacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// defineFields gives a tenant a required select field, a multi select and
// a number.
func defineFields(t *testing.T, h *hubtest.Hub, tenantID string) {
	t.Helper()
	s := fields.New(h.K)
	for _, sp := range []fields.Spec{
		{Key: ptr("level"), Label: ptr("会员等级"), Type: ptr(fields.Select), Options: &[]string{"金卡", "银卡"}, Required: ptr(true)},
		{Key: ptr("hobbies"), Label: ptr("兴趣"), Type: ptr(fields.Multi), Options: &[]string{"篮球", "读书"}},
		{Key: ptr("budget"), Label: ptr("预算"), Type: ptr(fields.Number)},
	} {
		if _, err := s.Create(context.Background(), tenantID, fields.Contact, sp); err != nil {
			t.Fatal(err)
		}
	}
}

// Custom fields are checked when a customer is entered or edited, and the
// list finds customers by their values: text search and a select filter.
func TestCustomFieldsInTheList(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		defineFields(t, h, f.Admin.TenantID)
		create := func(name string, custom map[string]string) (*contacts.Card, error) {
			clk.Add(time.Second)
			return h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, contacts.Patch{Name: ptr(name), Custom: &custom})
		}
		if _, err := create("没等级", map[string]string{"budget": "100"}); !isInvalid(err) || !strings.Contains(err.Error(), "会员等级") {
			t.Errorf("required field missing: %v", err)
		}
		if _, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, contacts.Patch{Name: ptr("没填")}); !isInvalid(err) {
			t.Errorf("required field, no custom at all: %v", err)
		}
		if _, err := create("坏预算", map[string]string{"level": "金卡", "budget": "很多"}); !isInvalid(err) || !strings.Contains(err.Error(), "预算") {
			t.Errorf("number field: %v", err)
		}
		li, err := create("李雷", map[string]string{"level": "金卡", "hobbies": "读书，篮球", "budget": "5000"})
		if err != nil {
			t.Fatal(err)
		}
		if li.Custom["hobbies"] != "读书,篮球" {
			t.Errorf("multi select stored as %q", li.Custom["hobbies"])
		}
		if _, err := create("韩梅梅", map[string]string{"level": "银卡", "hobbies": "读书"}); err != nil {
			t.Fatal(err)
		}
		if _, err := create("Lucy", map[string]string{"level": "银卡", "budget": "5"}); err != nil {
			t.Fatal(err)
		}
		for _, st := range []struct {
			q    contacts.Query
			want []string
		}{
			{contacts.Query{Field: "level", FieldValue: "金卡"}, []string{"李雷"}},
			{contacts.Query{Field: "level", FieldValue: "银卡"}, []string{"Lucy", "韩梅梅"}},
			{contacts.Query{Field: "level", FieldValue: "金"}, []string{}},
			{contacts.Query{Field: "hobbies", FieldValue: "读书"}, []string{"韩梅梅", "李雷"}},
			{contacts.Query{Field: "hobbies", FieldValue: "篮球"}, []string{"李雷"}},
			{contacts.Query{Text: "5000"}, []string{"李雷"}},
			{contacts.Query{Text: "银卡"}, []string{"Lucy", "韩梅梅"}},
		} {
			if got := names(t, h, f.Admin, st.q); !slices.Equal(got, st.want) {
				t.Errorf("%+v: %v, want %v", st.q, got, st.want)
			}
		}
		// Editing other fields leaves the custom values unchecked; editing
		// them checks them.
		var up *contacts.Card
		err = h.K.Write(ctx, func(tx *store.Tx) error {
			var err error
			up, err = contacts.UpdateCard(ctx, tx, f.Admin.TenantID, li.ID, contacts.Patch{Custom: &map[string]string{"level": ""}})
			return err
		})
		if !isInvalid(err) || up != nil {
			t.Errorf("clearing a required field: %v", err)
		}
	})
}

// A follow-up sets the customer's next follow-up date; once it is due the
// list's due filter shows the customer and its agent is reminded once.
func TestFollowUps(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		c, err := h.Contacts.Create(ctx, f.Admin.TenantID, f.Admin.ID, contacts.Patch{Name: ptr("张三")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Contacts.AddFollowUp(ctx, f.Admin, c.ID, contacts.NewFollowUp{Note: "  "}); !isInvalid(err) {
			t.Errorf("empty note: %v", err)
		}
		next := clk.Now().Add(48 * time.Hour)
		fu, err := h.Contacts.AddFollowUp(ctx, f.Admin, c.ID, contacts.NewFollowUp{Note: "电话沟通，客户考虑中", NextAt: &next})
		if err != nil {
			t.Fatal(err)
		}
		due := func(at time.Time) []string { return names(t, h, f.Admin, contacts.Query{DueBy: &at}) }
		if got := due(clk.Now()); len(got) != 0 {
			t.Errorf("due before the date: %v", got)
		}
		if n, err := h.Contacts.Remind(ctx, clk.Now()); err != nil || n != 0 {
			t.Errorf("reminders before the date: %d %v", n, err)
		}
		clk.Add(49 * time.Hour)
		if got := due(clk.Now()); !slices.Equal(got, []string{"张三"}) {
			t.Errorf("due after the date: %v", got)
		}
		last, _ := h.K.LastEventID(ctx, f.Admin.TenantID)
		for range 2 {
			if _, err := h.Contacts.Remind(ctx, clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := h.K.EventsAfter(ctx, f.Admin, last, 100)
		if err != nil {
			t.Fatal(err)
		}
		var reminders int
		for _, e := range evs {
			if e.Type == hub.EvFollowUpDue {
				reminders++
				if !strings.Contains(string(e.Payload), fu.ID) || !strings.Contains(string(e.Payload), "张三") {
					t.Errorf("reminder payload: %s", e.Payload)
				}
			}
		}
		if reminders != 1 {
			t.Errorf("%d reminders, want 1", reminders)
		}
		log, err := h.Contacts.FollowUps(ctx, f.Admin.TenantID, c.ID)
		if err != nil || len(log) != 1 || log[0].Note != "电话沟通，客户考虑中" || log[0].RemindedAt == nil {
			t.Errorf("log: %+v %v", log, err)
		}
	})
}

// Two contacts of one person (same phone, one from a channel, one entered
// by hand) are suggested; merged, the survivor shows both histories and
// the merged one leaves the list; unmerged, each has exactly its own again.
func TestMergeAndUnmerge(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		li, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: "li@t.test", Password: "password1",
			Role: hub.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		cards := conversations.NewCards(h.K, h.Contacts)
		survivor, err := h.Contacts.Create(ctx, f.Admin.TenantID, li.ID, contacts.Patch{Name: ptr("王五"), Phone: ptr("13900001111"),
			Tags: &[]string{"VIP"}})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
		wx := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "wx-1", Name: "微信王五", Phone: "13900001111", Email: "w5@example.com"})
		converse(t, h, wx, nil, "", clk.Now())
		converse(t, h, &survivor.Contact, nil, "", clk.Now())
		wxTicket, err := h.Tickets.Create(ctx, f.Admin.TenantID, tickets.NewTicket{Subject: "退货", ContactID: wx.ID, ChannelID: wx.ChannelID,
			CreatedBy: f.Admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		next := clk.Now().Add(time.Hour)
		wxNote, err := h.Contacts.AddFollowUp(ctx, f.Admin, wx.ID, contacts.NewFollowUp{Note: "微信上问过价格", NextAt: &next})
		if err != nil {
			t.Fatal(err)
		}
		upsert(t, h, other.Channel, hub.ContactInfo{ExternalID: "o-1", Phone: "13900001111"})

		ss, err := h.Contacts.Suggestions(ctx, f.Admin, survivor.ID)
		if err != nil || len(ss) != 1 || ss[0].Contact.ID != wx.ID || !slices.Contains(ss[0].Reasons, contacts.SamePhone) {
			t.Fatalf("suggestions: %+v %v", ss, err)
		}
		if ss, _ := h.Contacts.Suggestions(ctx, li, survivor.ID); len(ss) != 0 {
			t.Errorf("an agent is offered a contact they cannot see: %+v", ss)
		}

		m, err := h.Contacts.MergeInto(ctx, f.Admin, survivor.ID, wx.ID)
		if err != nil {
			t.Fatal(err)
		}
		history := func(id string) (convs, tks []string) {
			t.Helper()
			cs, err := cards.Conversations(ctx, f.Admin, id, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				convs = append(convs, c.ContactID)
			}
			ts, err := h.Tickets.List(ctx, f.Admin.TenantID, tickets.Filter{ContactID: id})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ts {
				tks = append(tks, x.ID)
			}
			slices.Sort(convs)
			return convs, tks
		}
		convs, tks := history(survivor.ID)
		if want := []string{survivor.ID, wx.ID}; !slices.Equal(convs, sorted(want)) || !slices.Equal(tks, []string{wxTicket.ID}) {
			t.Errorf("survivor's history after the merge: conversations of %v, tickets %v", convs, tks)
		}
		if got := names(t, h, f.Admin, contacts.Query{}); !slices.Equal(got, []string{"王五"}) {
			t.Errorf("list after the merge: %v", got)
		}
		sv, _ := h.Contacts.Card(ctx, f.Admin.TenantID, survivor.ID)
		if sv.Email != "w5@example.com" || sv.Name != "王五" || sv.NextFollowUp == nil {
			t.Errorf("survivor's card: %+v", sv)
		}
		if log, _ := h.Contacts.FollowUps(ctx, f.Admin.TenantID, survivor.ID); len(log) != 1 || log[0].ID != wxNote.ID {
			t.Errorf("survivor's follow-ups: %+v", log)
		}
		// li owns the survivor and sees the merged history; another tenant sees nothing.
		if ok, _ := h.Contacts.Visible(ctx, li, survivor.ID); !ok {
			t.Error("the owner lost the survivor")
		}
		if _, err := h.Contacts.MergeInto(ctx, other.Admin, survivor.ID, wx.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant merges: %v", err)
		}
		if _, err := h.Contacts.MergeInto(ctx, f.Admin, survivor.ID, wx.ID); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("merged twice: %v", err)
		}
		if _, err := h.Contacts.Unmerge(ctx, other.Admin, m.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant unmerges: %v", err)
		}

		if _, err := h.Contacts.Unmerge(ctx, f.Admin, m.ID); err != nil {
			t.Fatal(err)
		}
		convs, tks = history(survivor.ID)
		if !slices.Equal(convs, []string{survivor.ID}) || len(tks) != 0 {
			t.Errorf("survivor after the unmerge: conversations of %v, tickets %v", convs, tks)
		}
		convs, tks = history(wx.ID)
		if !slices.Equal(convs, []string{wx.ID}) || !slices.Equal(tks, []string{wxTicket.ID}) {
			t.Errorf("restored contact: conversations of %v, tickets %v", convs, tks)
		}
		sv, _ = h.Contacts.Card(ctx, f.Admin.TenantID, survivor.ID)
		back, _ := h.Contacts.Card(ctx, f.Admin.TenantID, wx.ID)
		if sv.Email != "" || sv.NextFollowUp != nil || !slices.Equal(sv.Tags, []string{"VIP"}) || back.MergedInto != nil ||
			back.Email != "w5@example.com" {
			t.Errorf("cards after the unmerge: survivor %+v, restored %+v", sv, back)
		}
		if log, _ := h.Contacts.FollowUps(ctx, f.Admin.TenantID, wx.ID); len(log) != 1 {
			t.Errorf("restored follow-ups: %+v", log)
		}
		ms, err := h.Contacts.Merges(ctx, f.Admin.TenantID, survivor.ID)
		if err != nil || len(ms) != 1 || ms[0].UndoneAt == nil || ms[0].UndoneBy != f.Admin.ID {
			t.Errorf("merge record: %+v %v", ms, err)
		}
		if _, err := h.Contacts.Unmerge(ctx, f.Admin, m.ID); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("unmerged twice: %v", err)
		}
		if got := names(t, h, f.Admin, contacts.Query{}); len(got) != 2 {
			t.Errorf("list after the unmerge: %v", got)
		}
	})
}

func sorted(s []string) []string { slices.Sort(s); return s }

// A dry run reports each bad row (row, column, reason) and stores nothing;
// a commit with a bad row stores nothing either; a clean sheet is stored.
func TestImport(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		defineFields(t, h, f.Admin.TenantID)
		bad := "\uFEFF姓名,电话,邮箱,会员等级,预算,负责人,颜色\n" +
			"张三,13800000001,z3@example.com,金卡,100," + f.Admin.Email + ",\n" +
			"李四,,,钻石卡,很多,,\n" +
			",,,银卡,,nobody@example.com,\n"
		rep, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader(bad), sheet.CSV, true)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, e := range rep.Errors {
			got[strings.Join([]string{itoa(e.Row), e.Column}, ":")] = true
		}
		for _, want := range []string{"1:颜色", "3:会员等级", "3:预算", "4:姓名", "4:负责人"} {
			if !got[want] {
				t.Errorf("no error at %s; report %+v", want, rep.Errors)
			}
		}
		if got["2:会员等级"] || rep.Rows != 3 || rep.Committed {
			t.Errorf("report: %+v", rep)
		}
		if rep, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader(bad), sheet.CSV, false); err != nil || rep.Committed || rep.Created != 0 {
			t.Errorf("commit of a bad sheet: %+v %v", rep, err)
		}
		if n := names(t, h, f.Admin, contacts.Query{}); len(n) != 0 {
			t.Fatalf("a refused import stored %v", n)
		}
		good := "name,phone,会员等级,兴趣,标签\n王五,13800000005,金卡,读书,\"VIP,老客户\"\n赵六,13800000006,银卡,,\n"
		rep, err = h.Contacts.Import(ctx, f.Admin, strings.NewReader(good), sheet.CSV, false)
		if err != nil || !rep.Committed || rep.Created != 2 || len(rep.Errors) != 0 {
			t.Fatalf("clean import: %+v %v", rep, err)
		}
		if got := names(t, h, f.Admin, contacts.Query{Field: "level", FieldValue: "金卡", Tag: "老客户"}); !slices.Equal(got, []string{"王五"}) {
			t.Errorf("imported customers: %v", got)
		}
		if _, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader("姓名\n"), sheet.CSV, true); !isInvalid(err) {
			t.Errorf("header only: %v", err)
		}
		if _, err := h.Contacts.Import(ctx, f.Admin, strings.NewReader("not a workbook"), sheet.XLSX, true); !isInvalid(err) {
			t.Errorf("not an xlsx: %v", err)
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// An export lists only what the agent may see, custom fields as columns,
// and a cell starting like a formula is defused in CSV; it reads back.
func TestExport(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		defineFields(t, h, f.Admin.TenantID)
		li, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: "li@t.test", Password: "password1",
			Role: hub.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			owner *hub.Agent
			name  string
		}{{li, "=HYPERLINK(\"http://evil\",\"点我\")"}, {li, "+86 小李"}, {f.Admin, "管理员的客户"}} {
			clk.Add(time.Second)
			if _, err := h.Contacts.Create(ctx, f.Admin.TenantID, c.owner.ID, contacts.Patch{Name: ptr(c.name), QQ: ptr("@qq"),
				Custom: &map[string]string{"level": "金卡"}}); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := h.Contacts.Export(ctx, li, contacts.Query{}, &b, sheet.CSV); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"会员等级", `'=HYPERLINK(""http://evil""`, "'+86 小李", "'@qq", "li@t.test", "金卡"} {
			if !strings.Contains(out, want) {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "管理员的客户") || strings.Contains(out, "\n=") || strings.Contains(out, ",=") {
			t.Errorf("export shows another's customer or a live formula:\n%s", out)
		}
		rows, err := sheet.Read(strings.NewReader(out), sheet.CSV, 10)
		if err != nil || len(rows) != 3 || !slices.Contains(rows[1], "+86 小李") && !slices.Contains(rows[2], "+86 小李") {
			t.Errorf("read back: %v %v", rows, err)
		}
		b.Reset()
		if err := h.Contacts.Export(ctx, f.Admin, contacts.Query{}, &b, sheet.XLSX); err != nil {
			t.Fatal(err)
		}
		rows, err = sheet.Read(&b, sheet.XLSX, 10)
		if err != nil || len(rows) != 4 {
			t.Errorf("xlsx export: %v %v", rows, err)
		}
	})
}
