package bench

import (
	"context"
	"fmt"
	"net/http"
)

// audit tells lost messages apart by reading the bench tenant's store over
// the REST API: a lost message that is stored was never pushed to its
// agent's socket (a realtime-path bug); one that is not stored is still
// queued on the bus or was dropped before the database. It returns the
// lost ids found stored and whether every active conversation was listed.
// The sockets stay open meanwhile: the caller rechecks which of them were
// still unseen a moment later.
func audit(ctx context.Context, admin *apiClient, lost map[string]bool) (stored map[string]bool, complete bool, err error) {
	complete, stored = true, map[string]bool{}
	for _, status := range []string{"queued", "open", "offline"} {
		var list struct {
			Conversations []struct {
				ID string `json:"id"`
			} `json:"conversations"`
		}
		if err := admin.do(ctx, http.MethodGet, "/api/v1/conversations?limit=500&status="+status, http.StatusOK, nil, &list); err != nil {
			return stored, false, fmt.Errorf("audit: list %s conversations: %w", status, err)
		}
		if len(list.Conversations) == 500 {
			complete = false
		}
		for _, c := range list.Conversations {
			if err := storedLost(ctx, admin, c.ID, lost, stored); err != nil {
				return stored, false, err
			}
		}
	}
	return stored, complete, nil
}

// storedLost pages through one conversation's messages and adds those in
// lost to stored.
func storedLost(ctx context.Context, admin *apiClient, convID string, lost, stored map[string]bool) error {
	for after := int64(0); ; {
		var page struct {
			Messages []struct {
				Seq        int64  `json:"seq"`
				ExternalID string `json:"external_id"`
			} `json:"messages"`
		}
		path := fmt.Sprintf("/api/v1/conversations/%s/messages?after_seq=%d&limit=500", convID, after)
		if err := admin.do(ctx, http.MethodGet, path, http.StatusOK, nil, &page); err != nil {
			return fmt.Errorf("audit: messages of %s: %w", convID, err)
		}
		for _, m := range page.Messages {
			if lost[m.ExternalID] {
				stored[m.ExternalID] = true
			}
			after = m.Seq
		}
		if len(page.Messages) < 500 {
			return nil
		}
	}
}
