package conversations

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/store"
)

// What customers (through their channel) and agents read of a contact's
// conversations.

// contactConversation is a contact's active conversation on a channel, else
// the most recent one (nil when the contact never wrote).
func (s *Store) contactConversation(ctx context.Context, channelID, contactExternalID string) (*hub.Conversation, error) {
	ct, err := s.contacts.Find(ctx, channelID, contactExternalID)
	if err != nil || ct == nil {
		return nil, err
	}
	var cs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ? AND contact_id = ?
		ORDER BY CASE WHEN status <> 'closed' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`
	if err := s.k.Select(ctx, &cs, q, channelID, ct.ID); err != nil {
		return nil, fmt.Errorf("contact conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil, nil //nolint:nilnil // the contact has no conversation yet
	}
	return &cs[0], nil
}

// CustomerConversation is contactConversation as the customer sees it:
// LastSeq is the seq of the last message the customer can see (internal
// notes are not theirs), so a widget comparing it with the last message it
// shows finds no hole where a note was written.
func (s *Store) CustomerConversation(ctx context.Context, channelID, contactExternalID string) (*hub.Conversation, error) {
	c, err := s.contactConversation(ctx, channelID, contactExternalID)
	if err != nil || c == nil || c.LastSeq == 0 {
		return c, err
	}
	var seqs []int64
	q := `SELECT seq FROM messages WHERE conversation_id = ? AND direction IN ('in', 'out') ORDER BY seq DESC LIMIT 1`
	if err := s.k.Select(ctx, &seqs, q, c.ID); err != nil {
		return nil, fmt.Errorf("customer's last seq: %w", err)
	}
	c.LastSeq = 0
	if len(seqs) == 1 {
		c.LastSeq = seqs[0]
	}
	return c, nil
}

// CustomerConversations are a contact's conversations on a channel, newest
// first (at most limit), each LastSeq that of the last message the customer
// can see (the app's conversation list).
func CustomerConversations(ctx context.Context, k *store.Store, channelID, contactExternalID string, limit int) ([]hub.Conversation, error) {
	var cs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ? AND contact_id IN
		(SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?) ORDER BY created_at DESC LIMIT ?`
	if err := k.Select(ctx, &cs, q, channelID, channelID, contactExternalID, limit); err != nil {
		return nil, fmt.Errorf("contact conversations: %w", err)
	}
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i], cs[i].LastSeq = cs[i].ID, 0
	}
	if len(ids) == 0 {
		return cs, nil
	}
	var last []struct {
		ID  string `db:"conversation_id"`
		Seq int64  `db:"seq"`
	}
	q = `SELECT conversation_id, MAX(seq) AS seq FROM messages WHERE conversation_id IN (?) AND direction IN ('in', 'out')
		GROUP BY conversation_id`
	if err := k.SelectIn(ctx, &last, q, ids); err != nil {
		return nil, fmt.Errorf("customer's last seqs: %w", err)
	}
	for _, l := range last {
		for i := range cs {
			if cs[i].ID == l.ID {
				cs[i].LastSeq = l.Seq
			}
		}
	}
	return cs, nil
}

// Active maps the contacts (by external id) with an active conversation on
// the channel to it (its id and status).
func (s *Store) Active(ctx context.Context, channelID string, externalIDs []string) (map[string]hub.Conversation, error) {
	out := map[string]hub.Conversation{}
	byExt, err := s.contacts.FindAll(ctx, channelID, externalIDs)
	if err != nil || len(byExt) == 0 {
		return out, err
	}
	ext := make(map[string]string, len(byExt))
	ids := make([]string, 0, len(byExt))
	for e, c := range byExt {
		ext[c.ID] = e
		ids = append(ids, c.ID)
	}
	var rows []struct {
		ID        string         `db:"id"`
		ContactID string         `db:"contact_id"`
		Status    hub.ConvStatus `db:"status"`
	}
	q := `SELECT id, contact_id, status FROM conversations WHERE channel_id = ? AND status <> 'closed' AND contact_id IN (?)`
	if err := s.k.SelectIn(ctx, &rows, q, channelID, ids); err != nil {
		return nil, fmt.Errorf("active conversations: %w", err)
	}
	for _, r := range rows {
		out[ext[r.ContactID]] = hub.Conversation{ID: r.ID, Status: r.Status}
	}
	return out, nil
}

// CountActive is how many conversations of a channel are active (queued
// or open), read through the partial index of active conversations (the
// web channel caps it).
func CountActive(ctx context.Context, k *store.Store, channelID string) (int, error) {
	var n int
	if err := k.Get(ctx, &n, `SELECT COUNT(*) FROM conversations WHERE channel_id = ? AND status <> 'closed'`, channelID); err != nil {
		return 0, fmt.Errorf("count active conversations: %w", err)
	}
	return n, nil
}

// Typing tells the agent of a contact's active conversation that the
// customer is typing (or stopped), with what they have typed so far when the
// channel shows it (the web widget's typing preview, 消息预知). It stores
// nothing: typing is ephemeral, pushed once to the sockets that are there.
func (s *Store) Typing(ctx context.Context, ch *hub.Channel, contactExternalID string, typing bool, preview string) error {
	c, err := s.contactConversation(ctx, ch.ID, contactExternalID)
	if err != nil || c == nil || c.Status == hub.ConvClosed {
		return err // nothing to tell anyone yet
	}
	payload, _ := json.Marshal(map[string]any{"by": "contact", "contact_id": c.ContactID, "typing": typing,
		"preview": hub.Bounded(preview, 1000)})
	s.k.Announce(hub.Event{TenantID: c.TenantID, Type: hub.EvTyping, ConversationID: c.ID, AgentID: Deref(c.AssigneeID), Payload: payload})
	return nil
}

