// Package robot is the channel robot (智能机器人): it answers a new
// conversation first, from a swappable brain (the knowledge base today),
// offers "您是不是想问" suggestions when unsure, and hands the conversation
// over to routing when the customer asks for a person (转人工) or it fails
// to answer too often. Its messages stay in the conversation, so the agent
// who takes over reads the whole robot transcript.
package robot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/richanswers"
	"github.com/kefu-hub/kefu/hub/store"
)

// Question is what the robot is asked.
type Question struct {
	TenantID, ChannelID, ConversationID string
	// MessageID is the customer message asked (an external bot sees it as
	// the request's id).
	MessageID string
	Text      string
	// Threshold is the least score the knowledge base answers with (0: its
	// default); the channel's or its group's robot sets it.
	Threshold float64
}

// Reply is a brain's answer.
type Reply struct {
	// Text answers the question when Confident.
	Text      string
	Confident bool
	// Suggestions are the questions the customer may have meant.
	Suggestions []string
	// Source names the brain that answered (SourceKB …), ArticleID the
	// knowledge-base article it answered with ("" none): the customer's
	// "helpful?" is counted against them.
	Source    Source
	ArticleID string
	// Handoff: the brain asks for a person (an external bot may); Text,
	// when set, is said first.
	Handoff bool
}

// Source is what gave one of the robot's answers.
type Source string

// Sources.
const (
	SourceKB      Source = "kb"
	SourceKeyword Source = "keyword"
	SourceWebhook Source = "webhook"
)

// Provider is the robot's brain: the knowledge base today, an external bot
// (webhook) or a language model later.
type Provider interface {
	Answer(ctx context.Context, q Question) (Reply, error)
}

// Robot answers the conversations of channels whose robot is on.
type Robot struct {
	k       *store.Store
	convs   *conversations.Store
	channel func(ctx context.Context, id string) (*hub.Channel, error)
	brain   Provider
	// available reports whether someone can answer the channel's customers
	// now (mode off_hours engages the robot when nobody can).
	available func(ctx context.Context, ch *hub.Channel) (bool, error)
	keywords  *Keywords
	groups    Groups
	rich      *richanswers.Store
	misses    Misses
	webhook   WebhookDeps
	log       *slog.Logger
	mu        sync.Mutex
	active    map[string]activeAt // per tenant: has it any robot at all (cached)
}

// activeAt caches whether a tenant has a robot on or a conversation with
// one, so that tenants without robots pay no query per message.
type activeAt struct {
	on bool
	at time.Time
}

// activeTTL is how long that answer is trusted: a robot switched on starts
// answering new conversations within it, on every process.
const activeTTL = 3 * time.Second

func (r *Robot) inUse(ctx context.Context, tenantID string) (bool, error) {
	r.mu.Lock()
	a, ok := r.active[tenantID]
	r.mu.Unlock()
	if ok && time.Since(a.at) < activeTTL {
		return a.on, nil
	}
	var n []int
	const q = `SELECT 1 FROM robot_settings WHERE tenant_id = ? AND mode <> 'off'
		UNION ALL SELECT 1 FROM robot_group_settings WHERE tenant_id = ? AND mode IS NOT NULL AND mode <> 'off'
		UNION ALL SELECT 1 FROM robot_conversations WHERE tenant_id = ? AND state = 'robot' LIMIT 1`
	if err := r.k.Select(ctx, &n, q, tenantID, tenantID, tenantID); err != nil {
		return false, fmt.Errorf("robot in use: %w", err)
	}
	r.mu.Lock()
	r.active[tenantID] = activeAt{on: len(n) > 0, at: time.Now()}
	r.mu.Unlock()
	return len(n) > 0, nil
}

// Deps are what the robot works with.
type Deps struct {
	Convs   *conversations.Store
	Channel func(ctx context.Context, id string) (*hub.Channel, error)
	Brain   Provider
	// Available reports whether someone can answer a channel's customers
	// now (nil: always; mode off_hours then never engages).
	Available func(ctx context.Context, ch *hub.Channel) (bool, error)
	// Groups finds the groups whose robot admins set (nil: they cannot).
	Groups Groups
	// Rich has the knowledge base's rich answers: their images go with the
	// robot's answer (nil: text only).
	Rich *richanswers.Store
	// Misses counts the answers customers rate unhelpful as unanswered
	// questions (nil: not counted).
	Misses Misses
	// Webhook lets channels choose an external bot (zero: they cannot).
	Webhook WebhookDeps
	Log     *slog.Logger
}

