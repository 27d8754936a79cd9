package cluster

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-hub/kefu/e2e/kit"
	"github.com/kefu-hub/kefu/e2e/kit/lb"
)

// A real cluster: three NATS JetStream nodes (streams with 3 replicas),
// PostgreSQL, three hubs behind a round-robin proxy, agents connected
// through it. Mid-stream one NATS node — the inbound stream's leader — and
// one hub — the one serving an agent's socket — are killed with SIGKILL.
// Nothing acknowledged is lost or stored twice, the agents reconnect and
// between their sockets see every message (no event twice), and the
// surviving hubs assign every conversation, also those that start after
// the kills. Streams made earlier with one replica are updated to three.
// It runs alone, before the parallel tests: its hubs (up to 32 PostgreSQL
// connections each) share the server with the rest of the suite.
func TestClusterLosesANodeAndAHub(t *testing.T) {
	nodes := kit.StartNATSCluster(t, 3)
	e := env(t, kit.NATSURLs(nodes))
	e.Vars["KEFU_NATS_REPLICAS"] = "3"
	e.Vars["KEFU_INBOX_PARTITIONS"] = "8"
	prefix := e.Vars["KEFU_BUS_PREFIX"]
	js := jetStream(t, kit.NATSURLs(nodes))
	oneReplicaStreams(t, js, prefix) // as a hub of an earlier setting left them

	hubs := []*kit.Hub{e.Start(), e.Start(), e.Start()}
	kit.DropIdleConns(t)
	checkReplicas(t, js, prefix, 3)
	proxy := lb.New(t, hubs...)
	adm := &kit.Client{T: t, Base: proxy.Base, Token: hubs[0].Admin().Token}
	adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"})
	ch := adm.NewAPIChannel("", map[string]any{"default_group_id": "售后"})
	agents := []*kit.Client{adm.NewAgent("a1@kefu.test", 100, "售后"), adm.NewAgent("a2@kefu.test", 100, "售后")}
	var socks []*kit.ResumingSock
	for _, a := range agents {
		a.SetStatus("online")
		socks = append(socks, a.ResumingDial())
	}

	p := newPlatform(t, ch, proxy.Base)
	for c := 0; c < 10; c++ {
		p.customer(fmt.Sprintf("k%d", c), 25, 40*time.Millisecond)
	}
	kit.Eventually(t, 30*time.Second, "posting under way", func() bool { return p.count() >= 80 })

	leader := streamLeader(t, js, prefix+"_inbound")
	var victim *kit.Hub
	for _, h := range hubs {
		if h.Addr == proxy.Upgrades()[0] { // the hub serving a1's socket
			victim = h
		}
	}
	var lost *kit.NATSServer
	for _, n := range nodes {
		if n.Name == leader {
			lost = n
			n.Kill()
		}
	}
	victim.Kill()
	killed := time.Now()
	for c := 0; c < 4; c++ { // customers who first write after the kills
		p.customer(fmt.Sprintf("late%d", c), 10, 40*time.Millisecond)
	}
	p.wait()
	all := p.all()
	auditStored(t, e, ch.ID, all, 45*time.Second)

	d := kit.StoreDB(t, e)
	kit.Eventually(t, 30*time.Second, "every conversation assigned by the surviving hubs", func() bool {
		var open int
		d.Get(&open, d.Rebind(`SELECT COUNT(*) FROM conversations WHERE channel_id = ? AND assignee_id IS NULL`), ch.ID)
		return open == 0
	})
	var late int
	d.Get(&late, d.Rebind(`SELECT COUNT(*) FROM conversations c JOIN contacts k ON k.id = c.contact_id
		WHERE c.channel_id = ? AND k.external_id LIKE 'late%' AND c.assignee_id IS NOT NULL`), ch.ID)
	if late != 4 {
		t.Errorf("%d of the 4 conversations begun after the kills assigned", late)
	}

	want := map[string]bool{}
	for _, id := range all {
		want[id] = true
	}
	kit.Eventually(t, 30*time.Second, "every message reaches an agent's socket", func() bool {
		seen := 0
		got := map[string]bool{}
		for _, s := range socks {
			for _, f := range s.All() {
				for _, id := range kit.MessageExternalIDs(f) {
					if want[id] && !got[id] {
						got[id] = true
						seen++
					}
				}
			}
		}
		return seen == len(want)
	})
	for i, s := range socks {
		prev, ids := int64(0), map[int64]bool{}
		for _, f := range s.All() {
			id, _ := f["id"].(float64)
			if id == 0 || f["type"] == "ready" {
				continue
			}
			if ids[int64(id)] || int64(id) < prev {
				t.Fatalf("agent %d: event %d after %d: delivered twice or out of order across reconnects", i+1, int64(id), prev)
			}
			ids[int64(id)], prev = true, int64(id)
		}
	}
	if socks[0].Reconnects() == 0 {
		t.Error("the agent whose hub was killed did not reconnect")
	}

	// The lost node comes back (its consumers' state was in memory): the
	// cluster takes it in and the hubs go on.
	lost.Start()
	p2 := newPlatform(t, ch, proxy.Base)
	p2.customer("back", 20, 20*time.Millisecond)
	p2.wait()
	auditStored(t, e, ch.ID, p2.all(), 30*time.Second)
	for _, h := range hubs {
		if h != victim {
			waitReadyz(t, h.Base, 200, 15*time.Second)
		}
	}
	t.Logf("killed NATS %s and hub %s; %d messages acknowledged (%d after the kills), agents reconnected %d and %d times; refused answers: %v",
		leader, victim.Addr, len(all), len(p.ackedSince(killed)), socks[0].Reconnects(), socks[1].Reconnects(), p.answers())
}

