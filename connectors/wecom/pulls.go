package wecom

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// pulls keeps where each channel's sync_msg stands, shared by the hub's
// processes: the cursor, how many callbacks asked for a pull (wanted) and
// how many a finished pull covered (done), the last sync token, and a
// lease naming the one pull running now.
type pulls interface {
	// Want records a callback: one more pull wanted, and its token.
	Want(ctx context.Context, ch *hub.Channel, token string, until time.Time) error
	// Acquire takes the channel's lease for owner unless another pull
	// holds a live one (ok false).
	Acquire(ctx context.Context, channelID, owner string, now time.Time) (st pullState, ok bool, err error)
	// Advance moves the cursor from → to while owner holds the lease
	// (errLeaseLost otherwise), renewing the lease.
	Advance(ctx context.Context, channelID, owner, from, to string, now time.Time) error
	// Release ends owner's lease after a complete pull that began at
	// wanted; more reports callbacks that came meanwhile.
	Release(ctx context.Context, channelID, owner string, wanted int64) (more bool, err error)
	// Abandon ends owner's lease after a failed pull (done stays).
	Abandon(ctx context.Context, channelID, owner string) error
	// Pending lists channels whose pulls were wanted and not done, with no
	// live lease.
	Pending(ctx context.Context, now time.Time) ([]string, error)
}

// pullState is a channel's row when a pull starts.
type pullState struct {
	Cursor string
	Wanted int64
	Token  string // "" when none is valid
}

// leaseFor is how long a pull's lease lives without progress; a holder
// that died is replaced after it.
const leaseFor = 15 * time.Second

var errLeaseLost = errors.New("another pull took over this channel")

// dbPulls keeps the pulls in the database (table wecom_kf_sync).
type dbPulls struct{ s *store.Store }

func (p *dbPulls) Want(ctx context.Context, ch *hub.Channel, token string, until time.Time) error {
	const q = `INSERT INTO wecom_kf_sync (channel_id, tenant_id, wanted, token, token_until, updated_at)
		VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET wanted = wecom_kf_sync.wanted + 1,
		token = CASE WHEN excluded.token = '' THEN wecom_kf_sync.token ELSE excluded.token END,
		token_until = CASE WHEN excluded.token = '' THEN wecom_kf_sync.token_until ELSE excluded.token_until END,
		updated_at = excluded.updated_at`
	if _, err := p.s.Exec(ctx, q, ch.ID, ch.TenantID, token, until.UTC(), p.s.Now()); err != nil {
		return fmt.Errorf("record wecom_kf callback: %w", err)
	}
	return nil
}

func (p *dbPulls) Acquire(ctx context.Context, channelID, owner string, now time.Time) (pullState, bool, error) {
	// A read first: while a pull holds a live lease (the common case under
	// a burst of callbacks) the single SQLite writer is not asked at all.
	var lease struct {
		Owner string     `db:"lease_owner"`
		Until *time.Time `db:"lease_until"`
	}
	const peek = `SELECT lease_owner, lease_until FROM wecom_kf_sync WHERE channel_id = ?`
	if err := p.s.Get(ctx, &lease, peek, channelID); err != nil {
		return pullState{}, false, fmt.Errorf("read wecom_kf lease: %w", err)
	}
	if lease.Owner != "" && lease.Until != nil && now.Before(*lease.Until) {
		return pullState{}, false, nil
	}
	const q = `UPDATE wecom_kf_sync SET lease_owner = ?, lease_until = ?
		WHERE channel_id = ? AND (lease_owner = '' OR lease_until IS NULL OR lease_until < ?)`
	n, err := p.s.Exec(ctx, q, owner, now.Add(leaseFor).UTC(), channelID, now.UTC())
	if err != nil || n == 0 {
		return pullState{}, false, err
	}
	var row struct {
		Cursor     string     `db:"sync_cursor"`
		Wanted     int64      `db:"wanted"`
		Token      string     `db:"token"`
		TokenUntil *time.Time `db:"token_until"`
	}
	const sel = `SELECT sync_cursor, wanted, token, token_until FROM wecom_kf_sync WHERE channel_id = ?`
	if err := p.s.Get(ctx, &row, sel, channelID); err != nil {
		return pullState{}, false, fmt.Errorf("read wecom_kf cursor: %w", err)
	}
	st := pullState{Cursor: row.Cursor, Wanted: row.Wanted}
	if row.TokenUntil != nil && now.Before(*row.TokenUntil) {
		st.Token = row.Token
	}
	return st, true, nil
}

