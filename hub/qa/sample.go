package qa

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// Rule draws a review batch (抽检): closed conversations of the period
// matching the criteria, not reviewed before; Count of them at random, or
// all when Count is 0.
type Rule struct {
	TemplateID  string    `json:"template_id"`
	Name        string    `json:"name"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	AgentIDs    []string  `json:"agent_ids"`
	ChannelID   string    `json:"channel_id"`
	MaxRating   int       `json:"max_rating"`
	MinMessages int       `json:"min_messages"`
	Keywords    []string  `json:"keywords"`
	Count       int       `json:"count"`
}

// Batch is one sampling's reviews.
type Batch struct {
	ID         string      `db:"id" json:"id"`
	TenantID   string      `db:"tenant_id" json:"-"`
	TemplateID string      `db:"template_id" json:"template_id"`
	Name       string      `db:"name" json:"name"`
	Rule       hub.RawJSON `db:"rule" json:"rule"`
	Size       int         `db:"size" json:"size"`
	CreatedBy  string      `db:"created_by" json:"created_by"`
	CreatedAt  time.Time   `db:"created_at" json:"created_at"`
}

// maxBatch is the most reviews one sampling makes.
const maxBatch = 1000

func (r *Rule) check() error {
	r.Name = strings.TrimSpace(hub.Clean(r.Name))
	kws := r.Keywords[:0]
	for _, k := range r.Keywords {
		if k = strings.TrimSpace(hub.Clean(k)); k != "" {
			kws = append(kws, k)
		}
	}
	r.Keywords = kws
	switch {
	case utf8.RuneCountInString(r.Name) > 100:
		return hub.Invalid("name is at most 100 characters")
	case !r.To.After(r.From) || r.To.Sub(r.From) > 366*24*time.Hour:
		return hub.Invalid("the period is 1 to 366 days")
	case r.Count < 0 || r.Count > maxBatch:
		return hub.Invalid("count is 0 (all) to %d", maxBatch)
	case r.MaxRating < 0 || r.MaxRating > 5 || r.MinMessages < 0 || r.MinMessages > 10000:
		return hub.Invalid("max_rating is 0 to 5, min_messages 0 to 10000")
	case len(r.Keywords) > 10 || len(r.AgentIDs) > 500:
		return hub.Invalid("at most 10 keywords and 500 agents")
	}
	for _, k := range r.Keywords {
		if utf8.RuneCountInString(k) > 50 {
			return hub.Invalid("a keyword is at most 50 characters")
		}
	}
	return nil
}

// Sample draws a review batch by rule with the template to score it by.
// Nothing matching is an error the reviewer sees (no empty batch).
func (s *Store) Sample(ctx context.Context, a *hub.Agent, r Rule) (*Batch, error) {
	if err := staff(a, "draw review batches"); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	t, err := s.Template(ctx, a.TenantID, r.TemplateID)
	if err != nil {
		return nil, hub.Invalid("template_id names no template")
	}
	if !t.Enabled {
		return nil, hub.Invalid("the template is disabled")
	}
	picked, err := s.candidates(ctx, a.TenantID, r)
	if err != nil {
		return nil, err
	}
	if len(picked) == 0 {
		return nil, hub.Invalid("no closed conversation left to review matches the rule")
	}
	if r.Name == "" {
		r.Name = r.From.Format("2006-01-02") + " – " + r.To.Add(-time.Second).Format("2006-01-02")
	}
	rule, _ := json.Marshal(r) // plain fields always marshal
	b := &Batch{ID: hub.NewID("qb"), TenantID: a.TenantID, TemplateID: t.ID, Name: r.Name, Rule: rule,
		CreatedBy: a.ID, CreatedAt: s.k.Now()}
	err = s.k.Write(ctx, func(tx *store.Tx) error { return s.insertBatch(ctx, tx, b, t, picked) })
	return b, err
}

// candidates are the matching closed conversations not reviewed before,
// shuffled and cut to the rule's count.
func (s *Store) candidates(ctx context.Context, tenantID string, r Rule) ([]conversations.Closed, error) {
	if s.sampler == nil {
		return nil, fmt.Errorf("qa: sampling without a sampler")
	}
	cs, err := s.sampler.Closed(ctx, tenantID, conversations.Criteria{From: r.From, To: r.To, AgentIDs: r.AgentIDs,
		ChannelID: r.ChannelID, MaxRating: r.MaxRating, MinMessages: r.MinMessages, Keywords: r.Keywords})
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var done []string
	q := `SELECT conversation_id FROM qa_reviews WHERE tenant_id = ? AND conversation_id IN (?)`
	if err := s.k.SelectIn(ctx, &done, q, tenantID, ids); err != nil {
		return nil, fmt.Errorf("find reviewed conversations: %w", err)
	}
	reviewed := map[string]bool{}
	for _, id := range done {
		reviewed[id] = true
	}
	out := cs[:0]
	for _, c := range cs {
		if !reviewed[c.ID] {
			out = append(out, c)
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	if n := r.Count; n == 0 && len(out) > maxBatch {
		out = out[:maxBatch]
	} else if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// insertBatch stores the batch and a pending review per conversation
// (one another sampling took meanwhile is skipped).
func (s *Store) insertBatch(ctx context.Context, tx *store.Tx, b *Batch, t *Template, cs []conversations.Closed) error {
	const qb = `INSERT INTO qa_batches (id, tenant_id, template_id, name, rule, size, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, 0, ?, ?)`
	if _, err := tx.Exec(ctx, qb, b.ID, b.TenantID, b.TemplateID, b.Name, string(b.Rule), b.CreatedBy, b.CreatedAt); err != nil {
		return fmt.Errorf("insert qa batch: %w", err)
	}
	b.Size = 0
	const qr = `INSERT INTO qa_reviews (id, tenant_id, batch_id, template_id, conversation_id, agent_id, status, max_score,
		created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`
	for _, c := range cs {
		n, err := tx.Exec(ctx, qr, hub.NewID("qr"), b.TenantID, b.ID, t.ID, c.ID, c.AgentID, t.MaxScore, b.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert qa review: %w", err)
		}
		b.Size += int(n)
	}
	if _, err := tx.Exec(ctx, `UPDATE qa_batches SET size = ? WHERE id = ?`, b.Size, b.ID); err != nil {
		return fmt.Errorf("count qa batch: %w", err)
	}
	return nil
}

// Batches lists the tenant's review batches, newest first.
func (s *Store) Batches(ctx context.Context, a *hub.Agent) ([]Batch, error) {
	if err := staff(a, "see review batches"); err != nil {
		return nil, err
	}
	out := []Batch{}
	q := `SELECT id, tenant_id, template_id, name, rule, size, created_by, created_at FROM qa_batches
		WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT 200`
	if err := s.k.Select(ctx, &out, q, a.TenantID); err != nil {
		return nil, fmt.Errorf("list qa batches: %w", err)
	}
	return out, nil
}
