// Package routing is the pure core of conversation assignment: given the
// targets a conversation may go to (each with its agents, policy and
// opening hours) and the customer's history, it says who should get the
// conversation and why, or why it waits. It does no I/O; the store loads the
// inputs and claims the choice atomically (conditional capacity and turn
// updates), moving to the next candidate when another process got there
// first.
package routing

import (
	"slices"
	"time"
)

// Policy names how a group hands out conversations.
type Policy string

// Policies an admin chooses per group.
const (
	// Load (客服型) picks the eligible agent with the fewest current chats,
	// so everyone is about equally busy at any moment.
	Load Policy = "load"
	// DailyBalance (销售型) picks the eligible agent who accepted the fewest
	// chats today (in the tenant's time zone), so daily totals even out.
	DailyBalance Policy = "daily_balance"
	// RoundRobin (轮流) hands conversations out in strict rotation: the
	// eligible agent whose last turn in the group is oldest goes next. The
	// turns live in the database, so the rotation is shared by every process
	// and survives restarts.
	RoundRobin Policy = "round_robin"
)

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool { return p == Load || p == DailyBalance || p == RoundRobin }

// Candidate is an agent as routing sees it.
type Candidate struct {
	ID             string
	Name           string
	Status         string // online, busy, offline
	Disabled       bool
	Current, Max   int
	LastAssignedAt time.Time // zero when never assigned: longest idle
	// Today is how many conversations the agent accepted today (daily balance).
	Today int
	// Turn is the group's rotation counter at the agent's last round-robin
	// turn; 0 when the agent never had one (new members go first).
	Turn int64
}

// Eligible reports whether an agent can take a new conversation now:
// online (not busy), enabled and under their maximum.
func (c Candidate) Eligible() bool {
	return c.Status == "online" && !c.Disabled && c.Current < c.Max
}

// present reports whether the agent is signed in (online or busy).
func (c Candidate) present() bool { return c.Status != "offline" && !c.Disabled }

// Present reports whether the agent is signed in at all (online or busy):
// when nobody of a target is present the conversation becomes a ticket.
func Present(cs []Candidate) bool {
	for _, c := range cs {
		if c.present() {
			return true
		}
	}
	return false
}

// AllFull reports whether every signed-in agent is at their maximum (true
// when nobody is signed in): then waiting is pointless and the conversation
// overflows at once.
func AllFull(cs []Candidate) bool {
	for _, c := range cs {
		if c.present() && c.Current < c.Max {
			return false
		}
	}
	return true
}

// Rank returns the eligible candidates in the order the policy prefers.
// Ties go to the agent idle longest, then to the smaller id, so the result
// is deterministic.
func Rank(p Policy, cs []Candidate) []Candidate {
	ptrs := make([]*Candidate, 0, len(cs))
	for i := range cs {
		if cs[i].Eligible() {
			ptrs = append(ptrs, &cs[i])
		}
	}
	// Sort pointers: candidates are large, and the order is total (ids are
	// unique), so a plain sort is deterministic.
	slices.SortFunc(ptrs, func(a, b *Candidate) int {
		switch {
		case less(p, a, b):
			return -1
		case less(p, b, a):
			return 1
		}
		return 0
	})
	out := make([]Candidate, len(ptrs))
	for i, c := range ptrs {
		out[i] = *c
	}
	return out
}

func less(p Policy, a, b *Candidate) bool {
	switch p {
	case DailyBalance:
		if a.Today != b.Today {
			return a.Today < b.Today
		}
		if a.Current != b.Current {
			return a.Current < b.Current
		}
	case RoundRobin:
		if a.Turn != b.Turn {
			return a.Turn < b.Turn
		}
	default:
		if a.Current != b.Current {
			return a.Current < b.Current
		}
	}
	if !a.LastAssignedAt.Equal(b.LastAssignedAt) {
		return a.LastAssignedAt.Before(b.LastAssignedAt)
	}
	return a.ID < b.ID
}
