package identity

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
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
	// ErrTOTPLocked matches a *LockedError of the TOTP scope.
	ErrTOTPLocked = errors.New("too many wrong TOTP codes; try again in a few minutes")
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
// processes cannot both accept it). A right code forgets the agent's
// wrong ones.
func (s *Auth) useTOTP(ctx context.Context, tx *store.Tx, agentID, secret, code string) error {
	step := totpStep(secret, code, s.k.Now())
	if step == 0 {
		return ErrTOTPInvalid
	}
	const q = `UPDATE agents SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`
	res, err := tx.ExecContext(ctx, tx.Rebind(q), step, agentID, step)
	if err != nil {
		return fmt.Errorf("spend totp code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrTOTPInvalid // replayed (or an older code after a newer one)
	}
	return s.guard.clear(ctx, tx, guardKey{ScopeTOTP, agentID})
}

// guardTOTP runs fn — a transaction that checks a code with useTOTP —
// unless the agent's codes are locked, and counts a wrong code (in its own
// transaction, as fn's rolled back): six digits fall to guessing at the
// speed of the login endpoint otherwise. A lock it starts is told to the
// tenant's admins (the password was right).
func (s *Auth) guardTOTP(ctx context.Context, a *hub.Agent, addr string, fn func(tx *store.Tx) error) error {
	key := guardKey{ScopeTOTP, a.ID}
	if err := s.guard.check(ctx, key); err != nil {
		return err
	}
	err := s.k.Write(ctx, fn)
	if errors.Is(err, ErrTOTPInvalid) {
		return s.failed(ctx, a, addr, err, key)
	}
	return err
}

// checkTOTP verifies a login's code for an agent with TOTP enabled.
func (s *Auth) checkTOTP(ctx context.Context, a *hub.Agent, code, addr string) error {
	if !a.TOTPEnabled {
		return nil
	}
	if code == "" {
		return ErrTOTPRequired
	}
	return s.guardTOTP(ctx, a, addr, func(tx *store.Tx) error {
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
	return s.guardTOTP(ctx, a, "", func(tx *store.Tx) error {
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
	return s.guardTOTP(ctx, a, "", func(tx *store.Tx) error {
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
