// Package contacts owns the customers as each channel knows them: one
// contact per channel identity (channel, external id), the card agents keep
// on it, the handles it has on other platforms, what it did besides writing
// (followed, clicked a menu …) and the blacklist.
package contacts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps the contacts.
type Store struct{ k *store.Store }

const qFind = `SELECT ` + cols + ` FROM contacts WHERE channel_id = ? AND external_id = ?`

// New returns the contact store.
func New(k *store.Store) *Store {
	return &Store{k: k}
}

const cols = `id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at, unsubscribed_at, source`

// Upsert finds the contact a channel identity names, creating it, and
// takes the name, email and phone the channel gave when they changed. It
// tries the insert first: a new customer costs one statement (the inbox
// calls it only for those its batch lookup did not find).
func (s *Store) Upsert(ctx context.Context, tx *store.Tx, ch *hub.Channel, info hub.ContactInfo) (*hub.Contact, error) {
	now := tx.Now()
	c := hub.Contact{ID: hub.NewID("ct"), TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: info.ExternalID,
		Name: info.Name, Email: info.Email, Phone: info.Phone, CreatedAt: now, UpdatedAt: now}
	const ins = `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING ` + cols
	var cs []hub.Contact
	if err := tx.Select(ctx, &cs, ins, c.ID, c.TenantID, c.ChannelID, c.ExternalID, c.Name, c.Email, c.Phone, now, now); err != nil {
		return nil, fmt.Errorf("insert contact: %w", err)
	}
	if len(cs) == 1 {
		return &cs[0], nil
	}
	if err := tx.Select(ctx, &cs, qFind, ch.ID, info.ExternalID); err != nil || len(cs) == 0 {
		return nil, fmt.Errorf("find contact: %w", errors.Join(err, store.ErrUnavailable))
	}
	return &cs[0], Refresh(ctx, tx, &cs[0], info)
}

