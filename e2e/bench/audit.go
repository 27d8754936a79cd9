package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// storeAudit reads the bench channel's messages back from the hub's store
// over the REST API (as the bench tenant's admin) and records every
// customer message row in the ledger. It is incremental: it remembers the
// last seq read per conversation (seqs are gap-free and committed in
// order), so however many passes run, each row is read once, and a second
// row with the same external id is a message stored twice.
type storeAudit struct {
	admin     *apiClient
	channelID string
	ledger    *ledger.Ledger
	read      map[string]int64 // conversation id → last seq read
	sum       ledger.AuditSummary
}

func newStoreAudit(admin *apiClient, channelID string, l *ledger.Ledger) *storeAudit {
	return &storeAudit{admin: admin, channelID: channelID, ledger: l, read: map[string]int64{}}
}

// convHead is the part of a listed conversation the audit needs.
type convHead struct {
	ID      string `json:"id"`
	LastSeq int64  `json:"last_seq"`
}

// pass lists the channel's conversations and reads the rows added since
// the last pass, within timeout.
func (a *storeAudit) pass(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	a.sum.Passes++
	a.sum.Complete, a.sum.Error = false, ""
	err := a.readAll(ctx)
	if err != nil {
		a.sum.Error = err.Error()
		return err
	}
	a.sum.Complete = true
	return nil
}

func (a *storeAudit) readAll(ctx context.Context) error {
	convs, err := a.list(ctx)
	if err != nil {
		return err
	}
	for _, c := range convs {
		if _, ok := a.read[c.ID]; !ok {
			a.read[c.ID] = 0
			a.sum.Conversations++
		}
		if c.LastSeq > a.read[c.ID] {
			if err := a.messages(ctx, c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// list pages through every conversation of the channel, whatever its status.
func (a *storeAudit) list(ctx context.Context) ([]convHead, error) {
	var out []convHead
	q := url.Values{"status": {"all"}, "limit": {"500"}, "channel_id": {a.channelID}}
	for {
		var page struct {
			Conversations []convHead `json:"conversations"`
			NextBefore    string     `json:"next_before"`
		}
		if err := a.admin.do(ctx, http.MethodGet, "/api/v1/conversations?"+q.Encode(), http.StatusOK, nil, &page); err != nil {
			return nil, fmt.Errorf("audit: list conversations: %w", err)
		}
		out = append(out, page.Conversations...)
		if page.NextBefore == "" || len(page.Conversations) == 0 {
			return out, nil
		}
		q.Set("before", page.NextBefore)
	}
}

// storedMessage is the part of a stored message the audit needs.
type storedMessage struct {
	Seq        int64     `json:"seq"`
	Direction  string    `json:"direction"`
	ExternalID string    `json:"external_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// messages reads one conversation's rows after the last seq read.
func (a *storeAudit) messages(ctx context.Context, convID string) error {
	for {
		var page struct {
			Messages []storedMessage `json:"messages"`
		}
		path := "/api/v1/conversations/" + url.PathEscape(convID) + "/messages?limit=500&after_seq=" +
			strconv.FormatInt(a.read[convID], 10)
		if err := a.admin.do(ctx, http.MethodGet, path, http.StatusOK, nil, &page); err != nil {
			return fmt.Errorf("audit: messages of %s: %w", convID, err)
		}
		for _, m := range page.Messages {
			if m.Seq <= a.read[convID] {
				return errors.New("audit: the hub returned messages out of seq order")
			}
			a.read[convID] = m.Seq
			if m.Direction != "in" || m.ExternalID == "" {
				continue
			}
			a.sum.Rows++
			if !a.ledger.Stored(m.ExternalID, m.CreatedAt) {
				a.sum.Foreign++
			}
		}
		if len(page.Messages) < 500 {
			return nil
		}
	}
}
