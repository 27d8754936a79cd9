package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/e2e/bench/ledger"
)

// benchOrigin is the page origin the bench's visitors claim (allowed on
// the bench channel only).
const benchOrigin = "bench.kefu.local"

// webChannel creates the bench tenant's web channel, allowing benchOrigin.
func webChannel(ctx context.Context, fx *fixture) (string, error) {
	var ch struct {
		ID string `json:"id"`
	}
	if err := fx.admin.do(ctx, http.MethodPost, "/api/v1/channels", http.StatusCreated, map[string]any{"type": "web",
		"name": "bench " + fx.runID, "config": map[string]any{"allowed_domains": []string{benchOrigin},
			// The bench's visitors are scripted by design: lift the channel's
			// caps on active conversations (per address, per channel).
			"limits": map[string]any{"open_per_address": 100000, "open_per_channel": 1000000}}}, &ch); err != nil {
		return "", fmt.Errorf("web channel: %w", err)
	}
	return ch.ID, nil
}

// visitorOut is a frame a visitor sends (connectors/web/doc.go).
type visitorOut struct {
	Type     string     `json:"type"`
	ClientID string     `json:"client_id,omitempty"`
	Text     string     `json:"text,omitempty"`
	Page     *pageFrame `json:"page,omitempty"`
}

type pageFrame struct {
	URL   string `json:"url"`
	Title string `json:"title"`
}

// visitorIn is the part of the hub's frames a bench visitor reads.
type visitorIn struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	Visitor  struct {
		ID string `json:"id"`
	} `json:"visitor"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// nackStatus maps a refused message's error code to the HTTP status the
// API channel would answer, so both workloads tally refusals alike.
var nackStatus = map[string]int{"bad_request": http.StatusBadRequest, "too_long": http.StatusRequestEntityTooLarge,
	"rate_limited": http.StatusTooManyRequests, "unavailable": http.StatusServiceUnavailable}

type benchVisitor struct {
	id      string
	conn    *websocket.Conn
	connect time.Duration // dial → welcome
	wmu     sync.Mutex
	texts   map[string]string // by client id, for a resend (under wmu)
	closed  atomic.Bool
}

// The website widget keeps a message the hub refused as busy or rate
// limited in its outbox and sends it again 3 s later, under the same
// client id (connectors/web/widget/src/loader.ts); the bench's visitors do
// the same, up to maxResends times, so a run measures what a visitor
// waits rather than counting a busy hub's refusals as unsent.
const (
	resendAfter = 3 * time.Second
	maxResends  = 20
)

// say sends a message; the ledger learns of it under the external id the
// hub gives it ("w:<visitor>:<client id>"), its ack or refusal from read.
func (v *benchVisitor) say(clientID, text string, first bool, scheduled time.Time, l *ledger.Ledger) {
	id := "w:" + v.id + ":" + clientID
	l.SentAs(id, first, scheduled, time.Now(), false)
	v.wmu.Lock()
	defer v.wmu.Unlock()
	if v.texts == nil {
		v.texts = map[string]string{}
	}
	v.texts[clientID] = text
	v.write(id, clientID, text, l)
}

// write sends a message frame (wmu held); a socket that cannot take it
// answers the message with a transport error.
func (v *benchVisitor) write(id, clientID, text string, l *ledger.Ledger) {
	v.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := v.conn.WriteJSON(visitorOut{Type: "message", ClientID: clientID, Text: text}); err != nil {
		l.Answered(id, 0, time.Now())
	}
}

// resend sends a refused message again, as the widget does.
func (v *benchVisitor) resend(clientID string, l *ledger.Ledger) {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	v.write("w:"+v.id+":"+clientID, clientID, v.texts[clientID], l)
}

// openVisitors dials n visitor sockets, at most 64 at a time and, with
// perSec > 0, starting perSec a second, from many loopback source
// addresses (the hub limits connections per address).
func openVisitors(ctx context.Context, u string, n int, perSec float64, l *ledger.Ledger, log *slog.Logger) ([]*benchVisitor, int) {
	var mu sync.Mutex
	var out []*benchVisitor
	var failed atomic.Int64
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if perSec > 0 {
			sleep(ctx, time.Until(t0.Add(time.Duration(float64(i)/perSec*float64(time.Second)))))
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := dialVisitor(ctx, u, i, l)
			if err != nil {
				if failed.Add(1) <= 5 {
					log.Warn("visitor socket", "err", err)
				}
				return
			}
			mu.Lock()
			out = append(out, v)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, int(failed.Load())
}

func dialVisitor(ctx context.Context, u string, i int, l *ledger.Ledger) (*benchVisitor, error) {
	// 127.0.0.1 … 127.0.3.254: up to ~1,000 source addresses.
	src := net.IPv4(127, 0, byte(i/254%4), byte(1+i%254))
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024,
		NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}).DialContext}
	h := http.Header{"Origin": {"https://" + benchOrigin}, "User-Agent": {"kefu-bench"}}
	t0 := time.Now()
	conn, _, err := d.DialContext(ctx, u, h)
	if err != nil {
		return nil, fmt.Errorf("dial visitor socket: %w", err)
	}
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	hello := visitorOut{Type: "hello", Page: &pageFrame{URL: "https://" + benchOrigin + "/p/" + strconv.Itoa(i), Title: "bench"}}
	if err := conn.WriteJSON(hello); err != nil {
		conn.Close()
		return nil, fmt.Errorf("send hello: %w", err)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w visitorIn
	if err := conn.ReadJSON(&w); err != nil {
		conn.Close()
		return nil, fmt.Errorf("read welcome: %w", err)
	}
	if w.Type != "welcome" {
		conn.Close()
		return nil, fmt.Errorf("first frame is %q, want welcome", w.Type)
	}
	conn.SetReadDeadline(time.Time{})
	v := &benchVisitor{id: w.Visitor.ID, conn: conn, connect: time.Since(t0)}
	go v.read(l)
	return v, nil
}

// read answers pings (gorilla does) and records acks and refusals until
// the socket ends.
func (v *benchVisitor) read(l *ledger.Ledger) {
	defer v.closed.Store(true)
	for {
		_, b, err := v.conn.ReadMessage()
		if err != nil {
			return
		}
		var f visitorIn
		if json.Unmarshal(b, &f) != nil || f.ClientID == "" {
			continue
		}
		switch f.Type {
		case "ack":
			l.Answered("w:"+v.id+":"+f.ClientID, http.StatusOK, time.Now())
		case "error":
			id := "w:" + v.id + ":" + f.ClientID
			if retry := f.Error.Code == "unavailable" || f.Error.Code == "rate_limited"; retry {
				if n := l.Resent(id); n > 0 && n <= maxResends {
					time.AfterFunc(resendAfter, func() { v.resend(f.ClientID, l) })
					continue
				}
			}
			status, ok := nackStatus[f.Error.Code]
			if !ok {
				status = http.StatusUnprocessableEntity
			}
			l.Answered(id, status, time.Now())
		}
	}
}
