package qa

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Limits of the sensitive-word list (敏感词).
const (
	maxWords   = 500
	maxWordLen = 50
	// wordsTTL is how long a process keeps a tenant's list before reading
	// it again: a change made on another hub process applies within it.
	wordsTTL = 30 * time.Second
)

// Words lists the tenant's sensitive words, sorted.
func (s *Store) Words(ctx context.Context, a *hub.Agent) ([]string, error) {
	if err := staff(a, "see the sensitive words"); err != nil {
		return nil, err
	}
	return s.loadWords(ctx, a.TenantID)
}

func (s *Store) loadWords(ctx context.Context, tenantID string) ([]string, error) {
	out := []string{}
	if err := s.k.Select(ctx, &out, `SELECT word FROM qa_words WHERE tenant_id = ? ORDER BY word`, tenantID); err != nil {
		return nil, fmt.Errorf("list sensitive words: %w", err)
	}
	return out, nil
}

// SetWords replaces the tenant's sensitive words (admins only). Words
// match any case; blanks and repeats are dropped.
func (s *Store) SetWords(ctx context.Context, a *hub.Agent, words []string) ([]string, error) {
	if a.Role != hub.RoleAdmin {
		return nil, fmt.Errorf("%w: only admins change the sensitive words", hub.ErrForbidden)
	}
	seen, list := map[string]bool{}, []string{}
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(hub.Clean(w)))
		if w == "" || seen[w] {
			continue
		}
		if utf8.RuneCountInString(w) > maxWordLen {
			return nil, hub.Invalid("a word is at most %d characters", maxWordLen)
		}
		seen[w] = true
		list = append(list, w)
	}
	if len(list) > maxWords {
		return nil, hub.Invalid("at most %d words", maxWords)
	}
	sort.Strings(list)
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM qa_words WHERE tenant_id = ?`, a.TenantID); err != nil {
			return fmt.Errorf("clear sensitive words: %w", err)
		}
		for _, w := range list {
			if _, err := tx.Exec(ctx, `INSERT INTO qa_words (tenant_id, word, created_at) VALUES (?, ?, ?)`,
				a.TenantID, w, tx.Now()); err != nil {
				return fmt.Errorf("insert sensitive word: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.words.put(a.TenantID, list)
	return list, nil
}

// wordCache keeps each tenant's list for wordsTTL, so the send path
// reads the database at most once per tenant in that time.
type wordCache struct {
	mu sync.Mutex
	by map[string]cachedWords
}

type cachedWords struct {
	m  *matcher
	at time.Time
}

func newWordCache() *wordCache { return &wordCache{by: map[string]cachedWords{}} }

func (c *wordCache) get(tenantID string, now time.Time) (*matcher, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.by[tenantID]
	return e.m, ok && now.Sub(e.at) < wordsTTL
}

func (c *wordCache) put(tenantID string, words []string) *matcher {
	m := newMatcher(words)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.by[tenantID] = cachedWords{m: m, at: time.Now()}
	return m
}

// Match returns the words of the list that text contains, any case.
func Match(words []string, text string) []string { return newMatcher(words).match(text) }

// matcher finds a list's words in a text in one pass over the text: the
// words are filed by their first rune, and only those starting with the
// rune at hand are compared (a full list of 500 words costs a few
// microseconds per message, not one scan of the text per word).
type matcher struct {
	byFirst map[rune][]string
}

func newMatcher(words []string) *matcher {
	m := &matcher{byFirst: map[rune][]string{}}
	for _, w := range words {
		if r, _ := utf8.DecodeRuneInString(w); w != "" {
			m.byFirst[r] = append(m.byFirst[r], w)
		}
	}
	return m
}

func (m *matcher) match(text string) []string {
	if len(m.byFirst) == 0 || text == "" {
		return nil
	}
	lower := strings.ToLower(text)
	var out []string
	for i, r := range lower {
		for _, w := range m.byFirst[r] {
			if strings.HasPrefix(lower[i:], w) && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Alert is an agent message that contained sensitive words.
type Alert struct {
	ID             string           `db:"id" json:"id"`
	TenantID       string           `db:"tenant_id" json:"-"`
	ConversationID string           `db:"conversation_id" json:"conversation_id"`
	MessageID      string           `db:"message_id" json:"message_id"`
	AgentID        string           `db:"agent_id" json:"agent_id"`
	Words          jsonList[string] `db:"words" json:"words"`
	Text           string           `db:"text" json:"text"`
	CreatedAt      time.Time        `db:"created_at" json:"created_at"`
}

// alertText is how much of the message an alert keeps.
const alertText = 500

// Watch checks an agent's message as it is stored (the conversation
// store's watch, in the sending transaction): when it holds sensitive
// words, an alert is stored and supervisors get qa.sensitive_word. The
// message goes out all the same.
func (s *Store) Watch(ctx context.Context, tx *store.Tx, c *hub.Conversation, m *hub.Message) error {
	match, fresh := s.words.get(c.TenantID, time.Now())
	if !fresh {
		words, err := s.loadWords(ctx, c.TenantID)
		if err != nil {
			return err
		}
		match = s.words.put(c.TenantID, words)
	}
	hit := match.match(m.Text)
	if len(hit) == 0 {
		return nil
	}
	al := Alert{ID: hub.NewID("qw"), TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID, AgentID: m.SenderID,
		Words: hit, Text: hub.Truncate(m.Text, alertText), CreatedAt: tx.Now()}
	const q = `INSERT INTO qa_alerts (id, tenant_id, conversation_id, message_id, agent_id, words, text, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, q, al.ID, al.TenantID, al.ConversationID, al.MessageID, al.AgentID, al.Words.text(), al.Text,
		al.CreatedAt); err != nil {
		return fmt.Errorf("insert sensitive-word alert: %w", err)
	}
	// no audience agent: admins and supervisors of the tenant see it, and
	// the webhook subscriptions that asked for it (never the channel's
	// own callback: the customer's side)
	tx.Emit(hub.Event{TenantID: c.TenantID, Type: hub.EvSensitiveWord, ConversationID: c.ID, ChannelID: c.ChannelID}, al)
	return nil
}

// Alerts lists the tenant's sensitive-word alerts, newest first.
func (s *Store) Alerts(ctx context.Context, a *hub.Agent, limit int) ([]Alert, error) {
	if err := staff(a, "see sensitive-word alerts"); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	out := []Alert{}
	q := fmt.Sprintf(`SELECT id, tenant_id, conversation_id, message_id, agent_id, words, text, created_at FROM qa_alerts
		WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT %d`, limit)
	if err := s.k.Select(ctx, &out, q, a.TenantID); err != nil {
		return nil, fmt.Errorf("list sensitive-word alerts: %w", err)
	}
	return out, nil
}
