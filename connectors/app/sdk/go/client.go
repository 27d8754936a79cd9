// Package kefuapp is a small Go client of Kefu's app channel
// (connectors/app/doc.go): identify a user, send messages idempotently,
// list conversations and messages, and hold the socket with resume. It
// serves Go backends that chat on a user's behalf, and the hub's own tests.
//
//	c := kefuapp.New("https://kefu.example.com", appKey)
//	s, err := c.Identify(ctx, kefuapp.Identity{UserID: "42", UserHash: kefuapp.UserHash(secret, "42")})
//	_, err = s.Send(ctx, kefuapp.NewClientID(), "你好")
//	sock, err := s.Dial(ctx)           // frames in sock.Frames; Resume after a cut
package kefuapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// Client is one app of a hub.
type Client struct {
	Base   string // the hub's URL, e.g. https://kefu.example.com
	AppKey string
	HTTP   *http.Client
}

// New returns a client of the app.
func New(base, appKey string) *Client {
	return &Client{Base: strings.TrimSuffix(base, "/"), AppKey: appKey, HTTP: http.DefaultClient}
}

// UserHash is hex(HMAC-SHA256(identitySecret, userID)): what the company's
// server gives the app for identify.
func UserHash(identitySecret, userID string) string {
	m := hmac.New(sha256.New, []byte(identitySecret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// NewClientID is a fresh client_msg_id.
func NewClientID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Device is the device a user is on.
type Device struct {
	Platform   string `json:"platform,omitempty"` // ios | android | harmony | web | miniprogram
	OS         string `json:"os,omitempty"`
	AppVersion string `json:"app_version,omitempty"`
	Model      string `json:"model,omitempty"`
}

// Identity is an identify request: UserID+UserHash, or JWT, or Anonymous+DeviceID.
type Identity struct {
	UserID    string         `json:"user_id,omitempty"`
	UserHash  string         `json:"user_hash,omitempty"`
	JWT       string         `json:"jwt,omitempty"`
	Anonymous bool           `json:"anonymous,omitempty"`
	DeviceID  string         `json:"device_id,omitempty"`
	Name      string         `json:"name,omitempty"`
	Email     string         `json:"email,omitempty"`
	Phone     string         `json:"phone,omitempty"`
	Traits    map[string]any `json:"traits,omitempty"`
	Device    *Device        `json:"device,omitempty"`
}

// Error is the hub's answer to a refused call.
type Error struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("kefu: %d %s: %s", e.Status, e.Code, e.Message) }

// Session is an identified user.
type Session struct {
	c         *Client
	Token     string `json:"token"`
	ContactID string `json:"contact_id"`
	ExpiresAt string `json:"expires_at"`
}

// Identify proves who the user is and returns their session.
func (c *Client) Identify(ctx context.Context, id Identity) (*Session, error) {
	s := &Session{c: c}
	if err := c.do(ctx, "", "POST", "/identify", id, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Session is a user's session from a token kept since identify (an app
// restarted, another hub address).
func (c *Client) Session(token string) *Session { return &Session{c: c, Token: token} }

func (c *Client) do(ctx context.Context, token, method, path string, body, out any) error {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case *multipartBody:
		rd, ctype = b.buf, b.ctype
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+"/app/v1/"+url.PathEscape(c.AppKey)+path, rd)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error Error `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		e.Error.Status = res.StatusCode
		return &e.Error
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Attachment is a file in a message.
type Attachment struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// Message is a message as the user sees it.
type Message struct {
	ID             string       `json:"id"`
	ConversationID string       `json:"conversation_id"`
	Seq            int64        `json:"seq"`
	Direction      string       `json:"direction"`
	SenderType     string       `json:"sender_type"`
	SenderName     string       `json:"sender_name"`
	SenderAvatar   string       `json:"sender_avatar"` // an agent's picture's path on the hub
	Type           string       `json:"type"`
	Text           string       `json:"text"`
	Attachments    []Attachment `json:"attachments"`
	ClientID       string       `json:"client_id"`
	CreatedAt      string       `json:"created_at"`
}

// Conversation is one of the user's conversations.
type Conversation struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	LastSeq int64  `json:"last_seq"`
	Agent   *struct {
		Name string `json:"name"`
		// Avatar is the agent's picture's path on the hub ("" for none).
		Avatar string `json:"avatar"`
	} `json:"agent"`
	Unread int `json:"unread"`
}

// Sent is the hub's answer to a message: durable, in that conversation
// ("" when it was not open yet).
type Sent struct {
	ClientMsgID    string `json:"client_msg_id"`
	ConversationID string `json:"conversation_id"`
}

// Send sends a text message; sending again with the same clientMsgID is
// safe (stored once), so retry with it until it succeeds.
func (s *Session) Send(ctx context.Context, clientMsgID, text string, attachmentIDs ...string) (*Sent, error) {
	body := map[string]any{"client_msg_id": clientMsgID, "text": text}
	if len(attachmentIDs) > 0 {
		atts := make([]map[string]string, len(attachmentIDs))
		for i, id := range attachmentIDs {
			atts[i] = map[string]string{"id": id}
		}
		body["attachments"] = atts
	}
	var out Sent
	return &out, s.c.do(ctx, s.Token, "POST", "/messages", body, &out)
}

// Page is a page of a conversation's messages.
type Page struct {
	Conversation *Conversation `json:"conversation"`
	Messages     []Message     `json:"messages"`
}

// Messages lists messages: after >= 0 those after that seq, else the
// latest; conversationID "" is the current conversation.
func (s *Session) Messages(ctx context.Context, conversationID string, after int64) (*Page, error) {
	q := url.Values{}
	if conversationID != "" {
		q.Set("conversation_id", conversationID)
	}
	if after >= 0 {
		q.Set("after", fmt.Sprint(after))
	}
	q.Set("limit", "200")
	var out Page
	return &out, s.c.do(ctx, s.Token, "GET", "/messages?"+q.Encode(), nil, &out)
}

// Conversations lists the user's conversations, newest first.
func (s *Session) Conversations(ctx context.Context) ([]Conversation, error) {
	var out struct {
		Conversations []Conversation `json:"conversations"`
	}
	return out.Conversations, s.c.do(ctx, s.Token, "GET", "/conversations", nil, &out)
}

// Read marks a conversation read up to seq.
func (s *Session) Read(ctx context.Context, conversationID string, seq int64) error {
	return s.c.do(ctx, s.Token, "POST", "/read", map[string]any{"conversation_id": conversationID, "seq": seq}, nil)
}

// Rate rates a conversation with one of the scale's scores and the
// reasons ticked of that level's list (400 rating_reason for another).
func (s *Session) Rate(ctx context.Context, conversationID string, score int, comment string, reasons ...string) error {
	return s.c.do(ctx, s.Token, "POST", "/rating", map[string]any{"conversation_id": conversationID, "score": score,
		"comment": comment, "reasons": append([]string{}, reasons...)}, nil)
}

// RatingLevel is one level of the tenant's rating scale with its reasons.
type RatingLevel struct {
	Score   int      `json:"score"`
	Label   string   `json:"label"`
	Reasons []string `json:"reasons"`
}

// RatingScale is the rating form to show: whether the channel asks for
// ratings and the levels, best first (none: plain 1–5).
type RatingScale struct {
	Enabled bool          `json:"enabled"`
	Levels  []RatingLevel `json:"levels"`
}

// RatingScale reads the rating form to show.
func (s *Session) RatingScale(ctx context.Context) (*RatingScale, error) {
	var out RatingScale
	return &out, s.c.do(ctx, s.Token, "GET", "/rating", nil, &out)
}

// RateAnswer says whether one of the robot's answers (a message of type
// "answer") helped (有帮助/没帮助), once.
func (s *Session) RateAnswer(ctx context.Context, messageID string, helpful bool) error {
	return s.c.do(ctx, s.Token, "POST", "/feedback", map[string]any{"message_id": messageID, "helpful": helpful}, nil)
}

// RegisterPush registers the device's push token.
func (s *Session) RegisterPush(ctx context.Context, platform, token string) error {
	return s.c.do(ctx, s.Token, "PUT", "/push_token", map[string]string{"platform": platform, "token": token}, nil)
}

// UnregisterPush removes a push token.
func (s *Session) UnregisterPush(ctx context.Context, token string) error {
	return s.c.do(ctx, s.Token, "DELETE", "/push_token", map[string]string{"token": token}, nil)
}

type multipartBody struct {
	buf   *bytes.Buffer
	ctype string
}

// Upload uploads a file; send its id with a message.
func (s *Session) Upload(ctx context.Context, name string, data []byte) (string, error) {
	buf := &bytes.Buffer{}
	w := multipart.NewWriter(buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		return "", err
	}
	part.Write(data)
	w.Close()
	var out struct {
		ID string `json:"id"`
	}
	err = s.c.do(ctx, s.Token, "POST", "/uploads", &multipartBody{buf, w.FormDataContentType()}, &out)
	return out.ID, err
}
