package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// One person may write on several channels: merging makes one customer of
// two. The merged contact keeps its channel identity (so a reply still
// reaches the person where they wrote, and their next message still lands)
// and points to the survivor; the survivor's card, conversations, tickets
// and follow-ups then show everything of both, those yet to come included.
// The merge record keeps what moved, so an unmerge moves exactly that back.

// Suggestion is a contact that looks like the same person, and why.
type Suggestion struct {
	Contact Card     `json:"contact"`
	Reasons []string `json:"reasons"`
}

// Reasons a suggestion gives.
const (
	SamePhone   = "phone"
	SameEmail   = "email"
	SameAppUser = "app_user"
)

// Suggestions lists the contacts an agent may see that share a phone, an
// email or an app user id (what the app identified with a signature) with
// a contact, not yet merged.
func (s *Store) Suggestions(ctx context.Context, a *hub.Agent, id string) ([]Suggestion, error) {
	c, err := card(ctx, s.k, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	where, args, _, err := s.visibility(ctx, a)
	if err != nil {
		return nil, err
	}
	args = append(args, c.ID)
	var or []string
	if c.Phone != "" {
		or, args = append(or, `phone = ?`), append(args, c.Phone)
	}
	if c.Email != "" {
		or, args = append(or, `email IN (?, ?)`), append(args, c.Email, strings.ToLower(c.Email))
	}
	or = append(or, `id IN (SELECT contact_id FROM app_users WHERE tenant_id = ? AND contact_external_id IN
		(SELECT contact_external_id FROM app_users WHERE contact_id = ?))`)
	args = append(args, a.TenantID, c.ID)
	q := `SELECT ` + cardCols + ` FROM contacts WHERE ` + where + ` AND merged_into IS NULL AND id <> ? AND (` +
		strings.Join(or, " OR ") + `) ORDER BY created_at, id LIMIT 20`
	var found []Card
	if err := s.k.Select(ctx, &found, q, args...); err != nil {
		return nil, fmt.Errorf("merge suggestions: %w", err)
	}
	out := []Suggestion{}
	for _, f := range found {
		f.decode()
		var why []string
		if c.Phone != "" && f.Phone == c.Phone {
			why = append(why, SamePhone)
		}
		if c.Email != "" && strings.EqualFold(f.Email, c.Email) {
			why = append(why, SameEmail)
		}
		if len(why) == 0 {
			why = append(why, SameAppUser)
		}
		out = append(out, Suggestion{Contact: f, Reasons: why})
	}
	return out, nil
}

// Merge is the record of one merge.
type Merge struct {
	ID         string     `db:"id" json:"id"`
	TenantID   string     `db:"tenant_id" json:"-"`
	SurvivorID string     `db:"survivor_id" json:"survivor_id"`
	MergedID   string     `db:"merged_id" json:"merged_id"`
	AgentID    string     `db:"agent_id" json:"agent_id"`
	MovedRaw   string     `db:"moved" json:"-"`
	Moved      Moved      `db:"-" json:"moved"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	UndoneAt   *time.Time `db:"undone_at" json:"undone_at"`
	UndoneBy   string     `db:"undone_by" json:"undone_by,omitempty"`
	// MergedName is the merged customer's name (or phone, email), in lists.
	MergedName string `db:"merged_name" json:"merged_name,omitempty"`
}

// Moved is what a merge changed: the contacts now pointing to the survivor
// (the merged one and those merged into it before), the follow-ups moved,
// the card fields and tags the survivor took from the merged contact, and
// for the record the conversations and tickets that joined its history.
type Moved struct {
	Contacts      []string          `json:"contacts"`
	FollowUps     []string          `json:"followups"`
	Filled        map[string]string `json:"filled"`
	Tags          []string          `json:"tags"`
	Custom        map[string]string `json:"custom"`
	Owner         *string           `json:"owner_id,omitempty"`
	NextFollowUp  *time.Time        `json:"next_followup_at,omitempty"`
	Conversations []string          `json:"conversations"`
	Tickets       []string          `json:"tickets"`
}

const mergeCols = `id, tenant_id, survivor_id, merged_id, agent_id, moved, created_at, undone_at, undone_by`

// cardFields are the card's text fields a survivor takes when its own is empty.
var cardFields = []string{"name", "company", "phone", "email", "notes"}

func fieldOf(c *Card, name string) *string {
	switch name {
	case "name":
		return &c.Name
	case "company":
		return &c.Company
	case "phone":
		return &c.Phone
	case "email":
		return &c.Email
	}
	return &c.Notes
}

// MergeInto merges a contact into a survivor (the agent confirmed it; the
// caller checked they may see both).
func (s *Store) MergeInto(ctx context.Context, a *hub.Agent, survivorID, mergedID string) (*Merge, error) {
	if survivorID == mergedID {
		return nil, hub.Coded("merge_self", hub.Invalid("不能与自己合并 (a customer cannot be merged into itself)"))
	}
	m := &Merge{ID: hub.NewID("mg"), TenantID: a.TenantID, SurvivorID: survivorID, MergedID: mergedID, AgentID: a.ID,
		Moved: Moved{Filled: map[string]string{}, Custom: map[string]string{}, Tags: []string{}}}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		sv, err := card(ctx, tx, a.TenantID, survivorID)
		if err != nil {
			return err
		}
		gone, err := card(ctx, tx, a.TenantID, mergedID)
		if err != nil {
			return err
		}
		if sv.MergedInto != nil || gone.MergedInto != nil {
			return hub.Coded("merge_merged", fmt.Errorf("已合并过的客户不能再合并 (a merged customer cannot be merged again; unmerge it first): %w",
				hub.ErrConflict))
		}
		mv := &m.Moved
		if err := tx.Select(ctx, &mv.Contacts, `SELECT id FROM contacts WHERE id = ? OR merged_into = ? ORDER BY id`,
			gone.ID, gone.ID); err != nil {
			return fmt.Errorf("merged contacts: %w", err)
		}
		if err := tx.SelectIn(ctx, &mv.FollowUps, `SELECT id FROM contact_followups WHERE contact_id IN (?) ORDER BY id`,
			mv.Contacts); err != nil {
			return fmt.Errorf("merged follow-ups: %w", err)
		}
		if err := tx.SelectIn(ctx, &mv.Conversations, `SELECT id FROM conversations WHERE contact_id IN (?) ORDER BY id`,
			mv.Contacts); err != nil {
			return fmt.Errorf("merged conversations: %w", err)
		}
		if err := tx.SelectIn(ctx, &mv.Tickets, `SELECT id FROM tickets WHERE contact_id IN (?) ORDER BY id`,
			mv.Contacts); err != nil {
			return fmt.Errorf("merged tickets: %w", err)
		}
		absorb(sv, gone, mv)
		if err := s.saveMerged(ctx, tx, sv); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET merged_into = ?, updated_at = ? WHERE id = ? OR merged_into = ?`,
			sv.ID, tx.Now(), gone.ID, gone.ID); err != nil {
			return fmt.Errorf("point merged contacts: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE contact_followups SET contact_id = ? WHERE contact_id = ?`, sv.ID, gone.ID); err != nil {
			return fmt.Errorf("move follow-ups: %w", err)
		}
		moved, _ := json.Marshal(m.Moved)
		m.CreatedAt = tx.Now()
		const ins = `INSERT INTO contact_merges (` + mergeCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '')`
		if _, err := tx.Exec(ctx, ins, m.ID, m.TenantID, sv.ID, gone.ID, a.ID, string(moved), m.CreatedAt); err != nil {
			return fmt.Errorf("insert merge: %w", err)
		}
		tx.Emit(hub.Event{TenantID: a.TenantID, Type: hub.EvContactUpdated}, map[string]any{"contact": sv, "event": "merged",
			"merged_id": gone.ID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// absorb gives the survivor what it lacks of the merged contact's card,
// noting each addition in mv.
func absorb(sv, gone *Card, mv *Moved) {
	for _, name := range cardFields {
		dst, src := fieldOf(sv, name), fieldOf(gone, name)
		if *dst == "" && *src != "" {
			*dst, mv.Filled[name] = *src, *src
		}
	}
	if sv.QQ == "" && gone.QQ != "" {
		sv.QQ, mv.Filled[HandleQQ] = gone.QQ, gone.QQ
	}
	if sv.WeChat == "" && gone.WeChat != "" {
		sv.WeChat, mv.Filled[HandleWeChat] = gone.WeChat, gone.WeChat
	}
	for _, t := range gone.Tags {
		if !slices.Contains(sv.Tags, t) {
			sv.Tags, mv.Tags = append(sv.Tags, t), append(mv.Tags, t)
		}
	}
	for k, v := range gone.Custom {
		if _, ok := sv.Custom[k]; !ok && v != "" {
			sv.Custom[k], mv.Custom[k] = v, v
		}
	}
	if sv.OwnerID == nil && gone.OwnerID != nil {
		sv.OwnerID, mv.Owner = gone.OwnerID, gone.OwnerID
	}
	if sv.NextFollowUp == nil && gone.NextFollowUp != nil {
		sv.NextFollowUp, mv.NextFollowUp = gone.NextFollowUp, gone.NextFollowUp
	}
}

// saveMerged writes a survivor's (or a restored) card as merge or unmerge
// left it.
func (s *Store) saveMerged(ctx context.Context, tx *store.Tx, c *Card) error {
	custom, _ := json.Marshal(c.Custom)
	tags, _ := json.Marshal(c.Tags)
	const q = `UPDATE contacts SET name = ?, company = ?, phone = ?, email = ?, notes = ?, custom = ?, tags = ?,
		owner_id = ?, next_followup_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, q, c.Name, c.Company, c.Phone, c.Email, c.Notes, string(custom), string(tags), c.OwnerID,
		c.NextFollowUp, tx.Now(), c.ID); err != nil {
		return fmt.Errorf("save merged card: %w", err)
	}
	for _, h := range []struct{ platform, handle string }{{HandleQQ, c.QQ}, {HandleWeChat, c.WeChat}} {
		if err := setHandle(ctx, tx, c, h.platform, h.handle); err != nil {
			return err
		}
	}
	return nil
}