func jetStream(t *testing.T, urls string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// oneReplicaStreams creates the hub's streams as a hub with
// KEFU_NATS_REPLICAS=1 would have.
func oneReplicaStreams(t *testing.T, js jetstream.JetStream, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, subject := range map[string]string{prefix + "_inbound": prefix + "_inbound.*",
		prefix + "_outbound": prefix + "_outbound", prefix + "_poison": prefix + "_poison"} {
		cfg := jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage,
			Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute, MaxAge: 7 * 24 * time.Hour, Replicas: 1}
		for {
			_, err := js.CreateStream(ctx, cfg)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("create stream %s: %v", name, err)
			}
			time.Sleep(200 * time.Millisecond) // the cluster may not have elected its leader yet
		}
	}
}

// checkReplicas checks every stream and consumer of the hub keeps n copies.
func checkReplicas(t *testing.T, js jetstream.JetStream, prefix string, n int) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{prefix + "_inbound", prefix + "_outbound", prefix + "_poison"} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CachedInfo().Config.Replicas; got != n {
			t.Fatalf("stream %s has %d replicas, want %d", name, got, n)
		}
		l := s.ListConsumers(ctx)
		count := 0
		for c := range l.Info() {
			count++
			if c.Cluster == nil || len(c.Cluster.Replicas)+1 != n {
				t.Errorf("consumer %s: cluster %+v, want %d copies", c.Name, c.Cluster, n)
			}
		}
		if count == 0 {
			t.Errorf("stream %s has no consumers", name)
		}
	}
}

// streamLeader is the name of the node leading a stream.
func streamLeader(t *testing.T, js jetstream.JetStream, name string) string {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info := s.CachedInfo()
	if info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("stream %s has no leader: %+v", name, info.Cluster)
	}
	var peers []string
	for _, r := range info.Cluster.Replicas {
		peers = append(peers, r.Name)
	}
	sort.Strings(peers)
	t.Logf("stream %s: leader %s, replicas %v", name, info.Cluster.Leader, peers)
	return info.Cluster.Leader
}
