package routing

import (
	"slices"
	"strings"
)

// Visit is what is known about a conversation when it opens: where it came
// from and what the visitor asked for.
type Visit struct {
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelType string `json:"channel_type,omitempty"`
	// Group is the group the visitor chose (group icon, link parameter, API
	// "group"), resolved to an id.
	Group string `json:"group,omitempty"`
	// Agent is the agent a direct link asked for, resolved to an id.
	Agent    string `json:"agent,omitempty"`
	IP       string `json:"ip,omitempty"`
	Region   string `json:"region,omitempty"` // e.g. 中国|0|广东省|深圳市|电信
	Referrer string `json:"referrer,omitempty"`
	Keyword  string `json:"keyword,omitempty"` // search-engine keyword
	Page     string `json:"page,omitempty"`
	Text     string `json:"first_message,omitempty"` // for keyword rules
}

// Rule sends matching visits to an ordered list of targets: the first that
// can take the conversation gets it, the next ones are its overflow.
type Rule struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Enabled    bool       `json:"enabled"`
	Conditions Conditions `json:"conditions"`
	Targets    []Target   `json:"targets"`
	// OverflowAfter is how many seconds a conversation waits for a target
	// whose agents are signed in but busy before it flows to the next
	// target (0: it waits). When a target's agents are all full, closed or
	// absent it flows at once.
	OverflowAfter int `json:"overflow_after_seconds"`
}

// Conditions are ANDed across kinds and ORed within one; an empty kind
// matches everything.
type Conditions struct {
	ChannelIDs   []string `json:"channel_ids,omitempty"`
	ChannelTypes []string `json:"channel_types,omitempty"`
	// Regions match any part of the visitor's region by prefix: "广东"
	// matches 广东省, "深圳" matches 深圳市.
	Regions []string `json:"regions,omitempty"`
	// Keywords match the search-engine keyword or the first message.
	Keywords []string `json:"keywords,omitempty"`
	// Referrers match the referring page or search engine by substring
	// ("baidu.com").
	Referrers []string `json:"referrers,omitempty"`
}

// Target is a group or one agent.
type Target struct {
	GroupID string `json:"group_id,omitempty"`
	AgentID string `json:"agent_id,omitempty"`
}

// Matches reports whether the visit satisfies every condition.
func (c Conditions) Matches(v Visit) bool {
	return anyOf(c.ChannelIDs, func(s string) bool { return s == v.ChannelID }) &&
		anyOf(c.ChannelTypes, func(s string) bool { return s == v.ChannelType }) &&
		anyOf(c.Regions, func(s string) bool { return regionHas(v.Region, s) }) &&
		anyOf(c.Keywords, func(s string) bool { return contains(v.Keyword, s) || contains(v.Text, s) }) &&
		anyOf(c.Referrers, func(s string) bool { return contains(v.Referrer, s) })
}

func anyOf(list []string, f func(string) bool) bool {
	return len(list) == 0 || slices.ContainsFunc(list, f)
}

func contains(s, sub string) bool {
	return sub != "" && strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// regionHas reports whether a region string (parts separated by "|", 0 for
// unknown) has a part beginning with want.
func regionHas(region, want string) bool {
	want = strings.ToLower(strings.TrimSpace(want))
	if want == "" {
		return false
	}
	for _, p := range strings.FieldsFunc(region, func(r rune) bool { return r == '|' || r == ',' || r == ' ' }) {
		if p != "0" && strings.HasPrefix(strings.ToLower(p), want) {
			return true
		}
	}
	return false
}

// FirstMatch returns the first enabled rule the visit matches.
func FirstMatch(rules []Rule, v Visit) *Rule {
	for i := range rules {
		if rules[i].Enabled && len(rules[i].Targets) > 0 && rules[i].Conditions.Matches(v) {
			return &rules[i]
		}
	}
	return nil
}
