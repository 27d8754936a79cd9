package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub/secrets"
)

// errNoKeys is returned when a store opened without a keyring is asked to
// seal or open a secret.
var errNoKeys = errors.New("the store has no secret keys (store.Options.Keys)")

// Seal encrypts a secret for the row it is stored in: bind names the row,
// as Bind(table, id) does. The owning package seals before writing the
// column and opens (Unseal) after reading it.
func (s *Store) Seal(plain, bind string) (string, error) {
	if s.keys == nil {
		return "", errNoKeys
	}
	return s.keys.Seal(plain, bind)
}

// Unseal decrypts a value Seal made for the same row; a value stored before
// secrets were encrypted comes back as it is.
func (s *Store) Unseal(stored, bind string) (string, error) {
	if !secrets.Sealed(stored) {
		return stored, nil
	}
	if s.keys == nil {
		return "", errNoKeys
	}
	v, err := s.keys.Open(stored, bind)
	if err != nil {
		return "", fmt.Errorf("open secret of %s: %w", bind, err)
	}
	return v, nil
}

// Bind names a row for Seal and Unseal.
func Bind(table, id string) string { return table + "/" + id }

// Reseal seals, with the current key, every value of the given secret
// columns of a table (keyed by id) that is stored in clear (written before
// secrets were encrypted) or under an old key. The hub runs it for each
// secret column at start-up and `kefu rotate-secrets` runs it on demand; a
// value sealed with a key the keyring does not hold fails with
// secrets.ErrUnknownKey. Each row is changed only if it still holds what was
// read, so it is safe beside a running hub. It returns how many rows changed.
func (s *Store) Reseal(ctx context.Context, table string, cols ...string) (int, error) {
	return s.ResealKeyed(ctx, table, "id", cols...)
}

// ResealKeyed is Reseal for a table keyed by another column (the secret is
// bound to Bind(table, key)).
func (s *Store) ResealKeyed(ctx context.Context, table, key string, cols ...string) (int, error) {
	if s.keys == nil {
		return 0, errNoKeys
	}
	pfx := s.keys.CurrentPrefix()
	var where []string
	var args []any
	for _, c := range cols {
		where = append(where, "("+c+" <> '' AND "+c+" NOT LIKE ?)")
		args = append(args, pfx+"%")
	}
	var ids []string
	if err := s.W.SelectContext(ctx, &ids, s.W.Rebind(`SELECT `+key+` FROM `+table+` WHERE `+strings.Join(where, " OR ")), args...); err != nil {
		return 0, fmt.Errorf("find secrets to seal in %s: %w", table, err)
	}
	n := 0
	for _, id := range ids {
		changed, err := s.resealRow(ctx, table, key, id, cols, pfx)
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

func (s *Store) resealRow(ctx context.Context, table, key, id string, cols []string, pfx string) (bool, error) {
	changed := false
	err := s.Write(ctx, func(tx *Tx) error {
		changed = false
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` WHERE ` + key + ` = ?` + s.ForUpdate()
		if err := tx.QueryRowxContext(ctx, tx.Rebind(q), id).Scan(ptrs...); err != nil {
			if NoRows(err) {
				return nil // deleted meanwhile
			}
			return err
		}
		set := make([]string, len(cols))
		args := make([]any, 0, len(cols)+1)
		for i, c := range cols {
			set[i] = c + " = ?"
			v := vals[i]
			if v != "" && !strings.HasPrefix(v, pfx) {
				plain, err := s.keys.Open(v, Bind(table, id))
				if err != nil {
					return fmt.Errorf("%s %s (%s): %w", table, id, c, err)
				}
				if v, err = s.keys.Seal(plain, Bind(table, id)); err != nil {
					return err
				}
				changed = true
			}
			args = append(args, v)
		}
		if !changed {
			return nil
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE `+key+` = ?`), append(args, id)...)
		return err
	})
	return changed, err
}
