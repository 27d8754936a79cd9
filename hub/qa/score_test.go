package qa_test

import (
	"fmt"
	"testing"

	"github.com/kefu-hub/kefu/hub/qa"
)

func template(t *testing.T) *qa.Template {
	t.Helper()
	in := serviceTemplate()
	tpl := &qa.Template{Items: in.Items}
	for i := range tpl.Items {
		tpl.Items[i].ID = []string{"i1", "i2", "i3", "i4"}[i]
		tpl.MaxScore += tpl.Items[i].MaxPoints
	}
	return tpl
}

// The total is each item's points less its deductions; an item without a
// verdict keeps its points; a failed fatal item scores the review 0.
func TestScore(t *testing.T) {
	tpl := template(t)
	for _, c := range []struct {
		name     string
		verdicts []qa.ItemScore
		want     int
		fatal    bool
		invalid  bool
	}{
		{name: "full marks", want: 100},
		{name: "deductions", verdicts: []qa.ItemScore{{ItemID: "i2", Deductions: []int{0, 1}}, {ItemID: "i3", Deductions: []int{0}}},
			want: 100 - 30 - 15},
		{name: "floor at zero per item", verdicts: []qa.ItemScore{{ItemID: "i1", Deductions: []int{0}}}, want: 90},
		{name: "fatal item failed", verdicts: []qa.ItemScore{{ItemID: "i4", Failed: true}}, want: 0, fatal: true},
		{name: "fatal among deductions", verdicts: []qa.ItemScore{{ItemID: "i2", Deductions: []int{1}}, {ItemID: "i4", Failed: true}},
			want: 0, fatal: true},
		{name: "fatal item passed", verdicts: []qa.ItemScore{{ItemID: "i4"}}, want: 100},
		{name: "unknown item", verdicts: []qa.ItemScore{{ItemID: "i9"}}, invalid: true},
		{name: "unknown deduction", verdicts: []qa.ItemScore{{ItemID: "i1", Deductions: []int{1}}}, invalid: true},
		{name: "deduction twice", verdicts: []qa.ItemScore{{ItemID: "i2", Deductions: []int{0, 0}}}, invalid: true},
		{name: "item twice", verdicts: []qa.ItemScore{{ItemID: "i1"}, {ItemID: "i1"}}, invalid: true},
		{name: "non-fatal failed", verdicts: []qa.ItemScore{{ItemID: "i1", Failed: true}}, invalid: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := qa.Score(tpl, c.verdicts)
			if c.invalid {
				if !isInvalid(err) {
					t.Fatalf("err %v, want invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Score != c.want || got.Fatal != c.fatal || len(got.Items) != 4 {
				t.Errorf("score %d fatal %v items %d, want %d %v 4", got.Score, got.Fatal, len(got.Items), c.want, c.fatal)
			}
		})
	}
}

func TestTemplateValidation(t *testing.T) {
	for _, in := range []qa.TemplateIn{
		{Name: "", Items: serviceTemplate().Items},
		{Name: "x"},
		{Name: "x", Items: []qa.Item{{Name: "a", MaxPoints: 0}}},
		{Name: "x", Items: []qa.Item{{Name: "a", MaxPoints: 10, Deductions: []qa.Deduction{{Label: "d", Points: 11}}}}},
		{Name: "x", Items: []qa.Item{{Name: "a", MaxPoints: 1001}}},
		{Name: "x", Items: []qa.Item{{Name: "only fatal", Fatal: true}}},
	} {
		tpl := &qa.Template{}
		if err := qa.ApplyForTest(&in, tpl); !isInvalid(err) {
			t.Errorf("%+v: err %v, want invalid", in, err)
		}
	}
}

// An item added after another was removed gets a fresh id, never the
// removed one's (a review's verdicts are tied to item ids); two items
// with one id are refused.
func TestTemplateItemIDs(t *testing.T) {
	tpl := &qa.Template{}
	in := qa.TemplateIn{Name: "x", Items: []qa.Item{{ID: "i1", Name: "a", MaxPoints: 10}, {ID: "i3", Name: "c", MaxPoints: 10},
		{Name: "new", MaxPoints: 10}, {Name: "newer", MaxPoints: 10}}}
	if err := qa.ApplyForTest(&in, tpl); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range tpl.Items {
		ids = append(ids, it.ID)
	}
	if fmt.Sprint(ids) != "[i1 i3 i2 i4]" || tpl.MaxScore != 40 {
		t.Errorf("ids %v, full score %d", ids, tpl.MaxScore)
	}
	dup := qa.TemplateIn{Name: "x", Items: []qa.Item{{ID: "a", Name: "a", MaxPoints: 10}, {ID: "a", Name: "b", MaxPoints: 10}}}
	if err := qa.ApplyForTest(&dup, &qa.Template{}); !isInvalid(err) {
		t.Errorf("one id twice: %v", err)
	}
}
