package app

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Presence: each open app socket has a row in app_sockets on whichever hub
// process holds it, its until_at kept ahead by that process's heartbeat and
// set to the moment it closed (or its app went to the background), so any
// process delivering a message can tell whether the user had a socket when
// the message was written — which showed it then, or in its welcome if it
// opened later — or needs a push. A process that dies leaves rows that
// lapse within presenceTTL; rows are forgotten presenceKept after.
const (
	presenceTTL   = 90 * time.Second
	presenceEvery = 30 * time.Second
	presenceKept  = 10 * time.Minute
)

func (c *users) arrive(ctx context.Context, id, channelID, ext string) error {
	const q = `INSERT INTO app_sockets (id, channel_id, contact_external_id, until_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET until_at = excluded.until_at`
	if _, err := c.k.Exec(ctx, q, id, channelID, ext, c.k.Now().Add(presenceTTL)); err != nil {
		return fmt.Errorf("app socket presence: %w", err)
	}
	return nil
}

func (c *users) depart(ctx context.Context, id string) {
	if _, err := c.k.Exec(ctx, `UPDATE app_sockets SET until_at = ? WHERE id = ?`, c.k.Now(), id); err != nil {
		c.k.Log().Debug("app socket presence", "err", err)
	}
}

// present reports whether the user had an app socket open (in the
// foreground) on some process at the time, or opened one since.
func (c *users) present(ctx context.Context, channelID, ext string, at time.Time) (bool, error) {
	var n int
	const q = `SELECT COUNT(*) FROM app_sockets WHERE channel_id = ? AND contact_external_id = ? AND until_at > ?`
	if err := c.k.Get(ctx, &n, q, channelID, ext, at); err != nil {
		return false, err
	}
	return n > 0, nil
}

// heartbeat refreshes this process's sockets and forgets lapsed ones.
func (c *users) heartbeat(ctx context.Context, ids []string) {
	until := c.k.Now().Add(presenceTTL)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		q, args, err := sqlx.In(`UPDATE app_sockets SET until_at = ? WHERE id IN (?)`, until, ids[:n])
		if err == nil {
			_, err = c.k.Exec(ctx, q, args...)
		}
		if err != nil {
			c.k.Log().Warn("app socket heartbeat", "err", err)
			return
		}
		ids = ids[n:]
	}
	if _, err := c.k.Exec(ctx, `DELETE FROM app_sockets WHERE until_at < ?`, c.k.Now().Add(-presenceKept)); err != nil {
		c.k.Log().Debug("app socket sweep", "err", err)
	}
}
