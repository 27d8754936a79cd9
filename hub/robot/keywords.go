package robot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// MatchType is how a keyword rule matches a customer message.
type MatchType string

// Match types.
const (
	MatchExact    MatchType = "exact"    // the whole message, any case, spaces folded
	MatchContains MatchType = "contains" // the message contains the pattern, any case
	MatchRegex    MatchType = "regex"    // an RE2 pattern (linear time, no backtracking)
)

// Card is a rich reply: a link card (WeChat sends it as a news message).
type Card struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	Picture     string `json:"picture"`
}

// Keyword is a keyword auto-reply rule (关键词自动回复).
type Keyword struct {
	ID string `json:"id"`
	// ChannelID limits the rule to one channel ("" = every channel).
	ChannelID string    `json:"channel_id"`
	Match     MatchType `json:"match"`
	Pattern   string    `json:"pattern"`
	// Priority orders the rules: the highest matching one answers.
	Priority int  `json:"priority"`
	Enabled  bool `json:"enabled"`
	// Always answers even when the channel's robot is off or a person has
	// the conversation (like an official account's keyword replies).
	Always bool `json:"always"`
	// Reply is the text answer; with a Card it is the card's lead text.
	Reply     string    `json:"reply"`
	Card      *Card     `json:"card"`
	Hits      int64     `json:"hits"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	re        *regexp.Regexp
	folded    string // Pattern as exact and contains rules compare it
}

// KeywordInput creates or replaces a rule (enabled when omitted).
type KeywordInput struct {
	ChannelID string    `json:"channel_id"`
	Match     MatchType `json:"match"`
	Pattern   string    `json:"pattern"`
	Priority  int       `json:"priority"`
	Enabled   *bool     `json:"enabled"`
	Always    bool      `json:"always"`
	Reply     string    `json:"reply"`
	Card      *Card     `json:"card"`
}

// Limits of the rules: a pattern and the text it is matched against are
// bounded, so one rule costs microseconds.
const (
	maxPattern  = 200
	maxReply    = 2000
	maxKeywords = 500
	maxMatched  = 2000 // runes of a message a rule reads
)

// keyword validates an input into a rule (messages in Chinese: admins read them).
func (in KeywordInput) keyword() (Keyword, error) {
	k := Keyword{ChannelID: strings.TrimSpace(in.ChannelID), Match: in.Match, Pattern: strings.TrimSpace(hub.Clean(in.Pattern)),
		Priority: in.Priority, Enabled: in.Enabled == nil || *in.Enabled, Always: in.Always,
		Reply: strings.TrimSpace(hub.Clean(in.Reply))}
	switch {
	case k.Match != MatchExact && k.Match != MatchContains && k.Match != MatchRegex:
		return k, hub.Coded("keyword_match", hub.Invalid("匹配方式须为 exact（完全匹配）、contains（包含）或 regex（正则）"))
	case k.Pattern == "" || utf8.RuneCountInString(k.Pattern) > maxPattern:
		return k, hub.Coded("keyword_pattern", hub.Invalid("关键词不能为空，最多 %d 个字符", maxPattern), "max", strconv.Itoa(maxPattern))
	case utf8.RuneCountInString(k.Reply) > maxReply:
		return k, hub.Coded("keyword_reply_long", hub.Invalid("回复内容最多 %d 个字符", maxReply), "max", strconv.Itoa(maxReply))
	case k.Reply == "" && in.Card == nil:
		return k, hub.Coded("keyword_reply_required", hub.Invalid("请填写回复内容或图文链接"))
	case k.Priority < -1000 || k.Priority > 1000:
		return k, hub.Coded("keyword_priority", hub.Invalid("优先级须在 -1000 到 1000 之间"), "min", "-1000", "max", "1000")
	}
	if k.Match == MatchRegex {
		re, err := regexp.Compile(k.Pattern)
		if err != nil {
			return k, regexError(k.Pattern, err)
		}
		k.re = re
	}
	if in.Card != nil {
		c, err := in.Card.clean()
		if err != nil {
			return k, err
		}
		k.Card = &c
	}
	return k, nil
}

// regexProblems names the RE2 parser's common complaints for the UI.
var regexProblems = map[syntax.ErrorCode]string{
	syntax.ErrMissingParen: "missing_paren", syntax.ErrMissingBracket: "missing_bracket",
	syntax.ErrUnexpectedParen: "unexpected_paren", syntax.ErrInvalidEscape: "bad_escape",
	syntax.ErrMissingRepeatArgument: "bad_repeat", syntax.ErrInvalidRepeatOp: "bad_repeat",
	syntax.ErrInvalidRepeatSize: "bad_repeat", syntax.ErrInvalidCharClass: "bad_class",
	syntax.ErrInvalidCharRange: "bad_class", syntax.ErrInvalidPerlOp: "bad_perl",
	syntax.ErrTrailingBackslash: "trailing_backslash",
}

// regexError says why a pattern is not an RE2 regular expression: the
// reason keyword_regex with the pattern, the parser's problem (missing_paren,
// bad_repeat … or other) and the part it stumbled on, which the UI words.
func regexError(pattern string, err error) error {
	problem, part := "other", pattern
	var se *syntax.Error
	if errors.As(err, &se) {
		part = se.Expr
		if p, ok := regexProblems[se.Code]; ok {
			problem = p
		}
	}
	return hub.Coded("keyword_regex", hub.Invalid("正则表达式无效：%s", strings.TrimPrefix(err.Error(), "error parsing regexp: ")),
		"pattern", pattern, "problem", problem, "part", part)
}

func (c Card) clean() (Card, error) {
	c = Card{Title: oneLine(c.Title), Description: strings.TrimSpace(hub.Clean(c.Description)),
		URL: strings.TrimSpace(c.URL), Picture: strings.TrimSpace(c.Picture)}
	switch {
	case c.Title == "" || utf8.RuneCountInString(c.Title) > 64:
		return c, hub.Coded("card_title", hub.Invalid("图文标题不能为空，最多 64 个字符"), "max", "64")
	case utf8.RuneCountInString(c.Description) > 200:
		return c, hub.Coded("card_description", hub.Invalid("图文描述最多 200 个字符"), "max", "200")
	case !webURL(c.URL):
		return c, hub.Coded("card_url", hub.Invalid("图文链接须为 http:// 或 https:// 开头的网址"))
	case c.Picture != "" && !webURL(c.Picture):
		return c, hub.Coded("card_picture", hub.Invalid("图片地址须为 http:// 或 https:// 开头的网址"))
	}
	return c, nil
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= 1000 && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(hub.Clean(s)), " ") }

// fold is a message as exact and contains rules read it.
func fold(s string) string { return strings.ToLower(oneLine(s)) }

// matches reports whether the rule answers the text (folded for exact and
// contains rules, as written for regex ones).
func (k *Keyword) matches(text, folded string) bool {
	switch k.Match {
	case MatchExact:
		return folded == k.folded
	case MatchContains:
		return strings.Contains(folded, k.folded)
	case MatchRegex:
		return k.re != nil && k.re.MatchString(text)
	}
	return false
}

// reply is what the rule sends: its text, or a link card whose text
// carries the link for channels that cannot show cards.
func (k *Keyword) reply() conversations.Reply {
	if k.Card == nil {
		return conversations.Text(k.Reply)
	}
	lines := []string{}
	for _, s := range []string{k.Reply, k.Card.Title, k.Card.Description, k.Card.URL} {
		if s != "" {
			lines = append(lines, s)
		}
	}
	return conversations.Reply{Type: "text", Content: strings.Join(lines, "\n"),
		Attachments: []hub.Attachment{{Type: hub.AttachmentLink, Name: k.Card.Title, URL: k.Card.URL,
			Description: k.Card.Description, Picture: k.Card.Picture}}}
}

// Keywords keeps the keyword rules and matches messages against them,
// from a per-tenant cache of compiled rules (trusted for activeTTL, so a
// change reaches every process within it; this one sees it at once).
type Keywords struct {
	k *store.Store
	// owns reports whether a channel is the tenant's (a rule may name one).
	owns  func(ctx context.Context, tenantID, channelID string) error
	mu    sync.Mutex
	cache map[string]ruleSet
}

type ruleSet struct {
	rules  []*Keyword // enabled, best first
	always bool       // some rule answers always
	at     time.Time
}

func newKeywords(k *store.Store, owns func(ctx context.Context, tenantID, channelID string) error) *Keywords {
	return &Keywords{k: k, owns: owns, cache: map[string]ruleSet{}}
}

type keywordRow struct {
	ID        string    `db:"id"`
	ChannelID string    `db:"channel_id"`
	Match     string    `db:"match_type"`
	Pattern   string    `db:"pattern"`
	Priority  int       `db:"priority"`
	Enabled   bool      `db:"enabled"`
	Always    bool      `db:"always"`
	Reply     string    `db:"reply_text"`
	Card      string    `db:"card"`
	Hits      int64     `db:"hits"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (r keywordRow) keyword() *Keyword {
	k := &Keyword{ID: r.ID, ChannelID: r.ChannelID, Match: MatchType(r.Match), Pattern: r.Pattern, Priority: r.Priority,
		Enabled: r.Enabled, Always: r.Always, Reply: r.Reply, Hits: r.Hits, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.Card != "" {
		var c Card
		if json.Unmarshal([]byte(r.Card), &c) == nil {
			k.Card = &c
		}
	}
	if k.Match == MatchRegex {
		k.re, _ = regexp.Compile(k.Pattern) // validated when saved
	}
	k.folded = fold(k.Pattern)
	return k
}

const keywordCols = `id, channel_id, match_type, pattern, priority, enabled, always, reply_text, card, hits, created_at, updated_at`

// List lists a tenant's rules, highest priority first.
func (s *Keywords) List(ctx context.Context, tenantID string) ([]*Keyword, error) {
	var rows []keywordRow
	q := `SELECT ` + keywordCols + ` FROM robot_keywords WHERE tenant_id = ? ORDER BY priority DESC, created_at, id`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return nil, fmt.Errorf("list keyword replies: %w", err)
	}
	out := make([]*Keyword, len(rows))
	for i, r := range rows {
		out[i] = r.keyword()
	}
	return out, nil
}

// Create adds a rule.
func (s *Keywords) Create(ctx context.Context, tenantID string, in KeywordInput) (*Keyword, error) {
	k, err := s.valid(ctx, tenantID, in)
	if err != nil {
		return nil, err
	}
	k.ID, k.CreatedAt, k.UpdatedAt = hub.NewID("kw"), s.k.Now(), s.k.Now()
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		var n []int
		if err := tx.Select(ctx, &n, `SELECT COUNT(*) FROM robot_keywords WHERE tenant_id = ?`, tenantID); err != nil {
			return fmt.Errorf("count keyword replies: %w", err)
		}
		if len(n) == 1 && n[0] >= maxKeywords {
			return hub.Coded("keyword_limit", hub.Invalid("关键词回复最多 %d 条", maxKeywords), "max", strconv.Itoa(maxKeywords))
		}
		const q = `INSERT INTO robot_keywords (id, tenant_id, channel_id, match_type, pattern, priority, enabled, always,
			reply_text, card, hits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`
		_, err := tx.Exec(ctx, q, k.ID, tenantID, k.ChannelID, string(k.Match), k.Pattern, k.Priority, k.Enabled, k.Always,
			k.Reply, cardJSON(k.Card), k.CreatedAt, k.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create keyword reply: %w", err)
	}
	s.forget(tenantID)
	return &k, nil
}

// Update replaces a rule; another tenant's is not found.
func (s *Keywords) Update(ctx context.Context, tenantID, id string, in KeywordInput) (*Keyword, error) {
	k, err := s.valid(ctx, tenantID, in)
	if err != nil {
		return nil, err
	}
	const q = `UPDATE robot_keywords SET channel_id = ?, match_type = ?, pattern = ?, priority = ?, enabled = ?, always = ?,
		reply_text = ?, card = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	n, err := s.k.Exec(ctx, q, k.ChannelID, string(k.Match), k.Pattern, k.Priority, k.Enabled, k.Always, k.Reply,
		cardJSON(k.Card), s.k.Now(), tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("update keyword reply: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("keyword reply %s: %w", id, hub.ErrNotFound)
	}
	s.forget(tenantID)
	var r keywordRow
	if err := s.k.Get(ctx, &r, `SELECT `+keywordCols+` FROM robot_keywords WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, fmt.Errorf("read keyword reply: %w", err)
	}
	return r.keyword(), nil
}