func (p *dbPulls) Advance(ctx context.Context, channelID, owner, from, to string, now time.Time) error {
	const q = `UPDATE wecom_kf_sync SET sync_cursor = ?, lease_until = ?, updated_at = ?
		WHERE channel_id = ? AND lease_owner = ? AND sync_cursor = ?`
	n, err := p.s.Exec(ctx, q, to, now.Add(leaseFor).UTC(), now.UTC(), channelID, owner, from)
	if err != nil {
		return fmt.Errorf("advance wecom_kf cursor: %w", err)
	}
	if n == 0 {
		return errLeaseLost
	}
	return nil
}

func (p *dbPulls) Release(ctx context.Context, channelID, owner string, wanted int64) (bool, error) {
	const q = `UPDATE wecom_kf_sync SET done = ?, lease_owner = '', lease_until = NULL
		WHERE channel_id = ? AND lease_owner = ?`
	n, err := p.s.Exec(ctx, q, wanted, channelID, owner)
	if err != nil || n == 0 {
		return false, err // lost: the new holder pulls
	}
	var now int64
	if err := p.s.Get(ctx, &now, `SELECT wanted FROM wecom_kf_sync WHERE channel_id = ?`, channelID); err != nil {
		return false, fmt.Errorf("read wecom_kf wanted: %w", err)
	}
	return now > wanted, nil
}

func (p *dbPulls) Abandon(ctx context.Context, channelID, owner string) error {
	const q = `UPDATE wecom_kf_sync SET lease_owner = '', lease_until = NULL WHERE channel_id = ? AND lease_owner = ?`
	_, err := p.s.Exec(ctx, q, channelID, owner)
	return err
}

func (p *dbPulls) Pending(ctx context.Context, now time.Time) ([]string, error) {
	const q = `SELECT channel_id FROM wecom_kf_sync
		WHERE wanted > done AND (lease_owner = '' OR lease_until IS NULL OR lease_until < ?) LIMIT 100`
	var ids []string
	if err := p.s.Select(ctx, &ids, q, now.UTC()); err != nil {
		return nil, fmt.Errorf("pending wecom_kf pulls: %w", err)
	}
	return ids, nil
}

// memPulls keeps the pulls in memory, for a connector without a store
// (the contract suite): the same rules, one process.
type memPulls struct {
	mu   sync.Mutex
	rows map[string]*memPull
}

type memPull struct {
	cursor, token, owner string
	wanted, done         int64
	tokenUntil, lease    time.Time
}

func newMemPulls() *memPulls { return &memPulls{rows: map[string]*memPull{}} }

func (p *memPulls) Want(_ context.Context, ch *hub.Channel, token string, until time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rows[ch.ID]
	if r == nil {
		r = &memPull{}
		p.rows[ch.ID] = r
	}
	r.wanted++
	if token != "" {
		r.token, r.tokenUntil = token, until
	}
	return nil
}

func (p *memPulls) Acquire(_ context.Context, channelID, owner string, now time.Time) (pullState, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rows[channelID]
	if r == nil || (r.owner != "" && now.Before(r.lease)) {
		return pullState{}, false, nil
	}
	r.owner, r.lease = owner, now.Add(leaseFor)
	st := pullState{Cursor: r.cursor, Wanted: r.wanted}
	if now.Before(r.tokenUntil) {
		st.Token = r.token
	}
	return st, true, nil
}

func (p *memPulls) Advance(_ context.Context, channelID, owner, from, to string, now time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rows[channelID]
	if r == nil || r.owner != owner || r.cursor != from {
		return errLeaseLost
	}
	r.cursor, r.lease = to, now.Add(leaseFor)
	return nil
}

func (p *memPulls) Release(_ context.Context, channelID, owner string, wanted int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rows[channelID]
	if r == nil || r.owner != owner {
		return false, nil
	}
	r.done, r.owner = wanted, ""
	return r.wanted > wanted, nil
}

func (p *memPulls) Abandon(_ context.Context, channelID, owner string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.rows[channelID]; r != nil && r.owner == owner {
		r.owner = ""
	}
	return nil
}

func (p *memPulls) Pending(_ context.Context, now time.Time) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for id, r := range p.rows {
		if r.wanted > r.done && (r.owner == "" || !now.Before(r.lease)) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