// New returns the robot.
func New(k *store.Store, d Deps) *Robot {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Robot{k: k, convs: d.Convs, channel: d.Channel, brain: d.Brain, available: d.Available, groups: d.Groups, rich: d.Rich, misses: d.Misses, webhook: d.Webhook,
		log: log, active: map[string]activeAt{}}
	r.keywords = newKeywords(k, r.ownChannel)
	return r
}

// Keywords are the tenants' keyword auto-replies.
func (r *Robot) Keywords() *Keywords { return r.keywords }

// Robot states of a conversation.
const (
	stateRobot      = "robot"
	stateHandedOver = "handed_over"
)

// Engage runs in the transaction that stores a customer message: it reports
// whether the robot works the conversation, and holds a new conversation
// out of the routing queue when its channel's robot answers first.
func (r *Robot) Engage(ctx context.Context, tx *store.Tx, ch *hub.Channel, conv *hub.Conversation, isNew bool) (bool, error) {
	if on, err := r.inUse(ctx, ch.TenantID); err != nil || !on {
		return false, err
	}
	if !isNew {
		q := `UPDATE robot_conversations SET pending_since = COALESCE(pending_since, ?) WHERE conversation_id = ? AND state = ?`
		n, err := tx.Exec(ctx, q, tx.Now(), conv.ID, stateRobot)
		if err != nil {
			return false, fmt.Errorf("robot state: %w", err)
		}
		return n == 1, nil
	}
	if conv.Status != hub.ConvQueued {
		return false, nil
	}
	s, err := effective(ctx, tx, conv)
	if err != nil || s.Mode == ModeOff {
		return false, err
	}
	if s.Mode == ModeOffHours {
		if r.available == nil {
			return false, nil
		}
		routed := *ch // nobody can answer: judged by the group the conversation is routed to
		if conv.GroupID != nil && *conv.GroupID != "" {
			routed.DefaultGroupID = conv.GroupID
		}
		if on, err := r.available(ctx, &routed); err != nil || on {
			return false, err
		}
	}
	const q = `INSERT INTO robot_conversations (conversation_id, tenant_id, state, pending_since, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, q, conv.ID, conv.TenantID, stateRobot, tx.Now(), tx.Now(), tx.Now()); err != nil {
		return false, fmt.Errorf("robot conversation: %w", err)
	}
	return true, assign.Hold(ctx, tx, conv.ID)
}

// Turn is one customer message the robot answers.
type Turn struct {
	TenantID, ChannelID, ConversationID string
	// MessageID is the stored message: its text (masked as stored) is what
	// the robot reads.
	MessageID string
	// New: the message opened the conversation (the greeting goes first).
	New bool
	// Always: the robot does not work the conversation; only the keyword
	// rules that answer always may (AutoReply).
	Always bool
}

// Texts the robot says (Chinese first: the customers' language).
const (
	handoffText  = "正在为您转接人工客服，请稍候。"
	suggestText  = "您是不是想问："
	suggestHint  = "请回复您想问的问题，或回复“转人工”联系人工客服。"
	notKnownText = "抱歉，我还没有理解您的问题，可以换个说法试试，或回复“转人工”联系人工客服。"
)

// Answer answers one customer message of a conversation the robot works,
// and reports whether it handed the conversation over (route it now).
func (r *Robot) Answer(ctx context.Context, t Turn) (handedOver bool, err error) {
	conv, err := r.convs.ByID(ctx, t.ConversationID)
	if err != nil {
		return false, err
	}
	ms, err := r.convs.ByIDs(ctx, []string{t.MessageID})
	if err != nil || len(ms) != 1 {
		return false, fmt.Errorf("robot message %s: %w", t.MessageID, errors.Join(err, hub.ErrNotFound))
	}
	text := ms[0].Text
	s, err := effective(ctx, r.k, conv)
	if err != nil {
		return false, err
	}
	var says []utterance
	if t.New && s.Greeting != "" {
		says = append(says, utterance{reply: conversations.Text(s.Greeting)})
	}
	reason := ""
	answered := false
	if asks(text, s.handoffWords()) {
		reason = "asked"
	} else if kw, ok := r.keyword(ctx, t, text, false); ok {
		says, answered = append(says, utterance{reply: kw.reply(), answer: &answer{source: SourceKeyword,
			keywordID: kw.ID, question: text}}), true
	} else {
		rep, err := r.ask(ctx, s, Question{TenantID: t.TenantID, ChannelID: t.ChannelID,
			ConversationID: t.ConversationID, MessageID: t.MessageID, Text: text, Threshold: s.Threshold})
		switch {
		case err != nil:
			r.log.Warn("robot brain failed; handing over", "conversation", t.ConversationID, "err", err)
			reason = "robot_error"
		case rep.Handoff:
			if rep.Text != "" {
				says = append(says, utterance{reply: conversations.Text(rep.Text)})
			}
			reason = "bot_handoff"
		case rep.Confident:
			says, answered = append(says, utterance{reply: r.answerReply(ctx, t.TenantID, rep), answer: &answer{
				source: cmp.Or(rep.Source, SourceKB), articleID: rep.ArticleID, question: text}}), true
		case len(rep.Suggestions) > 0:
			says = append(says, utterance{reply: conversations.Text(suggestion(rep.Suggestions))})
		default:
			says = append(says, utterance{reply: conversations.Text(notKnownText)})
		}
	}
	return r.record(ctx, conv, s, says, answered, reason)
}

// utterance is one message the robot sends, with what answered the
// customer's question when it is an answer they may rate (nil: a greeting,
// suggestions, an apology).
type utterance struct {
	reply  conversations.Reply
	answer *answer
}

// answer is what gave one of the robot's answers, to what question.
type answer struct {
	source                         Source
	articleID, keywordID, question string
}

// keyword matches the tenant's keyword rules; a failure to read them is
// logged and leaves the question to the brain.
func (r *Robot) keyword(ctx context.Context, t Turn, text string, onlyAlways bool) (*Keyword, bool) {
	kw, ok, err := r.keywords.Match(ctx, t.TenantID, t.ChannelID, text, onlyAlways)
	if err != nil {
		r.log.Warn("keyword replies", "tenant", t.TenantID, "err", err)
	}
	return kw, ok
}

// record sends what the robot says and moves its counters in one
// transaction; a miss too many, or a reason, hands over.
func (r *Robot) record(ctx context.Context, conv *hub.Conversation, s Settings, says []utterance, answered bool,
	reason string) (bool, error) {
	handed := false
	err := r.k.Write(ctx, func(tx *store.Tx) error {
		var misses []int
		q := `SELECT misses FROM robot_conversations WHERE conversation_id = ? AND state = ?` + r.k.ForUpdate()
		if err := tx.Select(ctx, &misses, q, conv.ID, stateRobot); err != nil {
			return fmt.Errorf("robot state: %w", err)
		}
		if len(misses) == 0 {
			return nil // handed over meanwhile (another message, another process)
		}
		miss := 0
		if !answered && reason == "" {
			if miss = misses[0] + 1; miss >= s.MaxMisses {
				reason, says = "unanswered", says[:len(says)-1] // hand over instead of another miss
			}
		}
		if reason != "" {
			says = append(says, utterance{reply: conversations.Text(handoffText)})
		}
		if err := r.say(ctx, tx, conv, says); err != nil {
			return err
		}
		if reason == "" {
			const u = `UPDATE robot_conversations SET turns = turns + 1, answered = answered + ?, misses = ?,
				pending_since = NULL, updated_at = ? WHERE conversation_id = ?`
			_, err := tx.Exec(ctx, u, boolInt(answered), miss, tx.Now(), conv.ID)
			return err
		}
		const u = `UPDATE robot_conversations SET turns = turns + 1, state = ?, reason = ?, pending_since = NULL,
			updated_at = ? WHERE conversation_id = ?`
		if _, err := tx.Exec(ctx, u, stateHandedOver, reason, tx.Now(), conv.ID); err != nil {
			return err
		}
		handed = true
		return assign.Release(ctx, tx, conv)
	})
	if err != nil {
		return false, fmt.Errorf("robot answer: %w", err)
	}
	return handed, nil
}

// say stores the robot's messages (delivered like an agent's), and what
// answered each answer, for the customer's "helpful?".
func (r *Robot) say(ctx context.Context, tx *store.Tx, conv *hub.Conversation, says []utterance) error {
	for _, u := range says {
		if u.answer != nil {
			u.reply.Type = typeAnswer // the customer may rate it
		}
		m, err := r.convs.Outgoing(ctx, tx, conv, hub.SenderRobot, "", u.reply)
		if err != nil {
			return err
		}
		if u.answer == nil {
			continue
		}
		const q = `INSERT INTO robot_answers (message_id, tenant_id, conversation_id, source, article_id, question)
			VALUES (?, ?, ?, ?, ?, ?)`
		a := u.answer
		if _, err := tx.Exec(ctx, q, m.ID, conv.TenantID, conv.ID, string(a.source), a.articleID,
			hub.Truncate(a.question, 200)); err != nil {
			return fmt.Errorf("robot answer: %w", err)
		}
		if a.keywordID != "" {
			if err := hit(ctx, tx, a.keywordID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Always reports whether a keyword rule that answers always matches a
// customer message (as received): then the pipeline hands the robot the
// message (AutoReply) although it does not work the conversation. It reads
// the cached rules only, so tenants without such rules pay a map lookup.
func (r *Robot) Always(ctx context.Context, tenantID, channelID, text string) bool {
	on, err := r.keywords.Always(ctx, tenantID)
	if err != nil {
		r.log.Warn("keyword replies", "tenant", tenantID, "err", err)
	}
	if !on {
		return false
	}
	_, ok := r.keyword(ctx, Turn{TenantID: tenantID, ChannelID: channelID}, text, true)
	return ok
}

// AutoReply answers a customer message of a conversation the robot does
// not work with the best keyword rule that answers always, if one matches.
func (r *Robot) AutoReply(ctx context.Context, t Turn) error {
	ms, err := r.convs.ByIDs(ctx, []string{t.MessageID})
	if err != nil || len(ms) != 1 {
		return fmt.Errorf("robot message %s: %w", t.MessageID, errors.Join(err, hub.ErrNotFound))
	}
	kw, ok := r.keyword(ctx, t, ms[0].Text, true)
	if !ok || ms[0].Direction != hub.DirectionIn {
		return nil
	}
	conv, err := r.convs.ByID(ctx, t.ConversationID)
	if err != nil {
		return err
	}
	err = r.k.Write(ctx, func(tx *store.Tx) error {
		return r.say(ctx, tx, conv, []utterance{{reply: kw.reply(), answer: &answer{source: SourceKeyword,
			keywordID: kw.ID, question: ms[0].Text}}})
	})
	if err != nil {
		return fmt.Errorf("keyword auto-reply: %w", err)
	}
	return nil
}

// asks reports whether the customer asks for a person.
func asks(text string, words []string) bool {
	text = strings.ToLower(strings.TrimSpace(text))
	for _, w := range words {
		if w != "" && strings.Contains(text, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func suggestion(qs []string) string {
	var b strings.Builder
	b.WriteString(suggestText)
	for i, q := range qs {
		fmt.Fprintf(&b, "\n%d. %s", i+1, q)
	}
	b.WriteString("\n" + suggestHint)
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lostAfter is how long a customer message may wait for the robot before
// the conversation goes to a person (its turn was lost with a process).
const lostAfter = 30 * time.Second

// Lost hands over the conversations whose customer waited for the robot
// longer than lostAfter, and returns them (route them now). A hub process
// runs it from its sweeper.
func (r *Robot) Lost(ctx context.Context) ([]Turn, error) {
	var rows []struct {
		ConversationID string `db:"conversation_id"`
		TenantID       string `db:"tenant_id"`
	}
	const q = `SELECT conversation_id, tenant_id FROM robot_conversations
		WHERE pending_since IS NOT NULL AND pending_since < ? AND state = ? LIMIT 100`
	if err := r.k.Select(ctx, &rows, q, r.k.Now().Add(-lostAfter), stateRobot); err != nil {
		return nil, fmt.Errorf("lost robot turns: %w", err)
	}
	var out []Turn
	for _, row := range rows {
		conv, err := r.convs.ByID(ctx, row.ConversationID)
		if err != nil {
			return out, err
		}
		handed, err := r.record(ctx, conv, Settings{MaxMisses: 1}, nil, false, "robot_timeout")
		if err != nil {
			return out, err
		}
		if handed {
			out = append(out, Turn{TenantID: row.TenantID, ChannelID: conv.ChannelID, ConversationID: conv.ID})
		}
	}
	return out, nil
}
