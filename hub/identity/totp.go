package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP errors. ErrTOTPRequired and ErrTOTPInvalid at login mean "no token
// issued"; ErrTOTPSetupRequired is a session that must set up TOTP first.
var (
	ErrTOTPRequired      = errors.New("a TOTP code is required")
	ErrTOTPInvalid       = errors.New("the TOTP code is wrong or was already used")
	ErrTOTPSetupRequired = errors.New("set up two-factor authentication first")
	ErrTOTPLocked        = errors.New("too many wrong TOTP codes; try again in a few minutes")
)

// TOTP parameters (RFC 6238 defaults every authenticator app reads): 30 s
// steps, 6 digits, SHA-1; one step of clock skew either way.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpIssuer = "Kefu"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPSetup is a pending authenticator: shown once, active after a code
// from it confirms it.
type TOTPSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// totpStep finds the time step code is valid for (within the skew), or 0.
func totpStep(secret, code string, now time.Time) int64 {
	if len(code) != 6 {
		return 0
	}
	for d := -totpSkew; d <= totpSkew; d++ {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod
		}
	}
	return 0
}

// TOTPCode is the current code of a secret (for tests and tools).
func TOTPCode(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totpOpts)
}

type totpRow struct {
	Secret   string `db:"totp_secret"`
	Pending  string `db:"totp_pending"`
	LastStep int64  `db:"totp_last_step"`
	Enabled  bool   `db:"totp_enabled"`
}

func (s *Auth) totpRow(ctx context.Context, tx *store.Tx, agentID string) (*totpRow, error) {
	var r totpRow
	const sq = `SELECT totp_secret, totp_pending, totp_last_step, totp_enabled FROM agents WHERE id = ?`
	if err := tx.Get(ctx, &r, sq, agentID); err != nil {
		return nil, fmt.Errorf("read totp: %w", err)
	}
	var err error
	if r.Secret, err = s.k.Unseal(r.Secret, store.Bind("agents", agentID)); err != nil {
		return nil, err
	}
	if r.Pending, err = s.k.Unseal(r.Pending, store.Bind("agents", agentID)); err != nil {
		return nil, err
	}
	return &r, nil
}

// ResealTOTPSecrets seals the agents' TOTP secrets stored in clear or under
// an old key (at start-up and by `kefu rotate-secrets`). Both columns are
// bound to the agent's row, so enabling moves the pending one as it is.
func ResealTOTPSecrets(ctx context.Context, k *store.Store) (int, error) {
	return k.Reseal(ctx, "agents", "totp_secret", "totp_pending")
}

// useTOTP checks code against secret and spends its time step: a code is
// accepted once (a conditional update on the last step used, so two
// processes cannot both accept it).
func (s *Auth) useTOTP(ctx context.Context, tx *store.Tx, agentID, secret, code string) error {
	if !s.guesses.allow(agentID, time.Now()) {
		return ErrTOTPLocked
	}
	step := totpStep(secret, code, s.k.Now())
	if step == 0 {
		s.guesses.failed(agentID, time.Now())
		return ErrTOTPInvalid
	}
	const q = `UPDATE agents SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`
	res, err := tx.ExecContext(ctx, tx.Rebind(q), step, agentID, step)
	if err != nil {
		return fmt.Errorf("spend totp code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		s.guesses.failed(agentID, time.Now())
		return ErrTOTPInvalid // replayed (or an older code after a newer one)
	}
	s.guesses.reset(agentID)
	return nil
}

// totpGuard limits wrong codes per agent: six digits fall to guessing at
// the speed of the login endpoint otherwise. Kept per process (a cluster of
// N processes allows N times as many guesses, still months of guessing).
type totpGuard struct {
	mu sync.Mutex
	m  map[string]*totpFails
}

type totpFails struct {
	n     int
	since time.Time
}

const (
	totpMaxFailures = 5
	totpLockWindow  = 5 * time.Minute
)

func (g *totpGuard) allow(agentID string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.m[agentID]
	if ok && now.Sub(f.since) > totpLockWindow {
		delete(g.m, agentID)
		return true
	}
	return !ok || f.n < totpMaxFailures
}

func (g *totpGuard) failed(agentID string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*totpFails{}
	}
	f, ok := g.m[agentID]
	if !ok || now.Sub(f.since) > totpLockWindow {
		f = &totpFails{since: now}
		g.m[agentID] = f
	}
	f.n++
}