// Rate stores a customer's rating (1–5, a comment and the reasons they
// ticked of the level's list) of their own conversation on a channel —
// once, or changed while the tenant's window lasts (see
// ratings.Store.Record); the agent is told.
func (s *Store) Rate(ctx context.Context, ch *hub.Channel, contactExternalID, convID string, score int, comment string, reasons []string) error {
	if score < 1 || score > 5 {
		return hub.Invalid("score must be 1 to 5")
	}
	ct, err := s.contacts.Find(ctx, ch.ID, contactExternalID)
	if err != nil {
		return err
	}
	if ct == nil {
		return fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		var cs []hub.Conversation
		q := `SELECT ` + convCols + ` FROM conversations WHERE id = ? AND channel_id = ? AND contact_id = ?`
		if err := tx.Select(ctx, &cs, q, convID, ch.ID, ct.ID); err != nil {
			return fmt.Errorf("rated conversation: %w", err)
		}
		if len(cs) == 0 {
			return fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
		}
		return s.ratings.Record(ctx, tx, &cs[0], score, comment, reasons)
	})
}

// textRated are the platforms whose customers rate by answering a text
// invitation with a number or opening the rating page it links to: they
// have no rating form (the web widget and the app have one and are asked
// with an event; an API integration gets the event and decides).
var textRated = map[string]bool{"wechat": true, "weibo": true, "qq": true, "wecom_kf": true}

// InviteRating records the invitation to rate c (ch is its channel) on a
// platform without a rating form (textRated) and returns its text for the
// caller to send: the number the customer answers, or the rating page the
// text links to, becomes the rating. It returns "" when nothing is due:
// another platform, or on close (onClose) a channel that does not invite
// on close or a tenant whose invitation text is empty. Asked by hand
// (!onClose) with an empty text it refuses with ratings.ErrInviteEmpty
// and records nothing: no invitation could reach the customer.
func InviteRating(ctx context.Context, tx *store.Tx, s *Store, c *hub.Conversation, ch *hub.Channel, onClose bool) (string, error) {
	if !textRated[ch.Type] || onClose && !InvitesOnClose(ch) {
		return "", nil
	}
	text, err := s.ratings.Invite(ctx, tx, c)
	if err == nil && text == "" && !onClose {
		err = ratings.ErrInviteEmpty
	}
	return text, err
}

// sendInvitation sends InviteRating's text to the customer of c (nothing
// when it is "").
func sendInvitation(ctx context.Context, tx *store.Tx, s *Store, c *hub.Conversation, text string) error {
	if text == "" {
		return nil
	}
	_, err := s.Outgoing(ctx, tx, c, hub.SenderSystem, "", Text(text))
	return err
}

// formRated are the platforms whose client shows its rating form when a
// conversation closes, if the channel's "rating" is on (off unless set).
var formRated = map[string]bool{"web": true, "app": true}

// CloseInviting closes c (CloseLocked) and, when invite (someone answered
// it), asks its customer how it went in a text on a platform without a
// rating form (InviteRating's invitation, when the channel invites on
// close). Its close event says whether the close offered a rating
// (rating_offered, for the reports' 参评率): the rating form of a web or
// app channel whose "rating" is on (the widget and the SDK show it with
// any close), or the text invitation actually sent — not when the tenant's
// invitation text is empty and nothing went out.
func CloseInviting(ctx context.Context, tx *store.Tx, s *Store, c *hub.Conversation, by string, cl Closing, invite bool) error {
	ch, err := s.channels.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	text := ""
	if invite {
		if text, err = InviteRating(ctx, tx, s, c, ch, true); err != nil {
			return err
		}
	}
	cl.RatingOffered = formOffered(ch) || text != ""
	if err := CloseLocked(ctx, tx, c, by, cl); err != nil {
		return err
	}
	return sendInvitation(ctx, tx, s, c, text)
}

// formOffered says whether ch's client shows its rating form with a close:
// a web or app channel whose "rating" is on.
func formOffered(ch *hub.Channel) bool {
	if !formRated[ch.Type] {
		return false
	}
	var cfg struct {
		Rating bool `json:"rating"`
	}
	_ = json.Unmarshal(ch.Config, &cfg) // damaged settings: no form, as the connectors read them
	return cfg.Rating
}

// InvitesOnClose says whether a text-rated channel invites its customer to
// rate when a conversation closes: its config's "rating", on when the
// config does not say (the connectors store it explicitly on every save).
func InvitesOnClose(ch *hub.Channel) bool {
	var cfg struct {
		Rating *bool `json:"rating"`
	}
	if err := json.Unmarshal(ch.Config, &cfg); err != nil || cfg.Rating == nil {
		return true
	}
	return *cfg.Rating
}

// Rating returns a conversation's rating (nil when unrated).
func (s *Store) Rating(ctx context.Context, convID string) (*hub.Rating, error) {
	var rs []hub.Rating
	if err := s.k.Select(ctx, &rs, `SELECT score, comment, reasons, created_at FROM ratings WHERE conversation_id = ?`, convID); err != nil {
		return nil, fmt.Errorf("rating: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil //nolint:nilnil // not rated
	}
	return &rs[0], nil
}

// ActiveAgent is who works a contact's active conversation on a channel
// ("" when nobody does), in the caller's transaction.
func ActiveAgent(ctx context.Context, tx *store.Tx, channelID, contactID string) (string, error) {
	var assignee []string
	q := `SELECT COALESCE(assignee_id, '') FROM conversations WHERE channel_id = ? AND contact_id = ? AND status <> 'closed'`
	if err := tx.Select(ctx, &assignee, q, channelID, contactID); err != nil {
		return "", fmt.Errorf("contact conversation: %w", err)
	}
	if len(assignee) == 1 {
		return assignee[0], nil
	}
	return "", nil
}
