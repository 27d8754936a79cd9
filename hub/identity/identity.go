// Package identity owns who works in the hub: tenants and their settings,
// agents (with their status and seats), login sessions, API tokens, TOTP
// two-factor, and groups with their routing settings.
package identity

import (
	"log/slog"

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

// New returns the identity stores on the kernel.
func New(k *store.Store, log *slog.Logger) *Identity {
	t := &Tenants{k: k}
	g := &Groups{k: k}
	return &Identity{Tenants: t, Agents: &Agents{k: k, groups: g}, Auth: &Auth{k: k, tenants: t, log: log},
		Groups: g}
}

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