// Refresh takes the name, email and phone a channel gave for a known
// contact when they changed (an empty value never erases).
func Refresh(ctx context.Context, tx *store.Tx, c *hub.Contact, info hub.ContactInfo) error {
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{{&c.Name, info.Name}, {&c.Email, info.Email}, {&c.Phone, info.Phone}} {
		if f.v != "" && *f.dst != f.v {
			*f.dst, changed = f.v, true
		}
	}
	if !changed {
		return nil
	}
	now := tx.Now()
	const up = `UPDATE contacts SET name = ?, email = ?, phone = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, up, c.Name, c.Email, c.Phone, now, c.ID); err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	c.UpdatedAt = now
	return nil
}

// Known is what an ingest batch already knows of a channel's customers:
// their contacts (by the channel's id for them) and which are blacklisted,
// read with one query.
type Known struct {
	Contacts map[string]*hub.Contact
	Blocked  map[string]bool
}

// Lookup reads the contacts of a channel's customers (by external id) and
// whether each is blacklisted, in the ingest transaction.
func Lookup(ctx context.Context, tx *store.Tx, channelID string, externalIDs []string) (Known, error) {
	k := Known{Contacts: map[string]*hub.Contact{}, Blocked: map[string]bool{}}
	if len(externalIDs) == 0 {
		return k, nil
	}
	var rows []struct {
		hub.Contact
		IsBlocked bool `db:"blocked"`
	}
	q := `SELECT ` + cols + `, EXISTS (SELECT 1 FROM blacklist b WHERE b.contact_id = contacts.id) AS blocked
		FROM contacts WHERE channel_id = ? AND external_id IN (?)`
	if err := tx.SelectIn(ctx, &rows, q, channelID, externalIDs); err != nil {
		return k, fmt.Errorf("look up contacts: %w", err)
	}
	for i := range rows {
		c := rows[i].Contact
		k.Contacts[c.ExternalID] = &c
		k.Blocked[c.ExternalID] = rows[i].IsBlocked
	}
	return k, nil
}

// Get reads a contact, in a transaction (which may have created it) or on
// the reader pool.
func Get(ctx context.Context, q store.Querier, id string) (*hub.Contact, error) {
	var c hub.Contact
	if err := q.Get(ctx, &c, `SELECT `+cols+` FROM contacts WHERE id = ?`, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("contact %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get contact: %w", err)
	}
	return &c, nil
}

// Find returns the contact of a channel identity (nil: none yet).
func (s *Store) Find(ctx context.Context, channelID, externalID string) (*hub.Contact, error) {
	var cs []hub.Contact
	if err := s.k.Select(ctx, &cs, qFind, channelID, hub.Clean(externalID)); err != nil {
		return nil, fmt.Errorf("find contact: %w", err)
	}
	if len(cs) == 0 {
		return nil, nil //nolint:nilnil // the customer never wrote
	}
	return &cs[0], nil
}

// FindAll maps the channel identities (external ids) that have a contact on
// the channel to it.
func (s *Store) FindAll(ctx context.Context, channelID string, externalIDs []string) (map[string]*hub.Contact, error) {
	out := map[string]*hub.Contact{}
	if len(externalIDs) == 0 {
		return out, nil
	}
	var cs []hub.Contact
	q := `SELECT ` + cols + ` FROM contacts WHERE channel_id = ? AND external_id IN (?)`
	if err := s.k.SelectIn(ctx, &cs, q, channelID, externalIDs); err != nil {
		return nil, fmt.Errorf("find contacts: %w", err)
	}
	for i := range cs {
		out[cs[i].ExternalID] = &cs[i]
	}
	return out, nil
}

// ByIDs maps contact ids to their contacts.
func (s *Store) ByIDs(ctx context.Context, ids []string) (map[string]*hub.Contact, error) {
	return ByIDsIn(ctx, s.k, ids)
}

// ByIDsIn maps contact ids to their contacts, in a transaction (which may
// have created them) or on the reader pool.
func ByIDsIn(ctx context.Context, q store.Querier, ids []string) (map[string]*hub.Contact, error) {
	out := map[string]*hub.Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []hub.Contact
	if err := q.SelectIn(ctx, &cs, `SELECT `+cols+` FROM contacts WHERE id IN (?)`, ids); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	for i := range cs {
		out[cs[i].ID] = &cs[i]
	}
	return out, nil
}

// Matching is a subquery selecting the ids of a tenant's contacts whose
// name, email or phone contains a pattern (a LIKE pattern with ESCAPE '\'),
// with its arguments; a conversation search filters on it.
func Matching(tenantID, pattern string) (string, []any) {
	return `SELECT id FROM contacts WHERE tenant_id = ? AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\'
		OR LOWER(phone) LIKE ? ESCAPE '\')`, []any{tenantID, pattern, pattern, pattern}
}

// CreateMany creates the contacts of new customers of one channel with one
// multi-row insert (the inbox calls it with those its batch lookup did not
// find). A customer another process created meanwhile is read back and
// refreshed as Upsert does. It returns every contact by external id.
func CreateMany(ctx context.Context, tx *store.Tx, ch *hub.Channel, infos []hub.ContactInfo) (map[string]*hub.Contact, error) {
	out := make(map[string]*hub.Contact, len(infos))
	if len(infos) == 0 {
		return out, nil
	}
	now := tx.Now()
	rows := make([]string, len(infos))
	args := make([]any, 0, 9*len(infos))
	for i, info := range infos {
		rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
		args = append(args, hub.NewID("ct"), ch.TenantID, ch.ID, info.ExternalID, info.Name, info.Email, info.Phone, now, now)
	}
	q := `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at)
		VALUES ` + strings.Join(rows, ", ") + ` ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING ` + cols
	var cs []hub.Contact
	if err := tx.Select(ctx, &cs, q, args...); err != nil {
		return nil, fmt.Errorf("insert contacts: %w", err)
	}
	for i := range cs {
		out[cs[i].ExternalID] = &cs[i]
	}
	var missing []string
	for _, info := range infos {
		if out[info.ExternalID] == nil {
			missing = append(missing, info.ExternalID)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	k, err := Lookup(ctx, tx, ch.ID, missing)
	if err != nil {
		return nil, err
	}
	for _, info := range infos {
		if out[info.ExternalID] != nil {
			continue
		}
		c := k.Contacts[info.ExternalID]
		if c == nil {
			return nil, fmt.Errorf("find contact: %w", store.ErrUnavailable)
		}
		if err := Refresh(ctx, tx, c, info); err != nil {
			return nil, err
		}
		out[info.ExternalID] = c
	}
	return out, nil
}
