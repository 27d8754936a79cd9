// Package qa is quality inspection (质检): scoring templates, review
// batches sampled from closed conversations by rule, the reviews a
// supervisor scores (the total computed here, a fatal item scoring 0),
// the agent's acknowledgement or appeal and its resolution, the QA scores
// the agent report shows, and the tenant's sensitive words, watched on
// every agent message (an alert for supervisors; the message still goes).
package qa

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps the quality inspection tables.
type Store struct {
	k       *store.Store
	sampler *conversations.Sampler
	words   *wordCache
}

// New returns the quality inspection store; sampler reads the closed
// conversations batches are drawn from (nil: sampling is not offered, as
// for the reports, which only read scores).
func New(k *store.Store, sampler *conversations.Sampler) *Store {
	return &Store{k: k, sampler: sampler, words: newWordCache()}
}

// Status is where a review stands.
type Status string

// Review statuses: 待评 → 已评 → 已确认, or 已评 → 申诉中 → 申诉已处理.
const (
	StatusPending      Status = "pending"
	StatusScored       Status = "scored"
	StatusAcknowledged Status = "acknowledged"
	StatusAppealed     Status = "appealed"
	StatusResolved     Status = "resolved"
)

// forbidden is a change only admins and supervisors may make.
func forbidden(what string) error {
	return fmt.Errorf("%w: only admins and supervisors %s", hub.ErrForbidden, what)
}

// staff checks that a is an admin or supervisor.
func staff(a *hub.Agent, what string) error {
	if !a.SeesAll() {
		return forbidden(what)
	}
	return nil
}

// jsonList is a JSON column of a list, read and written whole.
type jsonList[T any] []T

// Scan reads the column.
func (l *jsonList[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*l = jsonList[T]{}
		return nil
	default:
		return fmt.Errorf("qa: cannot scan %T into a JSON list", src)
	}
	return json.Unmarshal(b, (*[]T)(l))
}

// text is the column's stored form.
func (l jsonList[T]) text() string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal([]T(l)) // plain structs and strings always marshal
	return string(b)
}

// opt is the time of an optional column.
type opt = *time.Time
