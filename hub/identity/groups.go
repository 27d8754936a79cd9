package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Groups are the teams conversations are routed to (售前, 售后, 技术支持 …),
// with their members and routing settings.
type Groups struct{ k *store.Store }

// Group is a team.
type Group struct {
	ID        string    `db:"id" json:"id"`
	TenantID  string    `db:"tenant_id" json:"tenant_id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	AgentIDs  []string  `db:"-" json:"agent_ids"`
	// Settings are the group's routing settings.
	Settings    GroupSettings `db:"-" json:"settings"`
	SettingsRaw string        `db:"settings" json:"-"`
}

// Create adds a group to a tenant, with its members and routing settings
// (nil fields take the defaults).
func (s *Groups) Create(ctx context.Context, tenantID string, p GroupPatch) (*Group, error) {
	var name string
	var agentIDs []string
	set(&name, p.Name)
	set(&agentIDs, p.AgentIDs)
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, hub.BadField("input_required", "name", "name is required")
	}
	g := &Group{ID: hub.NewID("gr"), TenantID: tenantID, Name: name, CreatedAt: s.k.Now(), AgentIDs: []string{},
		Settings: DefaultGroupSettings()}
	if err := p.apply(&g.Settings); err != nil {
		return nil, err
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		if err := resolveOverflow(ctx, tx, g); err != nil {
			return err
		}
		b, _ := json.Marshal(g.Settings)
		const q = `INSERT INTO agent_groups (id, tenant_id, name, created_at, settings) VALUES (?, ?, ?, ?, ?)`
		_, err := tx.Exec(ctx, q, g.ID, tenantID, g.Name, g.CreatedAt, string(b))
		if store.IsUnique(err) {
			return hub.Coded("group_exists", fmt.Errorf("%w: group %q already exists", hub.ErrConflict, name), "name", name)
		}
		if err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		for _, a := range agentIDs {
			if err := addMemberByAgent(ctx, tx, tenantID, g.ID, a); err != nil {
				return err
			}
			g.AgentIDs = append(g.AgentIDs, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// addMember adds agentID to the group named or identified by group, both
// checked to belong to the tenant, and returns the group's id.
func addMember(ctx context.Context, tx *store.Tx, tenantID, group, agentID string) (string, error) {
	var id string
	if err := tx.Get(ctx, &id, `SELECT id FROM agent_groups WHERE tenant_id = ? AND (id = ? OR name = ?)`, tenantID, group, group); err != nil {
		if store.NoRows(err) {
			return "", hub.BadField("input_unknown", "group", fmt.Sprintf("group %q does not exist", group))
		}
		return "", fmt.Errorf("find group: %w", err)
	}
	const ins = `INSERT INTO group_members (group_id, agent_id, tenant_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := tx.Exec(ctx, ins, id, agentID, tenantID); err != nil {
		return "", fmt.Errorf("add member: %w", err)
	}
	return id, nil
}

func addMemberByAgent(ctx context.Context, tx *store.Tx, tenantID, groupID, agentID string) error {
	var n int
	if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND id = ?`, tenantID, agentID); err != nil {
		return fmt.Errorf("find agent: %w", err)
	}
	if n == 0 {
		return hub.BadField("input_unknown", "agent", fmt.Sprintf("agent %q does not exist", agentID))
	}
	_, err := addMember(ctx, tx, tenantID, groupID, agentID)
	return err
}

// setGroups replaces an agent's groups.
func setGroups(ctx context.Context, tx *store.Tx, tenantID, agentID string, groups []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE agent_id = ?`, agentID); err != nil {
		return fmt.Errorf("clear groups: %w", err)
	}
	for _, g := range groups {
		if _, err := addMember(ctx, tx, tenantID, g, agentID); err != nil {
			return err
		}
	}
	return nil
}

