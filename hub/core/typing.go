package core

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
)

// ContactTyping tells the agent of a contact's active conversation that the
// customer is typing (or stopped), with what they have typed so far when the
// channel shows it (the web widget's typing preview, 消息预知). It stores
// nothing: typing is ephemeral, pushed once to the sockets that are there.
func (s *Store) ContactTyping(ctx context.Context, ch *hub.Channel, contactExternalID string, typing bool, preview string) error {
	var convs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ? AND status <> 'closed'
		AND contact_id = (SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?)`
	if err := s.db.R.SelectContext(ctx, &convs, s.db.R.Rebind(q), ch.ID, ch.ID, hub.Clean(contactExternalID)); err != nil {
		return fmt.Errorf("typing conversation: %w", err)
	}
	if len(convs) == 0 {
		return nil // nothing to tell anyone yet
	}
	c := convs[0]
	payload, _ := json.Marshal(map[string]any{"by": "contact", "contact_id": c.ContactID, "typing": typing,
		"preview": hub.Bounded(preview, 1000)})
	s.db.Announce(hub.Event{TenantID: c.TenantID, Type: hub.EvTyping, ConversationID: c.ID, AgentID: deref(c.AssigneeID), Payload: payload})
	return nil
}
