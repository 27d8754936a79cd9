package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// The deployment files keep the shape these tests prove: a three-node NATS
// JetStream cluster on persistent storage, hubs asking for 3 replicas and
// knowing every node, readiness on /readyz and liveness on /healthz,
// disruption budgets. (It parses the YAML; it runs neither Docker nor
// Kubernetes.)
func TestDeployFiles(t *testing.T) {
	t.Parallel()
	t.Run("compose", func(t *testing.T) {
		c := docs(t, "deploy/compose.yaml")[0]
		services := dig[map[string]any](t, c, "services")
		var nodes []string
		for name := range services {
			if strings.HasPrefix(name, "nats") {
				nodes = append(nodes, name)
			}
		}
		slices.Sort(nodes)
		if len(nodes) != 3 {
			t.Fatalf("NATS services %v, want 3", nodes)
		}
		for _, n := range nodes {
			args := fmt.Sprint(dig[[]any](t, services, n, "command"))
			for _, want := range []string{"--jetstream", "--cluster_name", "nats://nats1:6222,nats://nats2:6222,nats://nats3:6222"} {
				if !strings.Contains(args, want) {
					t.Errorf("%s: command %s lacks %s", n, args, want)
				}
			}
			if vols := fmt.Sprint(dig[[]any](t, services, n, "volumes")); !strings.Contains(vols, n+":/data") {
				t.Errorf("%s keeps its store in %s, want its own volume", n, vols)
			}
		}
		hubs := 0
		for name := range services {
			if !strings.HasPrefix(name, "kefu") {
				continue
			}
			hubs++
			env := dig[map[string]any](t, services, name, "environment")
			if env["KEFU_NATS_REPLICAS"] != "3" {
				t.Errorf("%s: KEFU_NATS_REPLICAS %v, want 3", name, env["KEFU_NATS_REPLICAS"])
			}
			if env["KEFU_SECRET_KEY"] == nil {
				t.Errorf("%s has no KEFU_SECRET_KEY (required with PostgreSQL)", name)
			}
			for _, n := range nodes {
				if !strings.Contains(fmt.Sprint(env["KEFU_NATS_URL"]), n+":4222") {
					t.Errorf("%s: KEFU_NATS_URL %v lacks %s", name, env["KEFU_NATS_URL"], n)
				}
			}
		}
		if hubs < 2 {
			t.Errorf("%d hub services, want several", hubs)
		}
	})
	t.Run("kubernetes", func(t *testing.T) {
		objs := map[string]map[string]any{} // kind/name → object
		files, _ := filepath.Glob(kit.Path(t, "deploy/k8s/*.yaml"))
		for _, f := range files {
			rel, _ := filepath.Rel(kit.Path(t, ""), f)
			for _, d := range docs(t, rel) {
				objs[fmt.Sprint(d["kind"], "/", dig[any](t, d, "metadata", "name"))] = d
			}
		}
		kust := objs["Kustomization/<nil>"]
		for _, f := range files {
			if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(dig[[]any](t, kust, "resources"), any(base)) {
				t.Errorf("kustomization.yaml leaves out %s", base)
			}
		}
		nats := objs["StatefulSet/nats"]
		if nats == nil || dig[uint64](t, nats, "spec", "replicas") != 3 || len(dig[[]any](t, nats, "spec", "volumeClaimTemplates")) == 0 {
			t.Errorf("want a 3-replica NATS StatefulSet with persistent volumes: replicas %v, volume claims %v",
				dig[any](t, nats, "spec", "replicas"), dig[any](t, nats, "spec", "volumeClaimTemplates"))
		}
		cm := objs["ConfigMap/kefu"]
		if dig[string](t, cm, "data", "KEFU_NATS_REPLICAS") != "3" {
			t.Errorf("configmap KEFU_NATS_REPLICAS %v, want 3", dig[any](t, cm, "data", "KEFU_NATS_REPLICAS"))
		}
		hub := dig[map[string]any](t, objs["Deployment/kefu"], "spec", "template", "spec", "containers", "0")
		if p := dig[string](t, hub, "readinessProbe", "httpGet", "path"); p != "/readyz" {
			t.Errorf("readiness probe %s, want /readyz", p)
		}
		if p := dig[string](t, hub, "livenessProbe", "httpGet", "path"); p != "/healthz" {
			t.Errorf("liveness probe %s, want /healthz", p)
		}
		for _, pdb := range []string{"PodDisruptionBudget/kefu", "PodDisruptionBudget/nats"} {
			if objs[pdb] == nil {
				t.Errorf("no %s", pdb)
			}
		}
	})
}

// docs parses every YAML document of a repository file.
func docs(t *testing.T, rel string) []map[string]any {
	t.Helper()
	f, err := os.Open(kit.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	dec := yaml.NewDecoder(f)
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

// dig walks maps by key and lists by index ("0") to a value of type T.
func dig[T any](t *testing.T, v any, path ...string) T {
	t.Helper()
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			fmt.Sscan(k, &i)
			if i >= len(x) {
				v = nil
				break
			}
			v = x[i]
		default:
			v = nil
		}
	}
	out, _ := v.(T)
	return out
}