// Delete removes a rule.
func (s *Keywords) Delete(ctx context.Context, tenantID, id string) error {
	n, err := s.k.Exec(ctx, `DELETE FROM robot_keywords WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete keyword reply: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("keyword reply %s: %w", id, hub.ErrNotFound)
	}
	s.forget(tenantID)
	return nil
}

func (s *Keywords) valid(ctx context.Context, tenantID string, in KeywordInput) (Keyword, error) {
	k, err := in.keyword()
	if err != nil {
		return k, err
	}
	if k.ChannelID != "" {
		if err := s.owns(ctx, tenantID, k.ChannelID); err != nil {
			return k, hub.Coded("keyword_channel", hub.Invalid("渠道不存在"))
		}
	}
	return k, nil
}

func cardJSON(c *Card) string {
	if c == nil {
		return ""
	}
	b, _ := json.Marshal(c) // strings always encode
	return string(b)
}

func (s *Keywords) forget(tenantID string) {
	s.mu.Lock()
	delete(s.cache, tenantID)
	s.mu.Unlock()
}

// rules returns the tenant's enabled rules, best first.
func (s *Keywords) rules(ctx context.Context, tenantID string) (ruleSet, error) {
	s.mu.Lock()
	rs, ok := s.cache[tenantID]
	s.mu.Unlock()
	if ok && time.Since(rs.at) < activeTTL {
		return rs, nil
	}
	all, err := s.List(ctx, tenantID)
	if err != nil {
		return ruleSet{}, err
	}
	rs = ruleSet{at: time.Now()}
	for _, k := range all {
		if k.Enabled {
			rs.rules = append(rs.rules, k)
			rs.always = rs.always || k.Always
		}
	}
	sort.SliceStable(rs.rules, func(i, j int) bool { return rs.rules[i].Priority > rs.rules[j].Priority })
	s.mu.Lock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[tenantID] = rs
	s.mu.Unlock()
	return rs, nil
}

// Match returns the best enabled rule of the channel that answers text,
// and whether there is one; onlyAlways keeps to the rules that answer
// always.
func (s *Keywords) Match(ctx context.Context, tenantID, channelID, text string, onlyAlways bool) (*Keyword, bool, error) {
	rs, err := s.rules(ctx, tenantID)
	if err != nil || len(rs.rules) == 0 || strings.TrimSpace(text) == "" {
		return nil, false, err
	}
	text = hub.Truncate(text, maxMatched)
	folded := fold(text)
	for _, k := range rs.rules {
		if (k.ChannelID == "" || k.ChannelID == channelID) && (!onlyAlways || k.Always) && k.matches(text, folded) {
			return k, true, nil
		}
	}
	return nil, false, nil
}

// Always reports whether the tenant has a rule that answers always (so
// the pipeline hands the robot messages it does not otherwise work).
func (s *Keywords) Always(ctx context.Context, tenantID string) (bool, error) {
	rs, err := s.rules(ctx, tenantID)
	return rs.always, err
}

// hit counts a rule's answer.
func hit(ctx context.Context, tx *store.Tx, id string) error {
	if _, err := tx.Exec(ctx, `UPDATE robot_keywords SET hits = hits + 1 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("count keyword reply: %w", err)
	}
	return nil
}
