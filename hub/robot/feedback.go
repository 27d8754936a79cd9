package robot

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// typeAnswer is the message type of a robot answer the customer may rate
// (有帮助/没帮助); the widget shows the buttons under it.
const typeAnswer = "answer"

// unhelpfulText offers a person after "没帮助" while the robot still works
// the conversation.
const unhelpfulText = "抱歉没能帮到您。您可以换个说法再问，或回复“转人工”联系人工客服。"

// Misses counts questions the robot could not answer (the knowledge
// base's unanswered list): an answer rated unhelpful counts too.
type Misses interface {
	Miss(ctx context.Context, tenantID, question string) error
}

// Feedback stores a customer's "helpful?" on one of the robot's answers,
// once: the answer must be in a conversation of that customer on that
// channel (else not found); rated already is a conflict. "没帮助" counts the
// question as unanswered and, while the robot works the conversation,
// offers a person.
func (r *Robot) Feedback(ctx context.Context, ch *hub.Channel, contactExternalID, messageID string, helpful bool) error {
	var rows []struct {
		ConversationID string `db:"conversation_id"`
		Question       string `db:"question"`
		Rated          bool   `db:"rated"`
	}
	const q = `SELECT ra.conversation_id, ra.question, ra.helpful IS NOT NULL AS rated FROM robot_answers ra
		JOIN conversations c ON c.id = ra.conversation_id JOIN contacts ct ON ct.id = c.contact_id
		WHERE ra.message_id = ? AND ra.tenant_id = ? AND c.channel_id = ? AND ct.external_id = ?`
	if err := r.k.Select(ctx, &rows, q, messageID, ch.TenantID, ch.ID, contactExternalID); err != nil {
		return fmt.Errorf("robot answer: %w", err)
	}
	if len(rows) == 0 {
		return fmt.Errorf("robot answer %s: %w", hub.Truncate(messageID, 64), hub.ErrNotFound)
	}
	if rows[0].Rated {
		return fmt.Errorf("%w: the answer is rated already", hub.ErrConflict)
	}
	conv, err := r.convs.ByID(ctx, rows[0].ConversationID)
	if err != nil {
		return err
	}
	err = r.k.Write(ctx, func(tx *store.Tx) error {
		const u = `UPDATE robot_answers SET helpful = ?, rated_at = ? WHERE message_id = ? AND helpful IS NULL`
		n, err := tx.Exec(ctx, u, helpful, tx.Now(), messageID)
		if err != nil {
			return fmt.Errorf("rate robot answer: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: the answer is rated already", hub.ErrConflict)
		}
		if helpful {
			return nil
		}
		var working []int
		w := `SELECT 1 FROM robot_conversations WHERE conversation_id = ? AND state = ?`
		if err := tx.Select(ctx, &working, w, conv.ID, stateRobot); err != nil || len(working) == 0 {
			return err
		}
		return r.say(ctx, tx, conv, []utterance{{reply: conversations.Text(unhelpfulText)}})
	})
	if err != nil || helpful || r.misses == nil {
		return err
	}
	return r.misses.Miss(ctx, ch.TenantID, rows[0].Question)
}

// Rating is how customers rated the answers of one article.
type Rating struct {
	Helpful   int `json:"helpful" db:"helpful"`
	Unhelpful int `json:"unhelpful" db:"unhelpful"`
}

// ArticleRatings counts the customers' "helpful?" per knowledge-base
// article of a tenant (articles never rated are absent).
func (r *Robot) ArticleRatings(ctx context.Context, tenantID string) (map[string]Rating, error) {
	var rows []struct {
		ArticleID string `db:"article_id"`
		Rating
	}
	const q = `SELECT article_id, SUM(CASE WHEN helpful THEN 1 ELSE 0 END) AS helpful,
		SUM(CASE WHEN NOT helpful THEN 1 ELSE 0 END) AS unhelpful FROM robot_answers
		WHERE tenant_id = ? AND article_id <> '' AND helpful IS NOT NULL GROUP BY article_id`
	if err := r.k.Select(ctx, &rows, q, tenantID); err != nil {
		return nil, fmt.Errorf("article ratings: %w", err)
	}
	out := make(map[string]Rating, len(rows))
	for _, row := range rows {
		out[row.ArticleID] = row.Rating
	}
	return out, nil
}
