package custsock

import (
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Upload limits what customers may send: the largest file and the
// (sniffed) types accepted.
type Upload struct {
	MaxBytes int64    `json:"max_bytes"`
	Types    []string `json:"types"` // MIME patterns: "image/*", "application/pdf"
}

var mimeRe = regexp.MustCompile(`^[a-z]+/([a-z0-9.+-]+|\*)$`)

// Normalize fills the defaults and checks the patterns.
func (u *Upload) Normalize() error {
	if u.MaxBytes <= 0 || u.MaxBytes > files.MaxFileSize {
		u.MaxBytes = files.MaxFileSize
	}
	if len(u.Types) == 0 {
		u.Types = []string{"image/*", "application/pdf", "text/plain", "application/zip"}
	}
	for _, t := range u.Types {
		if !mimeRe.MatchString(t) {
			return hub.Invalid("upload.types: %q is not a MIME type or pattern like image/*", t)
		}
	}
	return nil
}

// Allows reports whether an upload of the (sniffed) type is accepted.
func (u *Upload) Allows(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";")
	for _, t := range u.Types {
		if base, ok := strings.CutSuffix(t, "/*"); ok {
			if strings.HasPrefix(ctype, base+"/") {
				return true
			}
		} else if t == ctype {
			return true
		}
	}
	return false
}
