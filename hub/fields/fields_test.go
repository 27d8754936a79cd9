package fields_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/hubtest"
)

func ptr[T any](v T) *T { return &v }

var defs = []fields.Field{
	{Key: "level", Label: "会员等级", Type: fields.Select, Options: []string{"金卡", "银卡"}},
	{Key: "hobbies", Label: "兴趣", Type: fields.Multi, Options: []string{"篮球", "读书", "旅行"}},
	{Key: "budget", Label: "预算", Type: fields.Number},
	{Key: "birthday", Label: "生日", Type: fields.Date},
	{Key: "source", Label: "来源说明", Type: fields.Text, Required: true},
}

// Each type accepts what a person would type and refuses the rest, saying
// which field in Chinese.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		in   map[string]string
		want map[string]string
		err  string // a part of the message; "" for none
	}{
		{"normalized", map[string]string{"level": "金卡", "hobbies": "读书, 篮球，读书", "budget": " 1500.50 ", "birthday": "2026/1/31",
			"source": " 展会 "}, map[string]string{"level": "金卡", "hobbies": "读书,篮球", "budget": "1500.5", "birthday": "2026-01-31",
			"source": "展会"}, ""},
		{"required missing", map[string]string{"level": "金卡"}, nil, "字段「来源说明」为必填项"},
		{"required blank", map[string]string{"source": "   "}, nil, "字段「来源说明」为必填项"},
		{"not an option", map[string]string{"source": "x", "level": "钻石卡"}, nil, "字段「会员等级」的值“钻石卡”不在选项中"},
		{"multi not an option", map[string]string{"source": "x", "hobbies": "读书,游泳"}, nil, "字段「兴趣」的值“游泳”不在选项中"},
		{"not a number", map[string]string{"source": "x", "budget": "一千"}, nil, "字段「预算」必须是数字"},
		{"not a date", map[string]string{"source": "x", "birthday": "明天"}, nil, "字段「生日」必须是日期"},
		{"too long", map[string]string{"source": strings.Repeat("长", 1001)}, nil, "最多 1000 个字符"},
		{"undefined keys kept, empty optional dropped", map[string]string{"source": "x", "旧字段": "v", "budget": ""},
			map[string]string{"source": "x", "旧字段": "v"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := fields.Check(defs, c.in)
			if c.err != "" {
				var ie *hub.InvalidError
				if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Check(%v): %v, want an invalid error with %q", c.in, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check(%v): %v", c.in, err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("Check(%v) = %v, want %v", c.in, got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// Admins define fields; a bad definition is refused with a reason, a key
// is one per tenant, and a field's key and type stay once created.
func TestDefinitions(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := fields.New(h.K)
		a, b := h.NewTenant(t), h.NewTenant(t)
		level, err := s.Create(ctx, a.Admin.TenantID, fields.Contact, fields.Spec{Key: ptr("level"), Label: ptr("会员等级"),
			Type: ptr(fields.Select), Options: &[]string{"金卡", " 银卡 ", "金卡", ""}, Required: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(level.Options, "|") != "金卡|银卡" || !level.Required {
			t.Errorf("created: %+v", level)
		}
		for name, sp := range map[string]fields.Spec{
			"no key":          {Label: ptr("x")},
			"bad key":         {Key: ptr("Level!"), Label: ptr("x")},
			"bad type":        {Key: ptr("k"), Label: ptr("x"), Type: ptr(fields.Type("color"))},
			"select, no opts": {Key: ptr("k"), Label: ptr("x"), Type: ptr(fields.Select)},
			"comma option":    {Key: ptr("k"), Label: ptr("x"), Type: ptr(fields.Multi), Options: &[]string{"a,b"}},
		} {
			var ie *hub.InvalidError
			if _, err := s.Create(ctx, a.Admin.TenantID, fields.Contact, sp); !errors.As(err, &ie) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if _, err := s.Create(ctx, a.Admin.TenantID, fields.Contact, fields.Spec{Key: ptr("level"), Label: ptr("又一个")}); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("same key twice: %v", err)
		}
		if _, err := s.Create(ctx, b.Admin.TenantID, fields.Contact, fields.Spec{Key: ptr("level"), Label: ptr("等级")}); err != nil {
			t.Errorf("another tenant's key: %v", err)
		}
		if _, err := s.Update(ctx, a.Admin.TenantID, level.ID, fields.Spec{Type: ptr(fields.Text)}); err == nil {
			t.Error("type changed")
		}
		up, err := s.Update(ctx, a.Admin.TenantID, level.ID, fields.Spec{Label: ptr("等级"), Options: &[]string{"金卡", "银卡", "铜卡"}})
		if err != nil || up.Label != "等级" || len(up.Options) != 3 {
			t.Errorf("update: %+v %v", up, err)
		}
		if _, err := s.Update(ctx, b.Admin.TenantID, level.ID, fields.Spec{Label: ptr("x")}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant updates: %v", err)
		}
		if err := s.Delete(ctx, b.Admin.TenantID, level.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant deletes: %v", err)
		}
		list, err := s.List(ctx, a.Admin.TenantID, fields.Contact)
		if err != nil || len(list) != 1 || list[0].Label != "等级" {
			t.Errorf("list: %+v %v", list, err)
		}
		if err := s.Delete(ctx, a.Admin.TenantID, level.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.List(ctx, a.Admin.TenantID, fields.Contact); len(list) != 0 {
			t.Errorf("after delete: %+v", list)
		}
	})
}
