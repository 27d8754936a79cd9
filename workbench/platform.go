package workbench

import (
	"context"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// platformTyping shows the customer that the agent is typing where the
// channel's platform can (WeChat's typing indicator). It runs in the
// background and only while the platform would accept it: typing is a
// courtesy, never worth failing or slowing the agent's request.
func (s *Server) platformTyping(c *hub.Conversation, typing bool) {
	if c.Contact == nil || (c.ReplyWindow != nil && !c.ReplyWindow.Open) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	ch, err := s.Channels.Get(ctx, c.ChannelID)
	if err != nil {
		cancel()
		return
	}
	t, ok := s.Connectors[ch.Type].(connectors.Typer)
	if !ok {
		cancel()
		return
	}
	go func() {
		defer cancel()
		if err := t.Typing(ctx, ch, c.Contact.ExternalID, typing); err != nil {
			s.Log.Debug("platform typing indicator", "channel", ch.ID, "err", err)
		}
	}()
}
