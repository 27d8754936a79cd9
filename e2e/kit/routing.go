package kit

import "strings"

// RoutingView is a conversation's routing activity: what the router decided
// and why.
type RoutingView struct {
	Status   string `json:"status"`
	Position int    `json:"position"`
	Events   []struct {
		Outcome string `json:"outcome"`
		AgentID string `json:"agent_id"`
		Policy  string `json:"policy"`
		Reason  string `json:"reason"`
	} `json:"events"`
}

// Routing reads a conversation's routing activity.
func (c *Client) Routing(convID string) RoutingView {
	c.T.Helper()
	var v RoutingView
	c.Must(200, "GET", "/api/v1/conversations/"+convID+"/routing", nil).JSON(c.T, &v)
	return v
}

// Has reports whether an event has the outcome and a reason containing reasonPart.
func (v RoutingView) Has(outcome, reasonPart string) bool {
	for _, e := range v.Events {
		if e.Outcome == outcome && strings.Contains(e.Reason, reasonPart) {
			return true
		}
	}
	return false
}
