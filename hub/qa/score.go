package qa

import (
	"strings"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// ItemScore is a reviewer's verdict on one item: the deductions picked
// (by their position in the item), whether a fatal item was failed, and a
// note. Points is what the item scored, computed here.
type ItemScore struct {
	ItemID     string `json:"item_id"`
	Deductions []int  `json:"deductions"`
	Failed     bool   `json:"failed"`
	Note       string `json:"note"`
	Points     int    `json:"points"`
}

// Scored is a computed review score.
type Scored struct {
	Score int
	Fatal bool
	Items []ItemScore
}

// Score computes a review from the reviewer's verdicts: each item scores
// its points less the deductions picked (never below 0); an item without
// a verdict keeps its full points; a failed fatal item (致命项) scores the
// whole review 0.
func Score(t *Template, verdicts []ItemScore) (Scored, error) {
	by := map[string]ItemScore{}
	for _, v := range verdicts {
		if _, dup := by[v.ItemID]; dup {
			return Scored{}, hub.Invalid("item %q scored twice", v.ItemID)
		}
		by[v.ItemID] = v
	}
	out := Scored{Items: []ItemScore{}}
	for _, it := range t.Items {
		v, ok := by[it.ID]
		delete(by, it.ID)
		if !ok {
			v = ItemScore{ItemID: it.ID}
		}
		if err := scoreItem(it, &v); err != nil {
			return Scored{}, err
		}
		out.Fatal = out.Fatal || v.Failed
		out.Score += v.Points
		out.Items = append(out.Items, v)
	}
	for id := range by {
		return Scored{}, hub.Invalid("item %q is not in the template", id)
	}
	if out.Fatal {
		out.Score = 0
	}
	return out, nil
}

func scoreItem(it Item, v *ItemScore) error {
	v.Note = strings.TrimSpace(hub.Clean(v.Note))
	if utf8.RuneCountInString(v.Note) > 500 {
		return hub.Invalid("item %q: the note is at most 500 characters", it.ID)
	}
	if v.Failed && !it.Fatal {
		return hub.Invalid("item %q is not a fatal item", it.ID)
	}
	if v.Deductions == nil {
		v.Deductions = []int{}
	}
	v.Points = it.MaxPoints
	seen := map[int]bool{}
	for _, d := range v.Deductions {
		if d < 0 || d >= len(it.Deductions) || seen[d] {
			return hub.Invalid("item %q: deduction %d does not exist", it.ID, d)
		}
		seen[d] = true
		v.Points -= it.Deductions[d].Points
	}
	if v.Points < 0 || v.Failed {
		v.Points = 0
	}
	return nil
}
