package workbench

import (
	"context"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// platformTyping shows the customer that the agent is typing where the
// channel's platform can (WeChat's typing indicator), and only while the
// platform would accept it: typing is a courtesy, never worth failing or
// slowing the agent's request (the connector calls the platform in the
// background).
func (s *Server) platformTyping(ctx context.Context, c *hub.Conversation, typing bool) {
	if c.Contact == nil || (c.ReplyWindow != nil && !c.ReplyWindow.Open) {
		return
	}
	ch, err := s.Channels.Get(ctx, c.ChannelID)
	if err != nil {
		return
	}
	if t, ok := s.Connectors[ch.Type].(connectors.Typer); ok {
		t.Typing(ch, c.Contact.ExternalID, typing)
	}
}
