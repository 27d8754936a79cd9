package push

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Platforms a push token can be registered for.
const (
	IOS         = "ios"
	Android     = "android"
	Harmony     = "harmony"
	Web         = "web"
	MiniProgram = "miniprogram"
)

// ValidPlatform reports whether p is one of the platforms above.
func ValidPlatform(p string) bool {
	switch p {
	case IOS, Android, Harmony, Web, MiniProgram:
		return true
	}
	return false
}

// Senders, as Result.Via names them.
const (
	ViaWebhook = "webhook"
	ViaFCM     = "fcm"
	ViaAPNs    = "apns"
)

// Target is one device: the token the app registered for a platform.
// Provider, when the app said which service issued the token ("apns",
// "fcm", "webhook"), picks the sender; empty, the platform does (an iOS
// app using Firebase registers an FCM token: Provider "fcm").
type Target struct {
	Platform string
	Token    string
	Provider string
}

// Notification is what the user sees: Title and Body (cut to
// MaxTitleRunes/MaxBodyRunes), the app icon's Badge (an unread count; 0
// clears it), CollapseID (a newer notification with the same id replaces
// the older one on the device), and Data for the app (string values).
// ID names the notification: retries and every target share it (APNs
// apns-id, the webhook-id); a UUID is used as it is, anything else is
// turned into one.
type Notification struct {
	ID, ConversationID, Title, Body string
	Badge                           int
	CollapseID                      string
	Data                            map[string]string
}

// Lengths a notification's text is cut to, so a long message still fits
// the platforms' 4 KB payload limit.
const (
	MaxTitleRunes = 100
	MaxBodyRunes  = 1000
)

// Outcome is what became of one target.
type Outcome int

// Outcomes. InvalidToken means the platform says the token will never
// work again (app uninstalled, token rotated): the caller deletes it.
const (
	Delivered Outcome = iota
	InvalidToken
	Failed
)

var outcomeNames = [...]string{"delivered", "invalid_token", "failed"}

// String is the outcome's stored name.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Result is one target's outcome: the sender that took it (Via, empty
// when none could), the error when not delivered, and how many requests
// were made.
type Result struct {
	Target
	Via      string
	Outcome  Outcome
	Err      error
	Attempts int
}

// Errors a Result may carry besides a platform's *Error.
var (
	ErrNoSender = errors.New("no push sender configured for this platform")
	ErrPlatform = errors.New("unknown platform")
	ErrNoToken  = errors.New("empty push token")
)

// Pusher sends notifications with one channel's config. It is safe for
// concurrent use and keeps its credentials (OAuth token, APNs JWT) between
// calls: build one per channel config and reuse it.
type Pusher struct {
	opts    Options
	webhook *webhookSender
	fcm     *fcmSender
	apns    *apnsSender
}

// New checks cfg (errors wrap ErrConfig) and builds its senders.
func New(cfg Config, opts Options) (*Pusher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	p := &Pusher{opts: opts}
	if cfg.Webhook != nil {
		p.webhook = &webhookSender{cfg: *cfg.Webhook, client: opts.HTTPClient, now: opts.Now}
	}
	if cfg.FCM != nil {
		sa, _ := cfg.FCM.parse()
		p.fcm = newFCMSender(sa, opts)
	}
	if cfg.APNs != nil {
		key, _ := cfg.APNs.parse()
		p.apns = newAPNsSender(*cfg.APNs, key, opts)
	}
	return p, nil
}

// Send delivers n to every target and returns one Result per target, in
// the targets' order. With a webhook configured it makes one webhook call
// carrying all targets; otherwise ios goes to APNs (FCM when only FCM is
// configured), android, harmony and web to FCM, and miniprogram only ever
// to a webhook. It returns when every target has its outcome (retries
// included), ctx ends or Options.Timeout passes.
func (p *Pusher) Send(ctx context.Context, targets []Target, n Notification) []Result {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	n = n.normalized()
	results := make([]Result, len(targets))
	if p.webhook != nil {
		return p.sendWebhook(ctx, targets, n, results)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.opts.Parallel)
	for i, t := range targets {
		results[i] = Result{Target: t}
		s, err := p.route(t)
		if err != nil {
			results[i].Outcome, results[i].Err = Failed, err
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = p.deliver(ctx, s, t, n)
		})
	}
	wg.Wait()
	return results
}

// sender is FCM or APNs: one request for one target.
type sender interface {
	name() string
	send(ctx context.Context, t Target, n Notification) error
}

// checkTarget is why a target can go nowhere, or nil.
func checkTarget(t Target) error {
	switch {
	case t.Token == "":
		return ErrNoToken
	case !ValidPlatform(t.Platform):
		return fmt.Errorf("%w %q", ErrPlatform, t.Platform)
	}
	return nil
}

// route picks the sender of one target, or the error saying why none.
func (p *Pusher) route(t Target) (sender, error) {
	if err := checkTarget(t); err != nil {
		return nil, err
	}
	switch {
	case t.Provider == ViaFCM && p.fcm != nil:
		return p.fcm, nil
	case t.Provider == ViaAPNs && p.apns != nil:
		return p.apns, nil
	case t.Provider != "":
		return nil, fmt.Errorf("%w (%s token)", ErrNoSender, t.Provider)
	}
	switch t.Platform {
	case IOS:
		if p.apns != nil {
			return p.apns, nil
		}
		if p.fcm != nil {
			return p.fcm, nil
		}
	case Android, Harmony, Web:
		if p.fcm != nil {
			return p.fcm, nil
		}
	}
	return nil, fmt.Errorf("%w (%s)", ErrNoSender, t.Platform)
}

func (p *Pusher) deliver(ctx context.Context, s sender, t Target, n Notification) Result {
	r := Result{Target: t, Via: s.name()}
	r.Attempts, r.Err = p.retry(ctx, func() error { return s.send(ctx, t, n) })
	r.Outcome = outcomeOf(r.Err)
	return r
}

func outcomeOf(err error) Outcome {
	var pe *Error
	switch {
	case err == nil:
		return Delivered
	case errors.As(err, &pe) && pe.kind == invalidToken:
		return InvalidToken
	}
	return Failed
}

// retry makes up to Retry.Attempts calls while the answer is retryable.
func (p *Pusher) retry(ctx context.Context, call func() error) (attempts int, err error) {
	wait := p.opts.Retry.Backoff
	for attempts = 1; ; attempts++ {
		err = call()
		var pe *Error
		if err == nil || !errors.As(err, &pe) || pe.kind != retryable || attempts >= p.opts.Retry.Attempts || ctx.Err() != nil {
			return attempts, err
		}
		d := wait
		if pe.RetryAfter > 0 {
			d = pe.RetryAfter
		}
		if d > p.opts.Retry.MaxWait {
			return attempts, fmt.Errorf("retry after %s is longer than the %s allowed: %w", d, p.opts.Retry.MaxWait, err)
		}
		if end, ok := ctx.Deadline(); ok && time.Until(end) < d {
			return attempts, fmt.Errorf("retry after %s would pass the send's deadline: %w", d, err)
		}
		if serr := p.opts.Sleep(ctx, d); serr != nil {
			return attempts, errors.Join(err, serr)
		}
		wait *= 2
	}
}

// normalized cuts the text to fit and makes it valid UTF-8.
func (n Notification) normalized() Notification {
	n.Title = cut(n.Title, MaxTitleRunes)
	n.Body = cut(n.Body, MaxBodyRunes)
	if n.ID == "" {
		n.ID = newUUID()
	}
	if n.Badge < 0 {
		n.Badge = 0
	}
	return n
}

func cut(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