// List returns a tenant's groups with their members.
func (s *Groups) List(ctx context.Context, tenantID string) ([]Group, error) {
	groups := []Group{}
	q := `SELECT id, tenant_id, name, created_at, settings FROM agent_groups WHERE tenant_id = ? ORDER BY created_at, id`
	if err := s.k.Select(ctx, &groups, q, tenantID); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	for i := range groups {
		groups[i].Settings = parseGroupSettings(groups[i].SettingsRaw)
		ids := []string{}
		mq := `SELECT agent_id FROM group_members WHERE group_id = ? ORDER BY agent_id`
		if err := s.k.Select(ctx, &ids, mq, groups[i].ID); err != nil {
			return nil, fmt.Errorf("group members: %w", err)
		}
		groups[i].AgentIDs = ids
	}
	return groups, nil
}

// Get returns one group of a tenant.
func (s *Groups) Get(ctx context.Context, tenantID, id string) (*Group, error) {
	gs, err := s.List(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i].ID == id {
			return &gs[i], nil
		}
	}
	return nil, fmt.Errorf("group %s: %w", id, hub.ErrNotFound)
}

// Exists reports (nil) that a tenant has a group by that id: ErrNotFound
// for another tenant's.
func (s *Groups) Exists(ctx context.Context, tenantID, id string) error {
	_, err := s.Get(ctx, tenantID, id)
	return err
}

// Of lists the ids of an agent's groups.
func (s *Groups) Of(ctx context.Context, agentID string) ([]string, error) {
	return groupsOf(ctx, s.k, agentID)
}

func groupsOf(ctx context.Context, q store.Querier, agentID string) ([]string, error) {
	groups := []string{}
	if err := q.Select(ctx, &groups, `SELECT group_id FROM group_members WHERE agent_id = ? ORDER BY group_id`, agentID); err != nil {
		return nil, fmt.Errorf("agent groups: %w", err)
	}
	return groups, nil
}

// Resolve finds a group of the tenant by id or name (nil when there is
// none, or group is "").
func Resolve(ctx context.Context, q store.Querier, tenantID, group string) (*string, error) {
	if group == "" {
		return nil, nil //nolint:nilnil // no group asked for
	}
	var ids []string
	if err := q.Select(ctx, &ids, `SELECT id FROM agent_groups WHERE tenant_id = ? AND (id = ? OR name = ?)`,
		tenantID, group, group); err != nil {
		return nil, fmt.Errorf("resolve group: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil //nolint:nilnil // no such group: callers decide whether that is an error
	}
	return &ids[0], nil
}

// Update renames a group, replaces its members and changes its routing
// settings. The caller drains queues afterwards (a change may free seats).
func (s *Groups) Update(ctx context.Context, tenantID, id string, p GroupPatch) (*Group, error) {
	g, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		if g.Name = strings.TrimSpace(*p.Name); g.Name == "" {
			return nil, hub.BadField("input_required", "name", "name is required")
		}
	}
	if err := p.apply(&g.Settings); err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if err := resolveOverflow(ctx, tx, g); err != nil {
			return err
		}
		b, _ := json.Marshal(g.Settings)
		if _, err := tx.Exec(ctx, `UPDATE agent_groups SET name = ?, settings = ? WHERE tenant_id = ? AND id = ?`,
			g.Name, string(b), tenantID, id); store.IsUnique(err) {
			return hub.Coded("group_exists", fmt.Errorf("%w: group %q already exists", hub.ErrConflict, g.Name), "name", g.Name)
		} else if err != nil {
			return fmt.Errorf("update group: %w", err)
		}
		if p.AgentIDs == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = ?`, id); err != nil {
			return fmt.Errorf("clear members: %w", err)
		}
		for _, a := range *p.AgentIDs {
			if err := addMemberByAgent(ctx, tx, tenantID, id, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, tenantID, id)
}

// resolveOverflow turns the overflow group's name into its id, checking it
// is another group of the tenant.
func resolveOverflow(ctx context.Context, tx *store.Tx, g *Group) error {
	og := g.Settings.OverflowGroupID
	if og == "" {
		return nil
	}
	gid, err := Resolve(ctx, tx, g.TenantID, og)
	if err != nil {
		return err
	}
	if gid == nil || *gid == g.ID {
		return hub.BadField("input_unknown", "overflow_group_id", fmt.Sprintf("overflow group %q does not exist (or is the group itself)", og))
	}
	g.Settings.OverflowGroupID = *gid
	return nil
}

// Settings loads every group of a tenant with its settings, by id.
func (s *Groups) Settings(ctx context.Context, tenantID string) (map[string]Group, error) {
	var rows []Group
	q := `SELECT id, tenant_id, name, created_at, settings FROM agent_groups WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return nil, fmt.Errorf("group settings: %w", err)
	}
	out := make(map[string]Group, len(rows))
	for _, g := range rows {
		g.Settings = parseGroupSettings(g.SettingsRaw)
		out[g.ID] = g
	}
	return out, nil
}

