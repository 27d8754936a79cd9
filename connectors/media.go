package connectors

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// PendingFile is customer media a platform push names: ID is the
// attachment's file id in the hub, Source what the platform fetches it by
// (a media id, a URL).
type PendingFile struct {
	ID, Source, Name, ContentType string
}

// Media keeps a push connector's customer media: recorded as pending files
// before the push is acknowledged, so the message's attachment URLs always
// resolve; downloaded after the acknowledgement, a few at a time; what is
// not downloaded then (busy, or the platform failed) is fetched when an
// agent opens it (the connector's FetchFile, which Fetch is).
type Media struct {
	files    Files
	fetch    func(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error)
	platform string
	log      *slog.Logger
	slots    chan struct{}
}

// mediaDownloads bounds a connector's background downloads.
const mediaDownloads = 16

// NewMedia returns the media keeper of a connector (fs may be nil: then
// media is neither recorded nor fetched).
func NewMedia(fs Files, platform string, log *slog.Logger,
	fetch func(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error)) *Media {
	return &Media{files: fs, fetch: fetch, platform: platform, log: log, slots: make(chan struct{}, mediaDownloads)}
}

// Reserve records the push's media as pending files.
func (m *Media) Reserve(ctx context.Context, ch *hub.Channel, refs []PendingFile) error {
	if m.files == nil {
		return nil
	}
	for _, r := range refs {
		f := &files.File{ID: r.ID, TenantID: ch.TenantID, ChannelID: ch.ID, Name: r.Name, ContentType: r.ContentType,
			Source: r.Source, Status: files.FilePending}
		if err := m.files.Save(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// FetchLater downloads the media after the acknowledgement through run,
// the connector's background runner (bounded by d and its lifetime).
func (m *Media) FetchLater(run func(d time.Duration, f func(ctx context.Context)), ch *hub.Channel, refs []PendingFile) {
	if m.files == nil || len(refs) == 0 {
		return
	}
	select {
	case m.slots <- struct{}{}:
	default:
		return // busy: the files stay pending and are fetched when an agent opens them
	}
	run(2*time.Minute, func(ctx context.Context) {
		defer func() { <-m.slots }()
		for _, r := range refs {
			f, err := m.files.Get(ctx, ch.TenantID, r.ID)
			if err != nil || f.Status != files.FilePending {
				continue // a retried push whose media is already here
			}
			if _, err := m.fetch(ctx, ch, f); err != nil {
				m.log.Warn(m.platform+" media download failed; it is retried when an agent opens it", "channel", ch.ID,
					"file", r.ID, "err", err)
			}
		}
	})
}
