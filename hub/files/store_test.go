package files_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
)

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// A saved file is read back by its tenant only, with a harmless name.
func TestSaveGet(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := files.New(h.K)
		f, other := h.NewTenant(t), h.NewTenant(t)
		in := &files.File{TenantID: f.Admin.TenantID, Name: "../../etc/\"报价\".pdf", ContentType: "application/pdf",
			Data: []byte("%PDF-1.7"), CreatedBy: f.Admin.ID}
		if err := s.Save(ctx, in); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, f.Admin.TenantID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "报价.pdf" || got.Size != 8 || !bytes.Equal(got.Data, in.Data) || got.Status != files.FileReady ||
			got.URL != files.FileURL(in.ID) || got.ContentType != "application/pdf" {
			t.Fatalf("read back %+v", got)
		}
		if _, err := s.Get(ctx, other.Admin.TenantID, in.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant reads the file: %v", err)
		}
	})
}

// A platform's retry names the same file (FileID) and keeps the first copy;
// more than MaxFileSize is refused.
func TestSaveOnceAndLimit(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := files.New(h.K)
		f := h.NewTenant(t)
		id := files.FileID(f.Channel.ID, "media-1")
		for _, data := range []string{"first", "second"} {
			if err := s.Save(ctx, &files.File{ID: id, TenantID: f.Admin.TenantID, ChannelID: f.Channel.ID, Data: []byte(data)}); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Get(ctx, f.Admin.TenantID, id); err != nil || string(got.Data) != "first" {
			t.Fatalf("after a retried save: %q, %v; want the first copy", got.Data, err)
		}
		if err := s.Save(ctx, &files.File{TenantID: f.Admin.TenantID, Data: make([]byte, files.MaxFileSize+1)}); !isInvalid(err) {
			t.Fatalf("oversized save: %v", err)
		}
		big := &files.File{TenantID: f.Admin.TenantID, Data: make([]byte, files.MaxFileSize)}
		if err := s.Save(ctx, big); err != nil {
			t.Fatalf("a file of exactly MaxFileSize: %v", err)
		}
		if err := s.Fill(ctx, f.Admin.TenantID, id, "image/png", make([]byte, files.MaxFileSize+1), ""); !isInvalid(err) {
			t.Fatalf("oversized fill: %v", err)
		}
	})
}

// A pending file records a failed download and stays pending; the
// download fills it once, and nothing changes a ready file.
func TestFill(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := files.New(h.K)
		f, other := h.NewTenant(t), h.NewTenant(t)
		p := &files.File{ID: files.FileID(f.Channel.ID, "m2"), TenantID: f.Admin.TenantID, Status: files.FilePending, Source: "media_id_x"}
		if err := s.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name, tenant, typ, data, fetchErr string
			status, wantData, wantErr         string
		}{
			{"download failed", f.Admin.TenantID, "", "", "timeout", files.FilePending, "", "timeout"},
			{"another tenant", other.Admin.TenantID, "image/png", "evil", "", files.FilePending, "", "timeout"},
			{"downloaded", f.Admin.TenantID, "image/jpeg", "jpeg!", "", files.FileReady, "jpeg!", ""},
			{"filled twice", f.Admin.TenantID, "image/png", "other", "", files.FileReady, "jpeg!", ""},
		}
		for _, st := range steps {
			if err := s.Fill(ctx, st.tenant, p.ID, st.typ, []byte(st.data), st.fetchErr); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			got, err := s.Get(ctx, f.Admin.TenantID, p.ID)
			if err != nil || got.Status != st.status || string(got.Data) != st.wantData || got.Error != st.wantErr ||
				got.Size != int64(len(st.wantData)) {
				t.Fatalf("%s: %+v, %v; want status %s, data %q, error %q", st.name, got, err, st.status, st.wantData, st.wantErr)
			}
		}
		if got, _ := s.Get(ctx, f.Admin.TenantID, p.ID); got.ContentType != "image/jpeg" || got.Source != "media_id_x" {
			t.Fatalf("filled file: %+v", got)
		}
	})
}

// A deleted file is gone for its tenant and another tenant's delete leaves
// it; deleted in a transaction that fails, it is still there.
func TestDelete(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := files.New(h.K)
		f, other := h.NewTenant(t), h.NewTenant(t)
		in := &files.File{TenantID: f.Admin.TenantID, Name: "a.png", Data: []byte("png")}
		if err := s.Save(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, other.Admin.TenantID, in.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, f.Admin.TenantID, in.ID); err != nil {
			t.Fatalf("another tenant's delete removed the file: %v", err)
		}
		failed := errors.New("the rest of the unit of work failed")
		err := h.K.Write(ctx, func(tx *store.Tx) error {
			if err := s.DeleteIn(ctx, tx, f.Admin.TenantID, in.ID); err != nil {
				return err
			}
			return failed
		})
		if !errors.Is(err, failed) {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, f.Admin.TenantID, in.ID); err != nil {
			t.Fatalf("deleted in a rolled-back transaction: %v", err)
		}
		for range 2 { // deleting what is gone is no error
			if err := s.Delete(ctx, f.Admin.TenantID, in.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Get(ctx, f.Admin.TenantID, in.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("deleted, still read: %v", err)
		}
	})
}

func TestFileID(t *testing.T) {
	a := files.FileID("ch_1", "msg-1")
	for _, c := range []struct {
		name string
		id   string
		same bool
	}{
		{"same channel and key", files.FileID("ch_1", "msg-1"), true},
		{"another key", files.FileID("ch_1", "msg-2"), false},
		{"another channel", files.FileID("ch_2", "msg-1"), false},
		{"no ambiguity at the boundary", files.FileID("ch_1m", "sg-1"), false},
	} {
		if (c.id == a) != c.same {
			t.Errorf("%s: %s vs %s", c.name, c.id, a)
		}
	}
	if len(a) != 27 || a[:3] != "at_" || files.FileIDFromURL(files.FileURL(a)) != a {
		t.Fatalf("FileID %q: want at_ and 24 characters, found again in its own URL", a)
	}
}

func TestFileIDFromURL(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"/api/v1/attachments/at_abc", "at_abc"},
		{"https://kefu.example.com/api/v1/attachments/at_abc", "at_abc"},
		{"http://10.0.0.5:8080/api/v1/attachments/at_abc", "at_abc"},
		{"/api/v1/attachments/", ""},
		{"/api/v1/attachments/at_abc/raw", ""},
		{"/api/v1/attachments/at_abc?download=1", ""},
		{"/api/v1/attachments/at_abc#x", ""},
		{"ftp://host/api/v1/attachments/at_abc", ""},
		{"https://cdn.example.com/img/a.png", ""},
		{"", ""},
	} {
		if got := files.FileIDFromURL(c.url); got != c.want {
			t.Errorf("FileIDFromURL(%q) = %q, want %q", c.url, got, c.want)
		}
	}
}
