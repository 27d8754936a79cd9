package workbench

// The handlers, grouped by what they serve; each group is the server seen
// from one part of the API (routes in server.go).
type (
	// authAPI: signing in and out, the agent's own status and two-factor.
	authAPI struct{ *Server }
	// conversationAPI: conversations, messages, replies, transfers, typing,
	// the event replay.
	conversationAPI struct{ *Server }
	// routingAPI: groups, routing rules, automations, the queue and pick-up.
	routingAPI struct{ *Server }
	// toolsAPI: the agent's tools — canned replies, notes, categories, the
	// blacklist, ratings, the customer card, exports.
	toolsAPI struct{ *Server }
	// ticketAPI: tickets.
	ticketAPI struct{ *Server }
	// channelAPI: channels, their deliveries, webhook subscriptions, files.
	channelAPI struct{ *Server }
	// adminAPI: tenants, agents, settings, the monitor, API tokens, failed
	// messages.
	adminAPI struct{ *Server }
	// socketAPI: the agent websocket.
	socketAPI struct{ *Server }
)