func (g *totpGuard) reset(agentID string) {
	g.mu.Lock()
	delete(g.m, agentID)
	g.mu.Unlock()
}

// checkTOTP verifies a login's code for an agent with TOTP enabled.
func (s *Auth) checkTOTP(ctx context.Context, a *hub.Agent, code string) error {
	if !a.TOTPEnabled {
		return nil
	}
	if code == "" {
		return ErrTOTPRequired
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.totpRow(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		return s.useTOTP(ctx, tx, a.ID, r.Secret, code)
	})
}

// SetupTOTP issues a new pending secret for the agent; it replaces any
// earlier pending one and becomes active only through EnableTOTP.
func (s *Auth) SetupTOTP(ctx context.Context, a *hub.Agent) (*TOTPSetup, error) {
	if a.TOTPEnabled {
		return nil, fmt.Errorf("%w: two-factor is already enabled; disable it first", hub.ErrConflict)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: a.Email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate totp secret: %w", err)
	}
	sealed, err := s.k.Seal(key.Secret(), store.Bind("agents", a.ID))
	if err != nil {
		return nil, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE agents SET totp_pending = ? WHERE id = ?`), sealed, a.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store totp secret: %w", err)
	}
	return &TOTPSetup{Secret: key.Secret(), OTPAuthURL: key.URL()}, nil
}

// EnableTOTP confirms the pending secret with a code from it.
func (s *Auth) EnableTOTP(ctx context.Context, a *hub.Agent, code string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.totpRow(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if r.Enabled {
			return fmt.Errorf("%w: two-factor is already enabled", hub.ErrConflict)
		}
		if r.Pending == "" {
			return hub.Invalid("call POST /api/v1/me/totp/setup first")
		}
		if err := s.useTOTP(ctx, tx, a.ID, r.Pending, code); err != nil {
			return err
		}
		const q = `UPDATE agents SET totp_secret = totp_pending, totp_pending = '', totp_enabled = TRUE WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), a.ID); err != nil {
			return fmt.Errorf("enable totp: %w", err)
		}
		a.TOTPEnabled, a.SetupRequired = true, false
		return nil
	})
}

// DisableTOTP turns two-factor off with a valid code, unless the agent's
// admin or tenant requires it.
func (s *Auth) DisableTOTP(ctx context.Context, a *hub.Agent, code string) error {
	required, err := s.totpRequired(ctx, a)
	if err != nil {
		return err
	}
	if required {
		return fmt.Errorf("%w: two-factor is required for this account", hub.ErrForbidden)
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.totpRow(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if !r.Enabled {
			return fmt.Errorf("%w: two-factor is not enabled", hub.ErrConflict)
		}
		if err := s.useTOTP(ctx, tx, a.ID, r.Secret, code); err != nil {
			return err
		}
		const q = `UPDATE agents SET totp_secret = '', totp_pending = '', totp_enabled = FALSE WHERE id = ?`
		_, err = tx.ExecContext(ctx, tx.Rebind(q), a.ID)
		return err
	})
}

// totpRequired says whether the agent's admin or tenant requires TOTP.
func (s *Auth) totpRequired(ctx context.Context, a *hub.Agent) (bool, error) {
	if a.RequireTOTP {
		return true, nil
	}
	st, err := s.tenants.Settings(ctx, a.TenantID)
	if err != nil {
		return false, err
	}
	return st.RequireTOTP, nil
}
