// Package richanswers keeps the knowledge base's rich answers (bold,
// lists, links, images): the sanitized markup beside the article, whose
// plain answer becomes the markup's text. Search, the help centre's text,
// WeChat, Weibo and QQ read the plain answer; the widget and the app SDK
// may show the markup. A rich answer counts only while the article's
// answer is still its text: an edit of the plain answer leaves the article
// plain until an admin saves the rich answer again. The article's versions
// keep their rich answers (a restore brings the version's back), and the
// knowledge base's CSV/XLSX carries them in a 富文本答案 column.
package richanswers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/richtext"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// Answer is an article's answer as the customer sees it.
type Answer struct {
	ArticleID string `json:"article_id"`
	// HTML is the sanitized markup ("" when the answer is plain).
	HTML string `json:"html"`
	// Text is the article's (plain) answer.
	Text string `json:"text"`
	// Images are the markup's image sources, in order.
	Images    []string   `json:"images"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// Store keeps the rich answers of the knowledge base's articles.
type Store struct {
	k     *store.Store
	kb    *kb.Store
	files *files.Store
}

// New returns the store; images from the hub's files must be the
// tenant's own (in files).
func New(k *store.Store, articles *kb.Store, fs *files.Store) *Store {
	return &Store{k: k, kb: articles, files: fs}
}

// maxHTML is the most markup an answer may have (bytes).
const maxHTML = 50000

type row struct {
	HTML      string    `db:"html"`
	Text      string    `db:"text"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Get is an article's answer; another tenant's article is not found.
func (s *Store) Get(ctx context.Context, tenantID, articleID string) (Answer, error) {
	a, err := s.kb.Get(ctx, tenantID, articleID)
	if err != nil {
		return Answer{}, err
	}
	return s.of(ctx, tenantID, a.ID, a.Answer)
}

// Of is the answer of an article whose plain answer is text (the robot
// has just found it): rich when the stored markup still renders to text.
func (s *Store) Of(ctx context.Context, tenantID, articleID, text string) (Answer, error) {
	return s.of(ctx, tenantID, articleID, text)
}

func (s *Store) of(ctx context.Context, tenantID, articleID, text string) (Answer, error) {
	out := Answer{ArticleID: articleID, Text: text, Images: []string{}}
	var rows []row
	const q = `SELECT html, text, updated_at FROM kb_rich_answers WHERE tenant_id = ? AND article_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID, articleID); err != nil {
		return Answer{}, fmt.Errorf("rich answer: %w", err)
	}
	if len(rows) == 0 || rows[0].Text != text {
		return out, nil
	}
	doc := richtext.Sanitize(rows[0].HTML) // the policy of today, whatever it was when saved
	out.HTML, out.Images, out.UpdatedAt = doc.HTML, doc.Images, &rows[0].UpdatedAt
	return out, nil
}

// Set sanitizes an article's rich answer, makes its text the article's
// answer (a new version, edited by), and keeps the markup with it.
func (s *Store) Set(ctx context.Context, tenantID, by, articleID, markup string) (Answer, error) {
	doc, err := s.prepare(ctx, tenantID, markup)
	if err != nil {
		return Answer{}, err
	}
	a, err := s.kb.Update(ctx, tenantID, articleID, kb.Patch{Answer: &doc.Text, By: by, Hook: keeper(tenantID, doc.HTML)})
	if err != nil {
		return Answer{}, err
	}
	return Answer{ArticleID: a.ID, HTML: doc.HTML, Text: a.Answer, Images: doc.Images, UpdatedAt: &a.UpdatedAt}, nil
}

// Delete deletes an article (kb.Delete) with its rich answer and those of
// its versions; another tenant's article is not found.
func (s *Store) Delete(ctx context.Context, tenantID, articleID string) error {
	return s.kb.Delete(ctx, tenantID, articleID, func(ctx context.Context, tx *store.Tx, id string) error {
		for _, q := range []string{`DELETE FROM kb_rich_answers WHERE tenant_id = ? AND article_id = ?`,
			`DELETE FROM kb_rich_versions WHERE tenant_id = ? AND article_id = ?`} {
			if _, err := tx.Exec(ctx, q, tenantID, id); err != nil {
				return fmt.Errorf("delete rich answers: %w", err)
			}
		}
		return nil
	})
}

// prepare sanitizes an admin's markup (the editor's and an import's alike)
// and refuses what cannot be an answer: too much markup (or more than a
// spreadsheet cell holds, so that every export imports back whole), no
// text left or too much, an image of the hub's files that is not the
// tenant's.
func (s *Store) prepare(ctx context.Context, tenantID, markup string) (richtext.Doc, error) {
	if len(markup) > maxHTML {
		return richtext.Doc{}, hub.BadField("rich_too_long", "html", fmt.Sprintf("html is at most %d bytes", maxHTML),
			"max", strconv.Itoa(maxHTML))
	}
	doc := richtext.Sanitize(markup)
	if sheet.CellLen(doc.HTML) > sheet.MaxCell { // else the XLSX export could not hold it
		return richtext.Doc{}, hub.BadField("input_too_long", "html",
			fmt.Sprintf("html is at most %d characters once sanitized, the most a spreadsheet cell holds", sheet.MaxCell),
			"max", strconv.Itoa(sheet.MaxCell))
	}
	if doc.Text == "" || utf8.RuneCountInString(doc.Text) > 5000 {
		return richtext.Doc{}, hub.BadField("input_length", "html", "the answer's text is required, at most 5000 characters", "max", "5000")
	}
	if err := s.ownImages(ctx, tenantID, doc.Images); err != nil {
		return richtext.Doc{}, err
	}
	return doc, nil
}

// ownImages refuses an image from the hub's files that is not one of the
// tenant's (another tenant's file, or none): customers could not load it.
func (s *Store) ownImages(ctx context.Context, tenantID string, images []string) error {
	for _, src := range images {
		id, ok := strings.CutPrefix(src, richtext.FilesPrefix)
		if !ok {
			continue
		}
		if _, err := s.files.Get(ctx, tenantID, id); errors.Is(err, hub.ErrNotFound) {
			return hub.BadField("rich_image", "html", fmt.Sprintf("image %s is not one of your uploaded files", src), "src", src)
		} else if err != nil {
			return err
		}
	}
	return nil
}
