package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"golang.org/x/sync/errgroup"
)

// fixture is what the bench created on the hub for this run.
type fixture struct {
	runID     string
	tenantID  string
	channelID string
	secret    string
	admin     *apiClient // the bench tenant's admin
	agents    []*apiClient
	agentIDs  []string
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// setUp logs in as the platform admin and creates a fresh tenant, one API
// channel (with callback when callback != "") and cfg.Agents agents, each
// logged in and online, able to take every customer between them.
func setUp(ctx context.Context, cfg Config, base *url.URL, hc *http.Client, callback string, log *slog.Logger) (*fixture, error) {
	root, err := login(ctx, base, hc, cfg.Email, cfg.Password)
	if err != nil {
		return nil, err
	}
	fx := &fixture{runID: randHex(4)}
	adminEmail, adminPass := "admin-"+fx.runID+"@bench.kefu.test", "bench-"+randHex(8)
	var created struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	if err := root.do(ctx, http.MethodPost, "/api/v1/tenants", http.StatusCreated, map[string]string{
		"name": "bench " + fx.runID, "admin_email": adminEmail, "admin_password": adminPass}, &created); err != nil {
		return nil, fmt.Errorf("create tenant (is %s the platform admin?): %w", cfg.Email, err)
	}
	fx.tenantID = created.Tenant.ID
	adm, err := login(ctx, base, hc, adminEmail, adminPass)
	if err != nil {
		return nil, err
	}
	fx.admin = adm
	chReq := map[string]any{"type": "api", "name": "bench " + fx.runID, "config": map[string]any{}}
	if callback != "" {
		chReq["config"] = map[string]any{"callback_url": callback}
	}
	var ch struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := adm.do(ctx, http.MethodPost, "/api/v1/channels", http.StatusCreated, chReq, &ch); err != nil {
		return nil, fmt.Errorf("create API channel (a callback on loopback needs KEFU_ALLOW_PRIVATE_CALLBACKS=true on the hub, or -callback=false): %w", err)
	}
	fx.channelID, fx.secret = ch.ID, ch.Secret
	log.Info("bench tenant ready", "tenant", fx.tenantID, "channel", fx.channelID, "admin", adminEmail)

	fx.agents = make([]*apiClient, cfg.Agents)
	fx.agentIDs = make([]string, cfg.Agents)
	maxChats := agentCapacity(cfg.Customers, cfg.Agents)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4) // password hashing is deliberately slow; do not starve the hub
	for i := range cfg.Agents {
		g.Go(func() error {
			email := fmt.Sprintf("agent%03d-%s@bench.kefu.test", i, fx.runID)
			pass := "bench-" + randHex(8)
			var a struct {
				ID string `json:"id"`
			}
			if err := adm.do(gctx, http.MethodPost, "/api/v1/agents", http.StatusCreated, map[string]any{
				"email": email, "password": pass, "name": fmt.Sprintf("Bench %03d", i),
				"max_chats": maxChats, "groups": []string{}}, &a); err != nil {
				return fmt.Errorf("create agent %d: %w", i, err)
			}
			c, err := login(gctx, base, hc, email, pass)
			if err != nil {
				return err
			}
			if err := c.do(gctx, http.MethodPut, "/api/v1/me/status", http.StatusOK,
				map[string]string{"status": "online"}, nil); err != nil {
				return fmt.Errorf("agent %d online: %w", i, err)
			}
			fx.agents[i], fx.agentIDs[i] = c, a.ID
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	log.Info("bench agents online", "agents", cfg.Agents, "max_chats", maxChats)
	return fx, nil
}

// agentCapacity is each agent's max_chats: twice an even share of the
// customers (routing by load is not perfectly even mid-flight), within the
// hub's 1..1000 bounds.
func agentCapacity(customers, agents int) int {
	share := (customers + agents - 1) / agents
	return max(1, min(1000, 2*share+1))
}

// tearDown sets the agents offline so the bench tenant stops taking chats.
func (fx *fixture) tearDown(ctx context.Context) {
	for _, c := range fx.agents {
		if c != nil {
			_ = c.do(ctx, http.MethodPut, "/api/v1/me/status", http.StatusOK, map[string]string{"status": "offline"}, nil)
		}
	}
}
