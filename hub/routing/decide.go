package routing

import (
	"fmt"
	"strings"
	"time"
)

// TargetState is one plan step as loaded by the store: its agents and settings.
type TargetState struct {
	Step   Step
	Name   string // group or agent name, for explanations
	Policy Policy
	Open   bool   // inside business hours
	Hours  string // the hours in words, for explanations
	Cands  []Candidate
	// Returning is the agent who served this customer last within the
	// look-back, when returning-customer-first is on for this target.
	Returning string
}

// Outcomes of a decision.
const (
	OutcomeAssign  = "assign"
	OutcomeQueue   = "queue"
	OutcomeOffline = "offline"
)

// Decision says what to do with a waiting conversation.
type Decision struct {
	Outcome string
	// Step is the plan index: where to assign from, or where to wait.
	Step int
	// Home is the first open step with somebody signed in: where the
	// conversation waits when an assignment cannot be made after all.
	Home int
	// Ranked are the agents to try, best first (assign).
	Ranked []Candidate
	// Returning is set when the first ranked agent is the returning
	// customer's previous agent.
	Returning bool
	// Tried lists the queue keys that had nobody free, so a drain does not
	// offer their seats to conversations behind this one.
	Tried []string
	// Reason is the decision in words; Notes say why earlier steps were passed.
	Reason string
	Notes  []string
}

// Decide routes a conversation waiting at plan step stage. From that step
// on, the first target with an eligible agent gets it. A target that is
// closed, has nobody signed in, or whose signed-in agents are all full is
// passed at once; a target whose agents are signed in but busy is waited
// for (the store moves on after the step's overflow seconds). When nobody is
// free anywhere the conversation waits at the first open target with
// somebody signed in; when there is none it goes offline (a ticket).
func Decide(stage int, ts []TargetState) Decision {
	d := Decision{Step: -1, Home: -1}
	for i := stage; i < len(ts); i++ {
		t := ts[i]
		d.Tried = append(d.Tried, t.Step.Key())
		switch {
		case !t.Open:
			d.Notes = append(d.Notes, fmt.Sprintf("%s is outside business hours (%s)", t.label(), t.Hours))
			continue
		case !Present(t.Cands):
			d.Notes = append(d.Notes, fmt.Sprintf("nobody of %s is signed in", t.label()))
			continue
		}
		if d.Home < 0 {
			d.Home = i
		}
		if ranked := Rank(t.Policy, t.Cands); len(ranked) > 0 {
			return t.assign(d, i, ranked)
		}
		if !AllFull(t.Cands) {
			d.Outcome, d.Step, d.Home = OutcomeQueue, i, i
			d.Reason = fmt.Sprintf("waiting for %s: %s", t.label(), t.busyWords())
			return d
		}
		d.Notes = append(d.Notes, fmt.Sprintf("%s: all %d signed-in agents are at their maximum", t.label(), countPresent(t.Cands)))
	}
	if d.Home < 0 {
		d.Outcome, d.Step, d.Home = OutcomeOffline, stage, stage
		d.Reason = "nobody can answer: " + strings.Join(d.Notes, "; ")
		return d
	}
	d.Outcome, d.Step = OutcomeQueue, d.Home
	d.Reason = fmt.Sprintf("waiting for %s: every signed-in agent is at their maximum", ts[d.Home].label())
	return d
}

func (t TargetState) assign(d Decision, i int, ranked []Candidate) Decision {
	d.Outcome, d.Step, d.Ranked = OutcomeAssign, i, ranked
	if t.Returning != "" {
		for k, c := range ranked {
			if c.ID == t.Returning {
				d.Ranked = append([]Candidate{c}, append(append([]Candidate{}, ranked[:k]...), ranked[k+1:]...)...)
				d.Returning = true
				break
			}
		}
	}
	d.Reason = t.Explain(d.Ranked[0], d.Returning)
	return d
}

// Explain says why agent c of this target was picked.
func (t TargetState) Explain(c Candidate, returning bool) string {
	who := c.Name
	if who == "" {
		who = c.ID
	}
	var why string
	switch {
	case returning:
		why = "returning customer: " + who + " served them last"
	case t.Step.Kind == KindAgent:
		why = "the agent asked for"
	case t.Policy == DailyBalance:
		why = fmt.Sprintf("daily balance: %s accepted the fewest chats today (%d)", who, c.Today)
	case t.Policy == RoundRobin:
		why = fmt.Sprintf("round robin: %s's turn (longest since their last turn)", who)
	default:
		why = fmt.Sprintf("load: %s has the fewest current chats (%d of %d)", who, c.Current, c.Max)
	}
	src := t.Step.Source
	if t.Step.RuleName != "" {
		src = fmt.Sprintf("rule %q", t.Step.RuleName)
	}
	return fmt.Sprintf("%s via %s; %s", t.label(), strings.ReplaceAll(src, "_", " "), why)
}

func (t TargetState) label() string {
	name := t.Name
	if name == "" {
		name = t.Step.ID
	}
	switch t.Step.Kind {
	case KindAgent:
		return "agent " + name
	case KindAll:
		return "all agents"
	}
	return "group " + name
}

func (t TargetState) busyWords() string {
	busy, full := 0, 0
	for _, c := range t.Cands {
		switch {
		case !c.present():
		case c.Current >= c.Max:
			full++
		case c.Status == "busy":
			busy++
		}
	}
	return fmt.Sprintf("%d signed-in agents busy, %d at their maximum", busy, full)
}

func countPresent(cs []Candidate) int {
	n := 0
	for _, c := range cs {
		if c.present() {
			n++
		}
	}
	return n
}

// StartOfDay is midnight of t's day in the time zone (for daily balance).
func StartOfDay(t time.Time, tz string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC()
}
