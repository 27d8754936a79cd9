package desk

import (
	"net/url"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// An admin rotates the rating link key through the REST API: each rotation
// answers with the new current key, the list shows it first with the older
// key's last opening time (never a secret); the current key cannot be
// deleted (409), an older one can (204, then 404), another tenant's admin
// cannot touch them and an agent may not list or rotate; rotations and
// deletions are in the audit log.
func TestRatingLinkKeyRotationAPI(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		type key struct {
			ID         string
			Current    bool
			OpensUntil string `json:"opens_until"`
			Secret     string
		}
		var ring struct{ Keys []key }
		adm.Must(200, "GET", "/api/v1/ratings/link-keys", nil).JSON(t, &ring)
		if len(ring.Keys) != 0 {
			t.Fatalf("keys before any link: %+v", ring)
		}
		var first, second key
		adm.Must(201, "POST", "/api/v1/ratings/link-keys", nil).JSON(t, &first)
		adm.Must(201, "POST", "/api/v1/ratings/link-keys", nil).JSON(t, &second)
		if !first.Current || !second.Current || first.ID == second.ID {
			t.Fatalf("rotations answered %+v and %+v", first, second)
		}
		r := adm.Must(200, "GET", "/api/v1/ratings/link-keys", nil)
		r.JSON(t, &ring)
		if len(ring.Keys) != 2 || ring.Keys[0].ID != second.ID || !ring.Keys[0].Current || ring.Keys[1].ID != first.ID ||
			ring.Keys[1].Current || ring.Keys[1].OpensUntil == "" || ring.Keys[0].Secret != "" {
			t.Fatalf("the ring: %s", r.Body)
		}
		agent := adm.NewAgent("keys-agent@kefu.test", 5)
		agent.Must(403, "GET", "/api/v1/ratings/link-keys", nil)
		agent.Must(403, "POST", "/api/v1/ratings/link-keys", nil)
		agent.Must(403, "DELETE", "/api/v1/ratings/link-keys/"+first.ID, nil)
		adm.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "Other", "admin_email": "keys-other@kefu.test",
			"admin_password": "other-pass-1"})
		other := kit.Login(t, h.Base, "keys-other@kefu.test", "other-pass-1")
		other.Must(404, "DELETE", "/api/v1/ratings/link-keys/"+first.ID, nil)

		if r := adm.Must(409, "DELETE", "/api/v1/ratings/link-keys/"+second.ID, nil); r.Str("error.reason") != "rating_key_current" {
			t.Fatalf("deleting the current key: %s", r.Body)
		}
		adm.Must(204, "DELETE", "/api/v1/ratings/link-keys/"+first.ID, nil)
		adm.Must(404, "DELETE", "/api/v1/ratings/link-keys/"+first.ID, nil)
		adm.Must(200, "GET", "/api/v1/ratings/link-keys", nil).JSON(t, &ring)
		if len(ring.Keys) != 1 || ring.Keys[0].ID != second.ID {
			t.Fatalf("the ring after the delete: %+v", ring)
		}
		es := auditList(adm, url.Values{"action": {"rating_key.rotate"}}).Entries
		if len(es) != 2 {
			t.Fatalf("audit: %+v, want two rotations", es)
		}
		if find(auditList(adm, url.Values{"action": {"rating_key.delete"}}).Entries, "rating_key.delete", first.ID) == nil {
			t.Fatal("the deletion is not in the audit log")
		}
	})
}
