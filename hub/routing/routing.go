// Package routing is the pure core of conversation assignment: given the
// candidate agents of a target and a policy, it says who should get the
// conversation, best first. It does no I/O; the store claims the choice
// atomically (a conditional capacity update) and moves to the next one when
// another process got there first.
package routing

import (
	"sort"
	"time"
)

// Policy names how a group hands out conversations.
type Policy string

// Policies. Load is the first cut; the others slot in here.
const (
	// Load (客服型) picks the eligible agent with the fewest current chats.
	Load Policy = "load"
)

// Candidate is an agent as routing sees it.
type Candidate struct {
	ID             string
	Status         string // online, busy, offline
	Disabled       bool
	Current, Max   int
	LastAssignedAt time.Time // zero when never assigned: longest idle
}

// Eligible reports whether an agent can take a new conversation now:
// online (not busy), enabled and under their maximum.
func (c Candidate) Eligible() bool {
	return c.Status == "online" && !c.Disabled && c.Current < c.Max
}

// Present reports whether the agent is signed in at all (online or busy):
// when nobody of a target is present the conversation becomes a ticket.
func Present(cs []Candidate) bool {
	for _, c := range cs {
		if c.Status != "offline" && !c.Disabled {
			return true
		}
	}
	return false
}

// Rank returns the eligible candidates in the order the policy prefers.
// Ties go to the agent idle longest, then to the smaller id, so the result
// is deterministic.
func Rank(p Policy, cs []Candidate) []Candidate {
	out := make([]Candidate, 0, len(cs))
	for _, c := range cs {
		if c.Eligible() {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Current != b.Current {
			return a.Current < b.Current
		}
		if !a.LastAssignedAt.Equal(b.LastAssignedAt) {
			return a.LastAssignedAt.Before(b.LastAssignedAt)
		}
		return a.ID < b.ID
	})
	return out
}
