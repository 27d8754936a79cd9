package contacts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/store"
)

// Query is a search of the customer list (客户列表). Text matches, as a
// case-insensitive substring, the name, phone, email, company, platform id,
// QQ/WeChat handles, tags and custom field values.
type Query struct {
	Text string
	// Channel keeps the contacts of one channel ("manual": entered by hand).
	Channel string
	// Owner keeps one agent's contacts; "none" those without an owner.
	Owner string
	Tag   string
	// ContactedFrom/ContactedTo keep contacts with a conversation whose last
	// message falls in [from, to).
	ContactedFrom, ContactedTo *time.Time
	// CreatedFrom/CreatedTo keep contacts created in [from, to) (read
	// through the (tenant, created) index).
	CreatedFrom, CreatedTo *time.Time
	// Field and FieldValue keep the contacts whose custom field (a key)
	// holds the value (for a multi select: among its values).
	Field, FieldValue string
	// DueBy keeps the contacts whose next follow-up falls before it (跟进到期).
	DueBy *time.Time
	// Sort is "created" (newest first, the default), "created_asc",
	// "updated" (last changed first) or "name".
	Sort          string
	Limit, Offset int
}

// Page is one page of the customer list. More says a next page exists
// (counting every match of a substring search at a million contacts would
// cost more than the page itself).
type Page struct {
	Contacts []Card `json:"contacts"`
	More     bool   `json:"more"`
}

var sorts = map[string]string{"": "created_at DESC, id DESC", "created": "created_at DESC, id DESC",
	"created_asc": "created_at, id", "updated": "updated_at DESC, id DESC", "name": "name, id"}