// Unmerge undoes a merge: the merged contact (and those merged into it
// before) stand alone again, its follow-ups go back, and what the survivor
// took from its card is taken off (where the survivor still has it as it
// was). It returns the record, marked undone.
func (s *Store) Unmerge(ctx context.Context, a *hub.Agent, mergeID string) (*Merge, error) {
	var m *Merge
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if m, err = getMerge(ctx, tx, a.TenantID, mergeID); err != nil {
			return err
		}
		if m.UndoneAt != nil {
			return hub.Coded("merge_undone", fmt.Errorf("这次合并已撤销 (the merge was undone already): %w", hub.ErrConflict))
		}
		sv, err := card(ctx, tx, a.TenantID, m.SurvivorID)
		if err != nil {
			return err
		}
		mv := m.Moved
		for name, v := range mv.Filled {
			switch name {
			case HandleQQ:
				if sv.QQ == v {
					sv.QQ = ""
				}
			case HandleWeChat:
				if sv.WeChat == v {
					sv.WeChat = ""
				}
			default:
				if dst := fieldOf(sv, name); *dst == v {
					*dst = ""
				}
			}
		}
		sv.Tags = slices.DeleteFunc(sv.Tags, func(t string) bool { return slices.Contains(mv.Tags, t) })
		for k, v := range mv.Custom {
			if sv.Custom[k] == v {
				delete(sv.Custom, k)
			}
		}
		if mv.Owner != nil && sv.OwnerID != nil && *sv.OwnerID == *mv.Owner {
			sv.OwnerID = nil
		}
		if mv.NextFollowUp != nil && sv.NextFollowUp != nil && sv.NextFollowUp.Equal(*mv.NextFollowUp) {
			sv.NextFollowUp = nil
		}
		if err := s.saveMerged(ctx, tx, sv); err != nil {
			return err
		}
		now := tx.Now()
		if err := execIn(ctx, tx, `UPDATE contacts SET merged_into = NULL, updated_at = ? WHERE id = ? AND merged_into = ?`,
			now, m.MergedID, sv.ID); err != nil {
			return fmt.Errorf("restore merged contact: %w", err)
		}
		if others := slices.DeleteFunc(slices.Clone(mv.Contacts), func(id string) bool { return id == m.MergedID }); len(others) > 0 {
			if err := execIn(ctx, tx, `UPDATE contacts SET merged_into = ?, updated_at = ? WHERE id IN (?) AND merged_into = ?`,
				m.MergedID, now, others, sv.ID); err != nil {
				return fmt.Errorf("restore earlier merges: %w", err)
			}
		}
		if len(mv.FollowUps) > 0 {
			if err := execIn(ctx, tx, `UPDATE contact_followups SET contact_id = ? WHERE id IN (?) AND contact_id = ?`,
				m.MergedID, mv.FollowUps, sv.ID); err != nil {
				return fmt.Errorf("move follow-ups back: %w", err)
			}
		}
		m.UndoneAt, m.UndoneBy = &now, a.ID
		if _, err := tx.Exec(ctx, `UPDATE contact_merges SET undone_at = ?, undone_by = ? WHERE id = ?`, now, a.ID, m.ID); err != nil {
			return fmt.Errorf("mark merge undone: %w", err)
		}
		tx.Emit(hub.Event{TenantID: a.TenantID, Type: hub.EvContactUpdated}, map[string]any{"contact": sv, "event": "unmerged",
			"merged_id": m.MergedID})
		return nil
	})
	return m, err
}

