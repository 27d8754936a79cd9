package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"
)

// The webhook's body, Standard Webhooks style: {"type", "timestamp",
// "data"}. The company's push service answers 2xx once it has the request;
// it may list tokens its push provider called invalid
// ({"invalid_tokens": ["…"]}) and the hub forgets them.

// WebhookEvent is the webhook body's type.
const WebhookEvent = "push.requested"

// WebhookBody is what the webhook receives.
type WebhookBody struct {
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      WebhookData `json:"data"`
}

// WebhookData is the notification and every device to send it to.
type WebhookData struct {
	ID             string            `json:"id"`
	ConversationID string            `json:"conversation_id"`
	Title          string            `json:"title"`
	Body           string            `json:"body"`
	Badge          int               `json:"badge"`
	CollapseID     string            `json:"collapse_id,omitempty"`
	Data           map[string]string `json:"data,omitempty"`
	Targets        []WebhookTarget   `json:"targets"`
}

// WebhookTarget is one device.
type WebhookTarget struct {
	Platform string `json:"platform"`
	Token    string `json:"token"`
	Provider string `json:"provider,omitempty"`
}

// WebhookAnswer is what a 2xx answer may carry.
type WebhookAnswer struct {
	InvalidTokens []string `json:"invalid_tokens"`
}

type webhookSender struct {
	cfg    WebhookConfig
	client *http.Client
	now    func() time.Time
}

// sendWebhook makes one call for all targets; every target shares its
// outcome, except those the answer lists as invalid.
func (p *Pusher) sendWebhook(ctx context.Context, targets []Target, n Notification, results []Result) []Result {
	var send []Target
	for i, t := range targets {
		results[i] = Result{Target: t, Outcome: Failed, Err: checkTarget(t)}
		if results[i].Err == nil {
			results[i].Via = ViaWebhook
			send = append(send, t)
		}
	}
	if len(send) == 0 {
		return results
	}
	body := p.webhook.body(send, n)
	var invalid map[string]bool
	attempts, err := p.retry(ctx, func() error {
		var err error
		invalid, err = p.webhook.post(ctx, "push_"+n.ID, body)
		return err
	})
	for i := range results {
		r := &results[i]
		if r.Via != ViaWebhook {
			continue
		}
		r.Attempts, r.Err, r.Outcome = attempts, err, outcomeOf(err)
		if err == nil && invalid[r.Token] {
			r.Outcome = InvalidToken
			r.Err = &Error{Via: ViaWebhook, Status: http.StatusOK, Reason: "listed in invalid_tokens", kind: invalidToken}
		}
	}
	return results
}

func (w *webhookSender) body(targets []Target, n Notification) []byte {
	d := WebhookData{ID: n.ID, ConversationID: n.ConversationID, Title: n.Title, Body: n.Body, Badge: n.Badge,
		CollapseID: n.CollapseID, Data: n.Data, Targets: make([]WebhookTarget, len(targets))}
	for i, t := range targets {
		d.Targets[i] = WebhookTarget(t)
	}
	b, err := json.Marshal(WebhookBody{Type: WebhookEvent, Timestamp: w.now().UTC(), Data: d})
	if err != nil {
		panic(fmt.Sprintf("encode push webhook: %v", err)) // strings and ints always marshal
	}
	return b
}

// post signs and sends one attempt; the same id on every attempt lets the
// receiver drop a repeat.
func (w *webhookSender) post(ctx context.Context, id string, body []byte) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("push webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kefu-Push/1")
	if err := api.SetHeaders(req.Header, w.cfg.Secret, id, w.now(), body); err != nil {
		return nil, fmt.Errorf("sign push webhook: %w", err)
	}
	res, err := w.client.Do(req)
	if err != nil {
		return nil, transportError(ViaWebhook, err)
	}
	raw := readAnswer(res)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, answerError(ViaWebhook, res, "")
	}
	var a WebhookAnswer
	if json.Unmarshal(raw, &a) != nil || len(a.InvalidTokens) == 0 {
		return nil, nil
	}
	invalid := make(map[string]bool, len(a.InvalidTokens))
	for _, t := range a.InvalidTokens {
		invalid[t] = true
	}
	return invalid, nil
}