// Search lists the contacts an agent may see that match q.
func (s *Store) Search(ctx context.Context, a *hub.Agent, q Query) (*Page, error) {
	order, ok := sorts[q.Sort]
	if !ok {
		return nil, hub.Invalid("sort must be created, created_asc, updated or name")
	}
	t := strings.ToLower(strings.TrimSpace(hub.Clean(q.Text)))
	// where is every condition but visibility and the text
	where, args := `merged_into IS NULL`, []any{}
	add := func(cond string, v ...any) { where, args = where+" AND "+cond, append(args, v...) }
	indexedOrder := q.Sort != "updated" && q.Sort != "name"
	if q.Field != "" {
		cond, v, err := s.fieldCond(ctx, a.TenantID, q.Field, strings.TrimSpace(q.FieldValue), indexedOrder)
		if err != nil {
			return nil, err
		}
		add(cond, v...)
	}
	if q.DueBy != nil {
		add(`next_followup_at <= ?`, *q.DueBy)
	}
	switch q.Channel {
	case "":
	case channels.TypeManual:
		add(`channel_id = ?`, channels.ManualID(a.TenantID))
	default:
		add(`channel_id = ?`, q.Channel)
	}
	switch q.Owner {
	case "":
	case "none":
		add(`owner_id IS NULL`)
	default:
		add(`owner_id = ?`, q.Owner)
	}
	if t := strings.TrimSpace(q.Tag); t != "" {
		add(`tags LIKE ? ESCAPE '\'`, `%"`+likeEscape(strings.ReplaceAll(t, `"`, `\"`))+`"%`)
	}
	if q.ContactedFrom != nil || q.ContactedTo != nil {
		from, to := time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		if q.ContactedFrom != nil {
			from = *q.ContactedFrom
		}
		if q.ContactedTo != nil {
			to = *q.ContactedTo
		}
		add(`EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = contacts.id
			AND v.last_message_at >= ? AND v.last_message_at < ?)`, from, to)
	}
	if q.CreatedFrom != nil {
		add(`created_at >= ?`, *q.CreatedFrom)
	}
	if q.CreatedTo != nil {
		add(`created_at < ?`, *q.CreatedTo)
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	out, err := s.list(ctx, a, t, where, args, order, indexedOrder, limit, max(q.Offset, 0))
	if err != nil {
		return nil, err
	}
	p := &Page{Contacts: out, More: len(out) > limit}
	if p.More {
		p.Contacts = out[:limit]
	}
	for i := range p.Contacts {
		p.Contacts[i].decode()
	}
	return p, nil
}

// scope is the visibility rule of the customer list under a tenant's
// rules, as a condition on contacts: admins see every contact of the
// tenant; an agent the contacts they own and those of conversations
// assigned to them (and, as the rules say, those without an owner and
// those owned by their groups' members); a supervisor, in addition to
// their own, the contacts owned by the members of their groups and those of
// conversations routed to their groups or assigned to their members (or,
// as the rules say, all).
func scope(a *hub.Agent, r Rules) (string, []any) {
	const groups = `SELECT group_id FROM group_members WHERE agent_id = ?`
	const members = `SELECT agent_id FROM group_members WHERE group_id IN (` + groups + `)`
	switch {
	case a.Role == hub.RoleAdmin, a.Role == hub.RoleSupervisor && r.SupervisorsAll:
		return `tenant_id = ?`, []any{a.TenantID}
	case a.Role == hub.RoleSupervisor:
		return `tenant_id = ? AND (owner_id = ? OR owner_id IN (` + members + `)
			OR id IN (SELECT contact_id FROM conversations WHERE tenant_id = ? AND (assignee_id = ?
			OR assignee_id IN (` + members + `) OR group_id IN (` + groups + `))))`,
			[]any{a.TenantID, a.ID, a.ID, a.TenantID, a.ID, a.ID, a.ID}
	default:
		const mine = `SELECT contact_id FROM conversations WHERE tenant_id = ? AND assignee_id = ?`
		// the survivors of merges, seen through a merged contact's
		// conversation (the merged contacts come from contacts_merged_from)
		cond, args := `owner_id = ? OR id IN (`+mine+`) OR id IN (SELECT merged_into FROM contacts m
			WHERE m.tenant_id = ? AND m.merged_into IS NOT NULL AND m.id IN (`+mine+`))`,
			[]any{a.ID, a.TenantID, a.ID, a.TenantID, a.TenantID, a.ID}
		if r.AgentsUnowned {
			cond += ` OR owner_id IS NULL`
		}
		if r.AgentsGroup {
			cond, args = cond+` OR owner_id IN (`+members+`)`, append(args, a.ID)
		}
		return `tenant_id = ? AND (` + cond + `)`, append([]any{a.TenantID}, args...)
	}
}

// Visible reports whether a contact is in an agent's customer list.
func (s *Store) Visible(ctx context.Context, a *hub.Agent, id string) (bool, error) {
	where, args, _, err := s.visibility(ctx, a)
	if err != nil {
		return false, err
	}
	var n int
	if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM contacts WHERE id = ? AND `+where, append([]any{id}, args...)...); err != nil {
		return false, fmt.Errorf("contact visibility: %w", err)
	}
	return n > 0, nil
}

// likeEscape escapes the LIKE wildcards of a search text (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Create stores a contact an agent entered by hand (on the tenant's manual
// channel, its own id as the external id), owned by ownerID unless the
// patch names another owner. A name, phone or email is required.
func (s *Store) Create(ctx context.Context, tenantID, ownerID string, p Patch) (*Card, error) {
	c := &Card{Custom: map[string]string{}, Tags: []string{}}
	if p.OwnerID == nil && ownerID != "" {
		p.OwnerID = &ownerID
	}
	if err := p.apply(c); err != nil {
		return nil, err
	}
	if c.Name == "" && c.Phone == "" && c.Email == "" {
		return nil, hub.Coded("contact_identity_required", hub.Invalid("请填写姓名、电话或邮箱 (name, phone or email is required)"))
	}
	var out *Card
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		ch, err := channels.EnsureManual(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out, err = insertManual(ctx, tx, tenantID, ch, p)
		return err
	})
	return out, err
}
