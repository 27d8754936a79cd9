package bench

import (
	"context"
	"log/slog"
	"net/url"
	"time"
)

// What the load tools in sub-packages (appload) use of this one.

// Caller calls the hub's REST API as one signed-in user, expecting status
// want and decoding the answer into out.
type Caller interface {
	Do(ctx context.Context, method, path string, want int, in, out any) error
}

// Do is do, for the sub-packages.
func (c *apiClient) Do(ctx context.Context, method, path string, want int, in, out any) error {
	return c.do(ctx, method, path, want, in, out)
}

// Tenant is a bench tenant: its admin and its agents, online.
type Tenant struct {
	RunID  string
	Admin  Caller
	Agents map[string]Caller // by agent id
	fx     *fixture
}

// SetUpTenant creates a bench tenant with agents able to take customers
// conversations between them (setUp).
func SetUpTenant(ctx context.Context, email, password string, base *url.URL, customers, agents int, log *slog.Logger) (*Tenant, error) {
	fx, err := setUp(ctx, Config{Email: email, Password: password, Customers: customers, Agents: agents}, base,
		newHTTPClient(16, 30*time.Second), "", log)
	if err != nil {
		return nil, err
	}
	t := &Tenant{RunID: fx.runID, Admin: fx.admin, Agents: map[string]Caller{}, fx: fx}
	for i, id := range fx.agentIDs {
		t.Agents[id] = fx.agents[i]
	}
	return t, nil
}

// TearDown signs the bench's users out.
func (t *Tenant) TearDown(ctx context.Context) { t.fx.tearDown(ctx) }

// RSSKB is a process's resident memory in KB.
func RSSKB(pid int) (int64, error) { return rssKB(pid) }

// ListenerPID finds the process listening on a local TCP port.
func ListenerPID(port string) (int, error) { return listenerPID(port) }

// RaiseFileLimit lifts this process's open-file limit towards n.
func RaiseFileLimit(n int) { raiseFileLimit(n) }

// LatencyOf summarizes sorted durations.
func LatencyOf(sorted []time.Duration) Latency { return latency(sorted) }

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) { sleep(ctx, d) }
