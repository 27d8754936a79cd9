package wecom

import (
	"context"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// PullForTest is what a callback does after verifying it: record the wish
// to pull, then pull (or leave it to the pull running).
func PullForTest(ctx context.Context, c *Connector, ch *hub.Channel) error {
	a, err := accountOf(ch)
	if err != nil {
		return err
	}
	if err := c.pulls.Want(ctx, ch, "", time.Time{}); err != nil {
		return err
	}
	_, err = c.pull(ctx, ch, a)
	return err
}
