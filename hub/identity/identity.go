// Package identity owns who works in the hub: tenants and their settings,
// agents (with their status and seats), login sessions, API tokens, TOTP
// two-factor, and groups with their routing settings.
package identity

import (
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Identity is the package's stores, built together because they share the
// kernel and a few rules (a tenant's admin is an agent; TOTP may be required
// by the tenant).
type Identity struct {
	Tenants *Tenants
	Agents  *Agents
	Auth    *Auth
	Groups  *Groups
}

// Options are what the identity stores are built with; zero values take
// the defaults.
type Options struct {
	// SessionIdle ends a login session not used for this long (0: only
	// the absolute TTL ends it).
	SessionIdle time.Duration
	// Policies are the sign-in guard's limits per scope (nil:
	// DefaultPolicies).
	Policies map[Scope]Policy
}

// New returns the identity stores on the kernel.
func New(k *store.Store, log *slog.Logger, o Options) *Identity {
	if o.Policies == nil {
		o.Policies = DefaultPolicies
	}
	t := &Tenants{k: k}
	g := &Groups{k: k}
	gd := &guard{k: k, policies: o.Policies}
	return &Identity{Tenants: t, Agents: &Agents{k: k, groups: g, guard: gd},
		Auth: &Auth{k: k, tenants: t, log: log, guard: gd, idle: o.SessionIdle}, Groups: g}
}

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
