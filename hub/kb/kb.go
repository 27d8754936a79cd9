// Package kb is the knowledge base (知识库): FAQ articles with their similar
// questions, and the Chinese search the robot answers from and agents use.
// Search runs on an in-memory index per tenant, built from the tables and
// rebuilt when the tenant's revision counter moves (the same in both modes,
// and in a cluster every process sees every change).
package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Article is one FAQ entry: a standard question, its similar questions
// (相似问法), the answer, and where and when it applies.
type Article struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Similar  []string `json:"similar"`
	// Answer is plain text (links and line breaks kept); UIs render it inert.
	Answer   string   `json:"answer"`
	Category string   `json:"category"`
	Tags     []string `json:"tags"`
	// Channels are the channel ids the article applies to; empty = all.
	Channels  []string   `json:"channels"`
	Enabled   bool       `json:"enabled"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Patch creates or changes an article; nil fields stay (on create they
// take their defaults: enabled, every channel, always valid).
type Patch struct {
	Question  *string    `json:"question"`
	Similar   *[]string  `json:"similar"`
	Answer    *string    `json:"answer"`
	Category  *string    `json:"category"`
	Tags      *[]string  `json:"tags"`
	Channels  *[]string  `json:"channels"`
	Enabled   *bool      `json:"enabled"`
	ValidFrom *time.Time `json:"valid_from"`
	ValidTo   *time.Time `json:"valid_to"`
	// By is the agent making the change (recorded in the version).
	By string `json:"-"`
	// Hook, when set, runs in the transaction that stores the article.
	Hook Hook `json:"-"`
	// action is the version's action (default create or update); exact
	// sets the validity even to none (a restore).
	action string
	exact  bool
}

// Hook keeps what another package holds of an article's version (its
// rich answer), in the transaction that saves version n of a.
type Hook func(ctx context.Context, tx *store.Tx, a Article, n int64) error

// Drop removes what another package keeps of an article (its rich
// answers), in the transaction that deletes the article.
type Drop func(ctx context.Context, tx *store.Tx, articleID string) error

// Limits of an article, so one entry cannot blow up the index.
const (
	maxQuestion = 200
	maxSimilar  = 50
	maxAnswer   = 5000
	maxLabel    = 50
	maxLabels   = 20
)

func (p *Patch) apply(a *Article) error {
	set(&a.Question, p.Question)
	set(&a.Similar, p.Similar)
	set(&a.Answer, p.Answer)
	set(&a.Category, p.Category)
	set(&a.Tags, p.Tags)
	set(&a.Channels, p.Channels)
	set(&a.Enabled, p.Enabled)
	if p.ValidFrom != nil || p.exact {
		a.ValidFrom = p.ValidFrom
	}
	if p.ValidTo != nil || p.exact {
		a.ValidTo = p.ValidTo
	}
	a.Question = oneLine(a.Question)
	a.Answer = strings.TrimSpace(hub.Clean(a.Answer))
	a.Category = oneLine(a.Category)
	a.Similar, a.Tags, a.Channels = lines(a.Similar), lines(a.Tags), lines(a.Channels)
	return a.validate()
}

func (a *Article) validate() error {
	switch {
	case a.Question == "" || utf8.RuneCountInString(a.Question) > maxQuestion:
		return hub.BadField("input_length", "question", fmt.Sprintf("question is required, at most %d characters", maxQuestion), "max", strconv.Itoa(maxQuestion))
	case a.Answer == "" || utf8.RuneCountInString(a.Answer) > maxAnswer:
		return hub.BadField("input_length", "answer", fmt.Sprintf("answer is required, at most %d characters", maxAnswer), "max", strconv.Itoa(maxAnswer))
	case len(a.Similar) > maxSimilar:
		return hub.BadField("input_too_many", "similar", fmt.Sprintf("at most %d similar questions", maxSimilar), "max", strconv.Itoa(maxSimilar))
	case utf8.RuneCountInString(a.Category) > maxLabel:
		return hub.BadField("input_too_long", "category", fmt.Sprintf("category is at most %d characters", maxLabel), "max", strconv.Itoa(maxLabel))
	case len(a.Tags) > maxLabels || len(a.Channels) > maxLabels:
		return hub.Invalid("at most %d tags and %d channels", maxLabels, maxLabels)
	case a.ValidFrom != nil && a.ValidTo != nil && !a.ValidTo.After(*a.ValidFrom):
		return hub.BadField("input_order", "valid_to", "valid_to must be after valid_from")
	}
	for _, s := range a.Similar {
		if utf8.RuneCountInString(s) > maxQuestion {
			return hub.BadField("input_too_long", "similar", fmt.Sprintf("a similar question is at most %d characters", maxQuestion), "max", strconv.Itoa(maxQuestion))
		}
	}
	for _, s := range append(append([]string{}, a.Tags...), a.Channels...) {
		if utf8.RuneCountInString(s) > maxLabel {
			return hub.Invalid("a tag or channel id is at most %d characters", maxLabel)
		}
	}
	return nil
}

// Live reports whether the article may answer at t on the channel ("" =
// any channel).
func (a *Article) Live(t time.Time, channelID string) bool {
	if !a.Enabled || (a.ValidFrom != nil && t.Before(*a.ValidFrom)) || (a.ValidTo != nil && !t.Before(*a.ValidTo)) {
		return false
	}
	if channelID == "" || len(a.Channels) == 0 {
		return true
	}
	for _, c := range a.Channels {
		if c == channelID {
			return true
		}
	}
	return false
}

// oneLine is a cleaned single-line label.
func oneLine(s string) string {
	return strings.Join(strings.Fields(hub.Clean(s)), " ")
}

// lines cleans a list: single-line, no blanks, no duplicates, never nil.
func lines(in []string) []string {
	out, seen := []string{}, map[string]bool{}
	for _, s := range in {
		if s = oneLine(s); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func encodeList(l []string) string {
	b, _ := json.Marshal(l) // a []string always encodes
	return string(b)
}

func decodeList(s string) []string {
	var l []string
	if json.Unmarshal([]byte(s), &l) != nil || l == nil {
		return []string{}
	}
	return l
}
