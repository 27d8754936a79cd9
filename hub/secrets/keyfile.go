package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the key file embedded mode keeps in its data directory.
const FileName = "secret.key"

// Source is where a hub's keys come from.
type Source struct {
	// Key is KEFU_SECRET_KEY (base64 or hex of 32 bytes); empty in
	// embedded mode means the key file.
	Key string
	// Old are keys still accepted for opening (KEFU_SECRET_KEY_OLD).
	Old []string
	// DataDir holds the key file in embedded mode ("" in a cluster, where
	// Key is required).
	DataDir string
}

// Load builds the keyring. Without Key, embedded mode reads the key file in
// DataDir, creating it (mode 0600) on the first start and saying so. A key
// file left beside a configured Key is still accepted for opening, so moving
// from the file to KEFU_SECRET_KEY re-seals everything on the next start.
func Load(src Source, log *slog.Logger) (*Keyring, error) {
	var old [][]byte
	for i, s := range src.Old {
		b, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("KEFU_SECRET_KEY_OLD (key %d): %w", i+1, err)
		}
		old = append(old, b)
	}
	if src.Key != "" {
		cur, err := ParseKey(src.Key)
		if err != nil {
			return nil, fmt.Errorf("KEFU_SECRET_KEY: %w", err)
		}
		if src.DataDir != "" {
			if b, err := readFile(src.DataDir, log); err == nil {
				old = append(old, b)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		return New(cur, old...)
	}
	if src.DataDir == "" {
		return nil, errors.New("KEFU_SECRET_KEY is required with PostgreSQL (every hub process needs the same key; generate one with `openssl rand -base64 32`)")
	}
	cur, err := readFile(src.DataDir, log)
	if errors.Is(err, fs.ErrNotExist) {
		cur, err = createFile(src.DataDir, log)
	}
	if err != nil {
		return nil, err
	}
	return New(cur, old...)
}

func readFile(dir string, log *slog.Logger) ([]byte, error) {
	path := filepath.Join(dir, FileName)
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		log.Warn("the secret key file can be read by other users; chmod 600 it", "path", path, "mode", st.Mode().Perm().String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return k, nil
}

func createFile(dir string, log *slog.Logger) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	k := NewKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	line := strings.TrimSpace(encodeKey(k)) + "\n"
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	log.Warn("generated the key that encrypts stored secrets; back it up with the database — without it channel, "+
		"two-factor and webhook secrets cannot be read", "path", path, "key_id", KeyID(k))
	return k, nil
}
