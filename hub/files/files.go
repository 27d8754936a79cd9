// Package files stores attachments: media customers send (downloaded from
// their platform) and files agents upload. They live in the database, so
// every process of a cluster serves them.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// MaxFileSize bounds every stored attachment (WeChat's own limit for
// images and videos is 10 MB).
const MaxFileSize = 10 << 20

// File statuses.
const (
	FileReady   = "ready"
	FilePending = "pending" // the platform download has not succeeded yet
)

// File is a stored attachment: media a customer sent (downloaded from the
// platform) or a file an agent uploaded. Messages refer to it by URL
// (FileURL); agents of the same tenant fetch it from the REST API. Kept in
// the database so every process of a cluster serves it.
type File struct {
	ID          string    `db:"id" json:"id"`
	TenantID    string    `db:"tenant_id" json:"-"`
	ChannelID   string    `db:"channel_id" json:"channel_id,omitempty"`
	Name        string    `db:"name" json:"name"`
	ContentType string    `db:"content_type" json:"type"`
	Size        int64     `db:"size" json:"size"`
	Data        []byte    `db:"data" json:"-"`
	Source      string    `db:"source" json:"-"` // the platform's reference while pending (WeChat media_id)
	Status      string    `db:"status" json:"status"`
	Error       string    `db:"error" json:"error,omitempty"`
	CreatedBy   string    `db:"created_by" json:"-"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
	URL         string    `db:"-" json:"url"`
}

// FileURL is where agents fetch a stored file (relative to the hub).
func FileURL(id string) string { return "/api/v1/attachments/" + id }

// FileID is the id of the file a platform message carries: derived from the
// channel and the platform's message id, so a retried push names the same
// file and stores it once.
func FileID(channelID, key string) string {
	sum := sha256.Sum256([]byte(channelID + "\x00" + key))
	return "at_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

const fileCols = `id, tenant_id, channel_id, name, content_type, size, data, source, status, error, created_by,
	created_at, updated_at`

// Writer runs a statement: the kernel store itself, or a transaction
// (*store.Tx) whose unit of work a file's save or delete then joins.
type Writer interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
}

var (
	_ Writer = (*store.Store)(nil)
	_ Writer = (*store.Tx)(nil)
)

// Save stores a file; a file with the same id already stored is kept
// (a platform's retry). Data beyond MaxFileSize is refused.
func (s *Store) Save(ctx context.Context, f *File) error { return s.SaveIn(ctx, s.k, f) }

// SaveIn is Save through w: in a transaction, the file is there exactly
// when the rows that point at it are.
func (s *Store) SaveIn(ctx context.Context, w Writer, f *File) error {
	if len(f.Data) > MaxFileSize {
		return hub.Invalid("file is larger than %d bytes", MaxFileSize)
	}
	if f.ID == "" {
		f.ID = hub.NewID("at")
	}
	if f.Status == "" {
		f.Status = FileReady
	}
	f.Name, f.ContentType, f.Size = cleanName(f.Name), hub.Clean(f.ContentType), int64(len(f.Data))
	f.CreatedAt, f.UpdatedAt, f.URL = s.k.Now(), s.k.Now(), FileURL(f.ID)
	q := `INSERT INTO attachments (` + fileCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	_, err := w.Exec(ctx, q, f.ID, f.TenantID, f.ChannelID, f.Name, f.ContentType, f.Size,
		f.Data, f.Source, f.Status, f.Error, f.CreatedBy, f.CreatedAt, f.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save file: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// Fill completes a pending file with the downloaded data, or records
// why the download failed (it stays pending and is retried on demand).
func (s *Store) Fill(ctx context.Context, tenantID, id, contentType string, data []byte, fetchErr string) error {
	if len(data) > MaxFileSize {
		return hub.Invalid("file is larger than %d bytes", MaxFileSize)
	}
	q := `UPDATE attachments SET content_type = ?, size = ?, data = ?, status = ?, error = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND status = 'pending'`
	args := []any{hub.Clean(contentType), len(data), data, FileReady, "", s.k.Now(), tenantID, id}
	if fetchErr != "" {
		q = `UPDATE attachments SET error = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'pending'`
		args = []any{hub.Clean(fetchErr), s.k.Now(), tenantID, id}
	}
	if _, err := s.k.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("fill file: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// Get returns a tenant's file with its data; another tenant's is hub.ErrNotFound.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*File, error) {
	var f File
	q := `SELECT ` + fileCols + ` FROM attachments WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &f, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("attachment %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get attachment: %w", err)
	}
	f.URL = FileURL(f.ID)
	return &f, nil
}

// Delete removes a tenant's file (one already gone, or another tenant's,
// is no error: nothing of it is left either way).
func (s *Store) Delete(ctx context.Context, tenantID, id string) error {
	return s.DeleteIn(ctx, s.k, tenantID, id)
}

// DeleteIn is Delete through w: in the transaction that drops the last
// row pointing at the file, so no row is ever left pointing at nothing.
func (s *Store) DeleteIn(ctx context.Context, w Writer, tenantID, id string) error {
	if _, err := w.Exec(ctx, `DELETE FROM attachments WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("delete file: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// FileIDFromURL returns the id of a stored file a message attachment points
// at ("/api/v1/attachments/at_…", possibly with the hub's base URL before
// it), or "" for any other URL.
func FileIDFromURL(u string) string {
	i := strings.Index(u, "/api/v1/attachments/")
	if i < 0 || (i > 0 && !strings.HasPrefix(u, "http")) {
		return ""
	}
	id := u[i+len("/api/v1/attachments/"):]
	if id == "" || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return id
}

// cleanName keeps a file name displayable and harmless in a header.
func cleanName(n string) string {
	n = hub.Clean(n)
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, n)
	if len(n) > 200 {
		n = n[:200]
	}
	return strings.ToValidUTF8(n, "")
}

// Store keeps the files.
type Store struct{ k *store.Store }

// New returns the file store.
func New(k *store.Store) *Store { return &Store{k: k} }