func getMerge(ctx context.Context, q store.Querier, tenantID, id string) (*Merge, error) {
	var m Merge
	if err := q.Get(ctx, &m, `SELECT `+mergeCols+` FROM contact_merges WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("merge %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get merge: %w", err)
	}
	m.decode()
	return &m, nil
}

func (m *Merge) decode() {
	_ = json.Unmarshal([]byte(m.MovedRaw), &m.Moved) // written by us
}

// Merge returns a tenant's merge record.
func (s *Store) Merge(ctx context.Context, tenantID, id string) (*Merge, error) {
	return getMerge(ctx, s.k, tenantID, id)
}

// Merges lists the merges a contact took part in, newest first.
func (s *Store) Merges(ctx context.Context, tenantID, contactID string) ([]Merge, error) {
	out := []Merge{}
	const q = `SELECT m.id, m.tenant_id, m.survivor_id, m.merged_id, m.agent_id, m.moved, m.created_at, m.undone_at, m.undone_by,
		COALESCE(NULLIF(c.name, ''), NULLIF(c.phone, ''), c.email) AS merged_name
		FROM contact_merges m JOIN contacts c ON c.id = m.merged_id
		WHERE m.tenant_id = ? AND (m.survivor_id = ? OR m.merged_id = ?) ORDER BY m.created_at DESC, m.id DESC LIMIT 200`
	if err := s.k.Select(ctx, &out, q, tenantID, contactID, contactID); err != nil {
		return nil, fmt.Errorf("list merges: %w", err)
	}
	for i := range out {
		out[i].decode()
	}
	return out, nil
}

// WithMerged is a subquery of the ids of a contact and of the contacts
// merged into it (one argument: the id, given twice): a survivor's
// conversations and tickets are those of all of them.
const WithMerged = `SELECT id FROM contacts WHERE id = ? OR merged_into = ?`

// execIn runs a statement with IN (?) lists expanded.
func execIn(ctx context.Context, tx *store.Tx, q string, args ...any) error {
	q, args, err := sqlx.In(q, args...)
	if err != nil {
		return fmt.Errorf("expand IN: %w", err)
	}
	_, err = tx.Exec(ctx, q, args...)
	return err
}
