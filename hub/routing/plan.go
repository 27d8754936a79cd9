package routing

// Step kinds.
const (
	KindGroup = "group"
	KindAgent = "agent"
	KindAll   = "all" // every agent of the tenant (no group)
)

// Sources say why a step is in a plan (shown in explanations).
const (
	SourceAgentLink = "agent_link"
	SourceVisitor   = "visitor_choice"
	SourceRule      = "rule"
	SourceChannel   = "channel_default"
	SourceOverflow  = "overflow"
	SourceTenant    = "all_agents"
	SourceTransfer  = "transfer"
)

// Step is one target of a conversation's plan, tried in order.
type Step struct {
	Kind     string `json:"kind"`
	ID       string `json:"id,omitempty"`
	Source   string `json:"source"`
	RuleID   string `json:"rule_id,omitempty"`
	RuleName string `json:"rule_name,omitempty"`
	// OverflowAfter is the seconds to wait here for busy agents before the
	// next step (0: wait as long as it takes).
	OverflowAfter int `json:"overflow_after_seconds,omitempty"`
}

// Key names the queue a conversation waits in at this step.
func (s Step) Key() string {
	switch s.Kind {
	case KindGroup:
		return "g:" + s.ID
	case KindAgent:
		return "a:" + s.ID
	}
	return "*"
}

// GroupOverflow is a group's own overflow setting.
type GroupOverflow struct {
	GroupID string
	After   int
}

// PlanInput is everything a plan is built from.
type PlanInput struct {
	Visit          Visit
	Rules          []Rule // in order; the first match wins
	ChannelDefault string // group id or ""
	// Overflow maps a group to the group its conversations flow to.
	Overflow map[string]GroupOverflow
}

// BuildPlan orders the targets for a new conversation: the agent a direct
// link asked for; then the group the visitor chose, else the first matching
// rule's targets, else the channel's default group, else every agent; each
// group followed by its overflow group.
func BuildPlan(in PlanInput) ([]Step, *Rule) {
	var steps []Step
	if in.Visit.Agent != "" {
		steps = append(steps, Step{Kind: KindAgent, ID: in.Visit.Agent, Source: SourceAgentLink})
	}
	var rule *Rule
	switch {
	case in.Visit.Group != "":
		steps = append(steps, Step{Kind: KindGroup, ID: in.Visit.Group, Source: SourceVisitor})
	default:
		rule = FirstMatch(in.Rules, in.Visit)
		if rule != nil {
			for _, t := range rule.Targets {
				s := Step{Kind: KindGroup, ID: t.GroupID, Source: SourceRule, RuleID: rule.ID, RuleName: rule.Name,
					OverflowAfter: rule.OverflowAfter}
				if t.AgentID != "" {
					s.Kind, s.ID = KindAgent, t.AgentID
				}
				steps = append(steps, s)
			}
		} else if in.ChannelDefault != "" {
			steps = append(steps, Step{Kind: KindGroup, ID: in.ChannelDefault, Source: SourceChannel})
		} else {
			steps = append(steps, Step{Kind: KindAll, Source: SourceTenant})
		}
	}
	return withOverflow(steps, in.Overflow), rule
}

// withOverflow inserts each group's overflow chain after it, once per group.
func withOverflow(steps []Step, of map[string]GroupOverflow) []Step {
	seen := map[string]bool{}
	for _, s := range steps {
		seen[s.Key()] = true
	}
	var out []Step
	for _, s := range steps {
		for depth := 0; depth < 8; depth++ {
			o, ok := of[s.ID]
			if s.Kind == KindGroup && ok && s.Source != SourceRule && s.OverflowAfter == 0 {
				s.OverflowAfter = o.After
			}
			out = append(out, s)
			next := Step{Kind: KindGroup, ID: o.GroupID, Source: SourceOverflow}
			if s.Kind != KindGroup || !ok || o.GroupID == "" || seen[next.Key()] {
				break
			}
			seen[next.Key()] = true
			s = next
		}
	}
	return out
}