// Available reports whether someone can answer a channel's customers now:
// an agent who is online (not busy) of the channel's default group while
// that group is within its business hours (else of the group it overflows
// to), or of the tenant when the channel has no default group.
func (s *Groups) Available(ctx context.Context, ch *hub.Channel, tz string) (bool, error) {
	if ch.DefaultGroupID == nil {
		return s.anyoneOnline(ctx, ch.TenantID, "")
	}
	groups, err := s.Settings(ctx, ch.TenantID)
	if err != nil {
		return false, err
	}
	seen := map[string]bool{}
	for id := *ch.DefaultGroupID; id != "" && !seen[id]; id = groups[id].Settings.OverflowGroupID {
		seen[id] = true
		g, ok := groups[id]
		if !ok || !g.Settings.Hours.Open(s.k.Now(), tz) {
			continue
		}
		if on, err := s.anyoneOnline(ctx, ch.TenantID, id); err != nil || on {
			return on, err
		}
	}
	return false, nil
}

// anyoneOnline reports whether an agent of the group (or of the tenant
// when group is "") is online and enabled.
func (s *Groups) anyoneOnline(ctx context.Context, tenantID, group string) (bool, error) {
	q := `SELECT COUNT(*) FROM agents a WHERE a.tenant_id = ? AND a.status = 'online' AND NOT a.disabled`
	args := []any{tenantID}
	if group != "" {
		q += ` AND EXISTS (SELECT 1 FROM group_members m WHERE m.agent_id = a.id AND m.group_id = ?)`
		args = append(args, group)
	}
	var n int
	if err := s.k.Get(ctx, &n, q, args...); err != nil {
		return false, fmt.Errorf("channel availability: %w: %w", store.ErrUnavailable, err)
	}
	return n > 0, nil
}

// LockRotation locks a group's round-robin rotation until the transaction
// ends: taken before the turns are read, no other process can take a turn
// in between (TakeTurn then finds the turn it read).
func LockRotation(ctx context.Context, tx *store.Tx, groupID string) error {
	var n []int64
	if err := tx.Select(ctx, &n, `SELECT rr_counter FROM agent_groups WHERE id = ?`+tx.Store().ForUpdate(), groupID); err != nil {
		return fmt.Errorf("lock rotation: %w", err)
	}
	return nil
}

// TakeTurn advances a group's round-robin rotation to the agent and
// returns the agent's new turn, unless another process already gave this
// agent a turn since it was read (ErrStaleTurn: rank again).
func TakeTurn(ctx context.Context, tx *store.Tx, groupID string, cand routing.Candidate) (int64, error) {
	var n int64
	if err := tx.Get(ctx, &n, `UPDATE agent_groups SET rr_counter = rr_counter + 1 WHERE id = ? RETURNING rr_counter`, groupID); err != nil {
		return 0, fmt.Errorf("advance rotation: %w", err)
	}
	const turn = `UPDATE group_members SET rr_turn = ? WHERE group_id = ? AND agent_id = ? AND rr_turn = ?`
	k, err := tx.Exec(ctx, turn, n, groupID, cand.ID, cand.Turn)
	if err != nil {
		return 0, fmt.Errorf("take turn: %w", err)
	}
	if k == 0 {
		return 0, ErrStaleTurn
	}
	return n, nil
}

// ErrStaleTurn: another process took this round-robin turn meanwhile.
var ErrStaleTurn = errors.New("round-robin turn taken meanwhile")
