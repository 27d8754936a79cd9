package ratings

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// A rating link names one conversation and when it stops working, signed
// with the tenant's newest link key (keys.go): "{conversation id}-{expiry, unix seconds in
// base 36}-{HMAC-SHA256, 10 bytes in base 32}", about 50 characters, so
// that the link fits the invitation on WeChat, Weibo and QQ. Nothing is
// stored per link; a link forged, cut or for another conversation fails
// the signature.

// ErrLinkExpired is a rating link whose time is over.
var ErrLinkExpired = hub.Coded("rating_link_expired", fmt.Errorf("%w: the rating link has expired", hub.ErrForbidden))

var (
	macEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	tokenShape  = regexp.MustCompile(`^([a-z0-9_]{1,64})-([0-9a-z]{1,10})-([a-z2-7]{16})$`)
)

// linkPath is where the hub serves the rating page of a token.
const linkPath = "/r/"

func sign(key []byte, convID string, exp int64) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "rating-link|%s|%d", convID, exp)
	return macEncoding.EncodeToString(m.Sum(nil)[:10])
}

// link is the rating page's address for c until exp ("" when the hub has
// no public address to link to).
func (s *Store) link(ctx context.Context, tx *store.Tx, c *hub.Conversation, exp time.Time) (string, error) {
	if s.base == "" {
		return "", nil
	}
	key, err := s.signingKey(ctx, tx, c.TenantID)
	if err != nil {
		return "", err
	}
	e := exp.Unix()
	return s.base + linkPath + c.ID + "-" + strconv.FormatInt(e, 36) + "-" + sign(key, c.ID, e), nil
}

// Rateable is the conversation a rating link names, with its tenant's
// scale: what the rating page shows and takes.
type Rateable struct {
	Conversation hub.Conversation
	Settings     Settings
	Expires      time.Time
	// Rating is the one given (nil: none yet).
	Rating *hub.Rating
	// ChangeableUntil is when the rating given stops changing (zero: it
	// can no longer change, or there is none).
	ChangeableUntil time.Time
}

// OpenLink checks a rating link's token: ErrNotFound for one that is
// malformed, forged or names no conversation, ErrLinkExpired after its
// time. Nothing is written.
func (s *Store) OpenLink(ctx context.Context, q store.Querier, token string) (*Rateable, error) {
	notFound := fmt.Errorf("rating link: %w", hub.ErrNotFound)
	m := tokenShape.FindStringSubmatch(token)
	if m == nil {
		return nil, notFound
	}
	exp, err := strconv.ParseInt(m[2], 36, 64)
	if err != nil {
		return nil, notFound
	}
	var cs []hub.Conversation
	const cq = `SELECT id, tenant_id, channel_id, contact_id, assignee_id FROM conversations WHERE id = ?`
	if err := q.Select(ctx, &cs, cq, m[1]); err != nil {
		return nil, fmt.Errorf("rated conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil, notFound
	}
	ring, err := s.keyRing(ctx, q, cs[0].TenantID)
	if err != nil {
		return nil, err
	}
	if !ring.signed(m[1], exp, m[3]) {
		return nil, notFound
	}
	r := &Rateable{Conversation: cs[0], Expires: time.Unix(exp, 0).UTC()}
	if !s.k.Now().Before(r.Expires) {
		return nil, ErrLinkExpired
	}
	if r.Settings, err = s.Settings(ctx, q, r.Conversation.TenantID); err != nil {
		return nil, err
	}
	return r, s.given(ctx, q, r)
}

// given fills in the rating the conversation has, and until when it may
// change.
func (s *Store) given(ctx context.Context, q store.Querier, r *Rateable) error {
	var rs []hub.Rating
	const rq = `SELECT score, comment, reasons, created_at FROM ratings WHERE conversation_id = ?`
	if err := q.Select(ctx, &rs, rq, r.Conversation.ID); err != nil {
		return fmt.Errorf("rating: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	r.Rating = &rs[0]
	until := rs[0].CreatedAt.Add(time.Duration(r.Settings.ChangeMinutes) * time.Minute)
	if s.k.Now().Before(until) {
		r.ChangeableUntil = until
	}
	return nil
}

// RateByLink stores the rating given on the page a link opens (or changes
// it while the tenant's window lasts: ErrConflict after), as the widget's
// form does, and counts as the answer to the invitation (a number sent
// later is a message). The token is checked first: a bad one changes
// nothing.
func (s *Store) RateByLink(ctx context.Context, token string, score int, comment string, reasons []string) (*Rateable, error) {
	if _, err := s.OpenLink(ctx, s.k, token); err != nil {
		return nil, err
	}
	var out *Rateable
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.OpenLink(ctx, tx, token)
		if err != nil {
			return err
		}
		if err := s.Record(ctx, tx, &r.Conversation, score, strings.TrimSpace(comment), reasons); err != nil {
			return err
		}
		const up = `UPDATE rating_invites SET answered_by = 'link' WHERE conversation_id = ? AND answered_by = ''`
		if _, err := tx.Exec(ctx, up, r.Conversation.ID); err != nil {
			return fmt.Errorf("answer rating invitation: %w", err)
		}
		out = r
		return s.given(ctx, tx, r)
	})
	return out, err
}
