package push_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

func pemKey(t *testing.T, k any) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// sa is a service account key file with one field replaced.
func sa(t *testing.T, good string, field string, v any) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(good), &m)
	if v == nil {
		delete(m, field)
	} else {
		m[field] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestConfigValidation(t *testing.T) {
	fcm, ap, wh := pushtest.NewFCM(t), pushtest.NewAPNs(t), pushtest.NewWebhook(t)
	good := fcm.ServiceAccountJSON()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	apns := func(edit func(*push.APNsConfig)) push.Config {
		c := ap.Config()
		edit(c)
		return push.Config{APNs: c}
	}
	cases := []struct {
		name, field string
		cfg         push.Config
	}{
		{"webhook ftp", "webhook.url", push.Config{Webhook: &push.WebhookConfig{URL: "ftp://x", Secret: wh.Secret}}},
		{"webhook no host", "webhook.url", push.Config{Webhook: &push.WebhookConfig{URL: "https://", Secret: wh.Secret}}},
		{"webhook plain secret", "webhook.secret", push.Config{Webhook: &push.WebhookConfig{URL: wh.URL, Secret: "hunter2"}}},
		{"webhook no secret", "webhook.secret", push.Config{Webhook: &push.WebhookConfig{URL: wh.URL}}},
		{"sa not json", "not a service account key file", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: "-----BEGIN"}}},
		{"sa wrong type", "type is \"authorized_user\"", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "type", "authorized_user")}}},
		{"sa no project", "project_id", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "project_id", nil)}}},
		{"sa no email", "client_email", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "client_email", "x")}}},
		{"sa no key", "private_key: missing", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "private_key", nil)}}},
		{"sa garbage key", "private_key: not a PEM", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "private_key", "abc%%")}}},
		{"sa EC key", "not an RSA key", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "private_key", pemKey(t, ec))}}},
		{"sa token_uri", "token_uri", push.Config{FCM: &push.FCMConfig{ServiceAccountJSON: sa(t, good, "token_uri", "file:///etc/passwd")}}},
		{"apns team", "apns.team_id", apns(func(c *push.APNsConfig) { c.TeamID = "abc" })},
		{"apns key id", "apns.key_id", apns(func(c *push.APNsConfig) { c.KeyID = "" })},
		{"apns bundle", "apns.bundle_id", apns(func(c *push.APNsConfig) { c.BundleID = "com example" })},
		{"apns no p8", "apns.private_key_p8: missing", apns(func(c *push.APNsConfig) { c.PrivateKeyP8 = " " })},
		{"apns p8 garbage", "apns.private_key_p8", apns(func(c *push.APNsConfig) { c.PrivateKeyP8 = "-----BEGIN PRIVATE KEY-----\nzz\n" })},
		{"apns RSA p8", "not an ES256", apns(func(c *push.APNsConfig) { c.PrivateKeyP8 = pemKey(t, rk) })},
		{"apns P-384 p8", "not an ES256", apns(func(c *push.APNsConfig) { c.PrivateKeyP8 = pemKey(t, p384) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if !errors.Is(err, push.ErrConfig) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("Validate() = %v, want a config error naming %q", err, c.field)
			}
			if _, nerr := push.New(c.cfg, push.Options{}); !errors.Is(nerr, push.ErrConfig) {
				t.Fatalf("New accepted it: %v", nerr)
			}
		})
	}
}

func TestConfigAcceptsWhatAdminsPaste(t *testing.T) {
	fcm, ap := pushtest.NewFCM(t), pushtest.NewAPNs(t)
	// The key file pasted as an object, the .p8 without its header lines.
	p8 := ap.PrivateKeyP8()
	body := strings.Join(strings.Split(p8, "\n")[1:len(strings.Split(p8, "\n"))-2], "\n")
	raw := `{"fcm":{"service_account_json":` + fcm.ServiceAccountJSON() + `},` +
		`"apns":{"team_id":"` + ap.TeamID + `","key_id":"` + ap.KeyID + `","bundle_id":"com.example.kefu","private_key_p8":` +
		mustJSON(body) + `}}`
	var cfg push.Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	pub := cfg.Public()
	if pub.FCM.ServiceAccountJSON != "" || pub.APNs.PrivateKeyP8 != "" || pub.APNs.TeamID != ap.TeamID || cfg.APNs.PrivateKeyP8 == "" {
		t.Fatalf("Public kept a secret or lost a field: %+v %+v", pub.FCM, pub.APNs)
	}
	kept := pub.KeepSecrets(cfg)
	if kept.FCM.ServiceAccountJSON != cfg.FCM.ServiceAccountJSON || kept.APNs.PrivateKeyP8 != body {
		t.Fatal("KeepSecrets did not bring the stored secrets back")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
