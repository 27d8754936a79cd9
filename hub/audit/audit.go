// Package audit keeps the audit log (操作日志): who changed what and when in
// a tenant — sign-ins and failed sign-ins, changes to agents, roles,
// groups, channels and their secrets, routing and automations, exports and
// deletions. It owns the audit_log table.
//
// A request that changes something carries its pending entry in its
// context (Begin); Hook, run by the store kernel in every write
// transaction, writes that entry inside the first transaction that commits
// for the request, so the change and its record commit together. What
// commits no transaction of its own (an export, a login) is recorded
// afterwards by Finish or Record.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Action names what was done, "<noun>.<verb>".
type Action string

// The actions of sign-in, which the login handler records itself.
const (
	Login       Action = "auth.login"
	LoginFailed Action = "auth.login_failed"
)

// Entry is one line of the audit log.
type Entry struct {
	ID       string    `db:"id" json:"id"`
	TenantID string    `db:"tenant_id" json:"-"`
	At       time.Time `db:"at" json:"at"`
	// ActorID and ActorName are the agent who acted (id and email); both
	// empty for an unknown caller.
	ActorID   string `db:"actor_id" json:"actor_id"`
	ActorName string `db:"actor_name" json:"actor_name"`
	// Address is the client's IP address.
	Address string `db:"address" json:"address"`
	Action  Action `db:"action" json:"action"`
	// TargetType and TargetID name what was acted on ("channel", "ch_…").
	TargetType string `db:"target_type" json:"target_type"`
	TargetID   string `db:"target_id" json:"target_id"`
	// Detail says more, never a secret (the fields a change set, a reason).
	Detail string `db:"detail" json:"detail"`
}

const cols = `id, tenant_id, at, actor_id, actor_name, address, action, target_type, target_id, detail`

// Store reads and writes the audit log.
type Store struct{ k *store.Store }

// New returns the audit log store.
func New(k *store.Store) *Store { return &Store{k: k} }

func stamp(e *Entry, now time.Time) {
	e.ID = hub.NewID("au")
	// Microseconds: what PostgreSQL keeps, so paging cursors compare equal.
	e.At = now.UTC().Truncate(time.Microsecond)
	e.Detail = hub.Clean(e.Detail)
}

// Record writes an entry on its own (an export, a sign-in: no transaction
// of theirs to join).
func (s *Store) Record(ctx context.Context, e Entry) error {
	stamp(&e, s.k.Now())
	q := `INSERT INTO audit_log (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := s.k.Exec(ctx, q, e.ID, e.TenantID, e.At, e.ActorID, e.ActorName, e.Address, e.Action,
		e.TargetType, e.TargetID, e.Detail); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// Pending is a request's entry until a transaction of the request writes
// it (Hook) or the request ends (Finish).
type Pending struct {
	mu      sync.Mutex
	entry   Entry
	written string // the id once a committed transaction holds it
}

type pendingKey struct{}

// Begin attaches a pending entry to a request's context.
func Begin(ctx context.Context, e Entry) (context.Context, *Pending) {
	p := &Pending{entry: e}
	return context.WithValue(ctx, pendingKey{}, p), p
}

// Describe sets the detail of the request's pending entry, for a change
// whose request body alone says little (a whole SLA policy set). Call it
// before the change's transaction, which writes the entry; without a
// pending entry it does nothing.
func Describe(ctx context.Context, detail string) {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil {
		return
	}
	if len(detail) > maxDetail {
		detail = strings.ToValidUTF8(detail[:maxDetail], "") + "…"
	}
	p.mu.Lock()
	p.entry.Detail = detail
	p.mu.Unlock()
}

// Hook is the store kernel's transaction hook (store.Options.TxHooks): it
// writes the context's pending entry in the transaction, once per request.
func Hook(ctx context.Context, tx *store.Tx) error {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	e, written := p.entry, p.written
	p.mu.Unlock()
	if written != "" {
		return nil
	}
	stamp(&e, tx.Now())
	q := `INSERT INTO audit_log (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := tx.ExecContext(ctx, tx.Rebind(q), e.ID, e.TenantID, e.At, e.ActorID, e.ActorName, e.Address, e.Action,
		e.TargetType, e.TargetID, e.Detail)
	if err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	// Only a commit spends the entry: after a rollback (or a retry) the
	// next transaction of the request writes it.
	tx.OnCommit(func() {
		p.mu.Lock()
		p.written = e.ID
		p.mu.Unlock()
	})
	return nil
}

// Finish completes a request that succeeded: it records the entry if no
// transaction did, and fills in the target a create learnt only at the end.
func (s *Store) Finish(ctx context.Context, p *Pending, targetID string) error {
	p.mu.Lock()
	id, e := p.written, p.entry
	p.mu.Unlock()
	if e.TargetID == "" {
		e.TargetID = targetID
	}
	if id == "" {
		return s.Record(ctx, e)
	}
	if e.TargetID == p.entry.TargetID {
		return nil
	}
	q := `UPDATE audit_log SET target_id = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, q, e.TargetID, e.TenantID, id); err != nil {
		return fmt.Errorf("complete audit entry: %w", err)
	}
	return nil
}

// pruneBatch bounds the entries one prune deletes (a long-kept log is cut
// down in short transactions).
const pruneBatch = 5000

// Prune deletes the entries of every tenant older than before, in batches;
// it returns how many it deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		const q = `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? LIMIT ?)`
		n, err := s.k.Exec(ctx, q, before.UTC(), pruneBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune audit log: %w", err)
		}
		if n < pruneBatch {
			return total, nil
		}
	}
}

// Keep prunes entries older than retention at start and then every hour
// until ctx ends; retention 0 keeps everything.
func (s *Store) Keep(ctx context.Context, retention time.Duration, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := s.Prune(ctx, s.k.Now().Add(-retention)); err != nil {
			log.Warn("audit log not pruned", "err", err)
		} else if n > 0 {
			log.Info("audit log pruned", "entries", n, "older_than", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
