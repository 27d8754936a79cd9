package connectors

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/kefu-hub/kefu/hub/files"
)

// Fail answers a platform with the hub's error shape and stops the handler.
func Fail(g *gin.Context, status int, code, msg string) {
	g.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": msg}})
}

// Unavailable answers 503 for an error the sender should retry — the store
// or the bus unreachable, or the inbox pushing back — since platforms retry
// on 5xx. When the error says how long to wait (the bus's backpressure
// does), Retry-After says it too. The workbench's error map answers its
// unavailable errors here, so every surface answers them alike.
func Unavailable(g *gin.Context, err error, msg string) {
	var later interface{ RetryAfter() time.Duration }
	if errors.As(err, &later) {
		g.Header("Retry-After", strconv.Itoa(int(math.Ceil(later.RetryAfter().Seconds()))))
		msg = "the inbox is behind; " + msg
	}
	Fail(g, http.StatusServiceUnavailable, "unavailable", msg)
}

// Disabled answers a request for a channel an admin deactivated, when ok
// says the channel is one; it returns whether it answered. A platform's push
// (a POST) gets ack, the platform's own "received" answer: a platform retries
// errors and some show their user an error page, and a deactivated channel
// should quietly take nothing rather than be retried. Anything else — a URL
// check, a widget or SDK call, ack nil — gets 410 Gone, which the widget
// shows as the service being unavailable.
func Disabled(g *gin.Context, disabled bool, ack func(*gin.Context)) bool {
	if !disabled {
		return false
	}
	if ack != nil && g.Request.Method == http.MethodPost {
		ack(g)
		g.Abort()
		return true
	}
	Fail(g, http.StatusGone, "channel_disabled", "this channel has been deactivated")
	return true
}

// ReadBody reads an inbound webhook body of at most max bytes. When it
// cannot (413 for oversize, 400 otherwise) it has already answered and
// returns false.
func ReadBody(g *gin.Context, max int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(g.Writer, g.Request.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Fail(g, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", max))
		return nil, false
	}
	if err != nil {
		Fail(g, http.StatusBadRequest, "bad_request", "could not read body")
		return nil, false
	}
	return body, true
}

// inlineImages are shown in the browser; anything else is downloaded.
var inlineImages = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/bmp": true}

// ServeFile answers with a stored file: a download, except images the bytes
// prove to be images; never sniffed by the browser, never run as a page.
func ServeFile(g *gin.Context, f *files.File) {
	h := g.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	disposition, ctype := "attachment", "application/octet-stream"
	if sniffed := http.DetectContentType(f.Data); inlineImages[sniffed] {
		disposition, ctype = "inline", sniffed
	} else if strings.HasPrefix(f.ContentType, "audio/") || strings.HasPrefix(f.ContentType, "video/") {
		ctype = f.ContentType // players need it; a download is never rendered as a page
	}
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": f.Name})
	if cd == "" {
		cd = disposition
	}
	h.Set("Content-Disposition", cd)
	g.Data(http.StatusOK, ctype, f.Data)
}

// ReadUpload reads the multipart field "file" of at most max bytes. When it
// cannot (413 too large, 400 missing or empty) it has already answered and
// returns false. The caller sniffs the type from the bytes, never trusting
// the claimed one.
func ReadUpload(g *gin.Context, max int64) (name string, data []byte, ok bool) {
	g.Request.Body = http.MaxBytesReader(g.Writer, g.Request.Body, max+64<<10)
	fh, err := g.FormFile("file")
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Fail(g, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("files are at most %d bytes", max))
		return "", nil, false
	}
	if err != nil {
		Fail(g, http.StatusBadRequest, "bad_request", `send the file as multipart/form-data in the field "file"`)
		return "", nil, false
	}
	r, err := fh.Open()
	if err != nil {
		Fail(g, http.StatusBadRequest, "bad_request", "could not read the file")
		return "", nil, false
	}
	defer r.Close()
	data, err = io.ReadAll(io.LimitReader(r, max+1))
	switch {
	case err != nil || len(data) == 0:
		Fail(g, http.StatusBadRequest, "bad_request", "the file is empty or could not be read")
		return "", nil, false
	case int64(len(data)) > max:
		Fail(g, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("files are at most %d bytes", max))
		return "", nil, false
	}
	return fh.Filename, data, true
}

// QueryInt reads a non-negative integer query parameter (def when absent);
// otherwise it answers 400 and returns false.
func QueryInt(g *gin.Context, name string, def int64) (int64, bool) {
	v := g.Query(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		Fail(g, http.StatusBadRequest, "bad_request", name+" must be a non-negative integer")
		return 0, false
	}
	return n, true
}
