package email

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/store"
)

// Figures are one day's figures of the reports, as the daily summary
// states them.
type Figures struct {
	Conversations, Taken, Answered, Resolved, Abandoned, Tickets, Rated, Satisfied int64
	FirstResponse                                                                  time.Duration // the average
}

// Digest mails each tenant's daily summary (客服日报: yesterday's figures of
// the reports) to its chosen staff through the Mailer, once a day from
// Hour o'clock tenant time — or as the tenant's Plan says (off, from what
// time, to which addresses). The day's summary is claimed by its
// Message-ID in the mailbox's table (unique), in the transaction that
// queues it: a restart, a second hub process or a later time set for the
// same day sends it no second time.
type Digest struct {
	K *store.Store
	// Figures reads a tenant's figures between two instants.
	Figures func(ctx context.Context, tenantID string, from, to time.Time) (Figures, error)
	// Zone is a tenant's time zone.
	Zone   func(ctx context.Context, tenantID string) *time.Location
	Mailer Mailer
	Log    *slog.Logger
	// Hour is the local hour from which yesterday's summary goes out (8
	// when 0; negative: any hour).
	Hour int
	// Every is how often tenants are looked at (5 minutes).
	Every time.Duration
	// Plan is a tenant's schedule as its admin set it (nil: every tenant
	// with recipients from Hour o'clock); Planned are the tenants with one
	// turned on, who get it even without a notification list.
	Plan    func(ctx context.Context, tenantID string) (Plan, error)
	Planned func(ctx context.Context) ([]string, error)
}

// Plan is a tenant's daily summary schedule.
type Plan struct {
	Off bool
	// Minute is the local minute of the day from which it goes out.
	Minute int
	// To are the addresses it goes to (empty: the notification list).
	To []string
}

// Run sends the summaries that are due until ctx ends.
func (d *Digest) Run(ctx context.Context) error {
	every := d.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := d.Due(ctx); err != nil {
				d.Log.Warn("daily e-mail summary", "err", err)
			}
		}
	}
}

// Due sends every tenant's summary that is due (a tenant with an e-mail
// channel and recipients, past Hour o'clock) and not sent yet; it returns
// how many it queued.
func (d *Digest) Due(ctx context.Context) (int, error) {
	var tenants []string
	if err := d.K.Select(ctx, &tenants, `SELECT DISTINCT tenant_id FROM email_recipients ORDER BY tenant_id`); err != nil {
		return 0, fmt.Errorf("digest tenants: %w", err)
	}
	if d.Planned != nil {
		more, err := d.Planned(ctx)
		if err != nil {
			return 0, err
		}
		tenants = union(tenants, more)
	}
	sent := 0
	for _, tn := range tenants {
		ok, err := d.send(ctx, tn)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// plan is the tenant's schedule: its Plan, else every day from Hour.
func (d *Digest) plan(ctx context.Context, tenantID string) (Plan, error) {
	if d.Plan != nil {
		return d.Plan(ctx, tenantID)
	}
	hour := d.Hour
	if hour == 0 {
		hour = 8
	}
	return Plan{Minute: max(hour, 0) * 60}, nil
}

func (d *Digest) send(ctx context.Context, tenantID string) (bool, error) {
	p, err := d.plan(ctx, tenantID)
	if err != nil || p.Off {
		return false, err
	}
	loc := d.Zone(ctx, tenantID)
	now := d.K.Now().In(loc)
	if now.Hour()*60+now.Minute() < p.Minute {
		return false, nil
	}
	ids, err := channels.OfType(ctx, d.K, tenantID, Type)
	if err != nil || len(ids) == 0 {
		return false, err
	}
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -1)
	day := from.Format("2006-01-02")
	claim := "kefu.digest." + day + "." + tenantID
	var taken []int
	if err := d.K.Select(ctx, &taken, `SELECT 1 FROM email_messages WHERE channel_id = ? AND message_id = ?`, ids[0], claim); err != nil {
		return false, fmt.Errorf("digest claim: %w", err)
	}
	if len(taken) > 0 {
		return false, nil
	}
	f, err := d.Figures(ctx, tenantID, from, to)
	if err != nil {
		return false, err
	}
	queued := false
	err = d.K.Write(ctx, func(tx *store.Tx) error {
		q := `INSERT INTO email_messages (channel_id, message_id, tenant_id, direction, address, ticket_id, created_at)
			VALUES (?, ?, ?, 'digest', '', '', ?) ON CONFLICT DO NOTHING`
		n, err := tx.Exec(ctx, q, ids[0], claim, tenantID, tx.Now())
		if err != nil || n == 0 {
			return err
		}
		queued = true
		if len(p.To) > 0 {
			return tellAddresses(ctx, tx, tenantID, p.To, "[客服日报] "+day, summary(day, f))
		}
		return d.Mailer.TellStaff(ctx, tx, tenantID, "[客服日报] "+day, summary(day, f))
	})
	return queued, err
}

// summary is the daily summary's text.
func summary(day string, f Figures) string {
	pct := func(a, b int64) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", float64(a)*100/float64(b))
	}
	frt := "—"
	if f.Answered > 0 {
		frt = f.FirstResponse.Round(time.Second).String()
	}
	return fmt.Sprintf("%s 客服日报\n\n会话量：%d\n客服接待：%d\n已回复：%d（接通率 %s）\n平均首次响应：%s\n已解决：%d\n"+
		"排队放弃：%d\n转为工单：%d\n参评：%d，满意 %d（满意率 %s）\n",
		day, f.Conversations, f.Taken, f.Answered, pct(f.Answered, f.Conversations), frt, f.Resolved,
		f.Abandoned, f.Tickets, f.Rated, f.Satisfied, pct(f.Satisfied, f.Rated))
}

// union is a and b without repeats, in order.
func union(a, b []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(a)+len(b))
	for _, v := range append(a, b...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
