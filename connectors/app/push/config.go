package push

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors/api"
)

// ErrConfig marks every configuration error: the channel form answers it
// with 400 and the message as it is.
var ErrConfig = errors.New("push config")

// Config is an app channel's "push" settings. Each part is optional; with
// none, Send fails every target (ErrNoSender).
type Config struct {
	// Webhook, when set, receives every notification (the company's own
	// push service sends it on); FCM and APNs are then not used.
	Webhook *WebhookConfig `json:"webhook,omitempty"`
	// FCM sends to android, harmony and web tokens (and ios tokens when
	// APNs is not configured: an iOS app using Firebase registers an FCM
	// token).
	FCM *FCMConfig `json:"fcm,omitempty"`
	// APNs sends to ios tokens.
	APNs *APNsConfig `json:"apns,omitempty"`
}

// WebhookConfig is the company's push endpoint, called the Standard
// Webhooks way.
type WebhookConfig struct {
	// URL receives POSTs of push requests (http or https).
	URL string `json:"url"`
	// Secret signs them: "whsec_<base64>" (a secret).
	Secret string `json:"secret,omitempty"`
}

// FCMConfig is a Firebase project's service account.
type FCMConfig struct {
	// ServiceAccountJSON is the key file downloaded from the Firebase
	// console (Project settings → Service accounts → Generate new private
	// key), as text; a JSON object is accepted too. It is a secret.
	ServiceAccountJSON string `json:"service_account_json,omitempty"`
}

// UnmarshalJSON accepts the service account as a string or as the object.
func (f *FCMConfig) UnmarshalJSON(b []byte) error {
	var w struct {
		ServiceAccountJSON json.RawMessage `json:"service_account_json"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	raw := strings.TrimSpace(string(w.ServiceAccountJSON))
	if strings.HasPrefix(raw, "{") {
		f.ServiceAccountJSON = raw
		return nil
	}
	f.ServiceAccountJSON = ""
	if raw == "" || raw == "null" {
		return nil
	}
	return json.Unmarshal(w.ServiceAccountJSON, &f.ServiceAccountJSON)
}

// APNsConfig is an Apple Developer account's token-based APNs key.
type APNsConfig struct {
	// TeamID is the 10-character Team ID (Membership details).
	TeamID string `json:"team_id"`
	// KeyID is the 10-character ID of the APNs auth key.
	KeyID string `json:"key_id"`
	// PrivateKeyP8 is the AuthKey_<KeyID>.p8 file's text (a secret).
	PrivateKeyP8 string `json:"private_key_p8,omitempty"`
	// BundleID is the app's bundle identifier, sent as apns-topic.
	BundleID string `json:"bundle_id"`
	// Sandbox sends to the development server (apps signed for
	// development); otherwise production.
	Sandbox bool `json:"sandbox"`
}

// serviceAccount is the part of a Google service account key file used.
type serviceAccount struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`

	key *rsa.PrivateKey
}

// defaultTokenURI is Google's OAuth 2.0 token endpoint, used when a key
// file names none.
const defaultTokenURI = "https://oauth2.googleapis.com/token"

var (
	appleIDPattern   = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	bundlePattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]{0,154}$`)
	projectIDPattern = regexp.MustCompile(`^[a-z][a-z0-9\-]{4,61}[a-z0-9]$`)
)

// Validate reports every part of the config that cannot work, each error
// wrapping ErrConfig and naming its field.
func (c Config) Validate() error {
	var errs []error
	if c.Webhook != nil {
		errs = append(errs, c.Webhook.validate())
	}
	if c.FCM != nil {
		_, err := c.FCM.parse()
		errs = append(errs, err)
	}
	if c.APNs != nil {
		_, err := c.APNs.parse()
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func configErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...))
}

func (w *WebhookConfig) validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return configErr("webhook.url", "%q is not an http(s) URL", w.URL)
	}
	if _, err := api.Sign(w.Secret, "check", time.Unix(0, 0), nil); err != nil {
		return configErr("webhook.secret", "must be whsec_ followed by base64 (as the hub generates)")
	}
	return nil
}

// parse reads the service account key file.
func (f *FCMConfig) parse() (*serviceAccount, error) {
	const field = "fcm.service_account_json"
	var sa serviceAccount
	if err := json.Unmarshal([]byte(f.ServiceAccountJSON), &sa); err != nil {
		return nil, configErr(field, "not a service account key file (JSON): %v", err)
	}
	switch {
	case sa.Type != "" && sa.Type != "service_account":
		return nil, configErr(field, "type is %q, want service_account (Firebase console → Service accounts)", sa.Type)
	case !projectIDPattern.MatchString(sa.ProjectID):
		return nil, configErr(field, "project_id %q is not a Firebase project ID", sa.ProjectID)
	case !strings.Contains(sa.ClientEmail, "@"):
		return nil, configErr(field, "client_email %q is not a service account address", sa.ClientEmail)
	}
	if sa.TokenURI == "" {
		sa.TokenURI = defaultTokenURI
	}
	if u, err := url.Parse(sa.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, configErr(field, "token_uri %q is not an http(s) URL", sa.TokenURI)
	}
	key, err := rsaKey(sa.PrivateKey)
	if err != nil {
		return nil, configErr(field, "private_key: %v", err)
	}
	sa.key = key
	return &sa, nil
}

func rsaKey(text string) (*rsa.PrivateKey, error) {
	der, err := pemBytes(text)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("the key is not an RSA key")
	}
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, errors.New("not a PKCS#8 or PKCS#1 RSA private key")
	}
	return k, nil
}

// parse reads the .p8 key and checks the identifiers.
func (a *APNsConfig) parse() (*ecdsa.PrivateKey, error) {
	switch {
	case !appleIDPattern.MatchString(a.TeamID):
		return nil, configErr("apns.team_id", "%q is not a 10-character Team ID (A–Z, 0–9)", a.TeamID)
	case !appleIDPattern.MatchString(a.KeyID):
		return nil, configErr("apns.key_id", "%q is not a 10-character Key ID (A–Z, 0–9)", a.KeyID)
	case !bundlePattern.MatchString(a.BundleID):
		return nil, configErr("apns.bundle_id", "%q is not a bundle identifier such as com.example.app", a.BundleID)
	}
	der, err := pemBytes(a.PrivateKeyP8)
	if err != nil {
		return nil, configErr("apns.private_key_p8", "%v", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, configErr("apns.private_key_p8", "not a PKCS#8 private key (the AuthKey_%s.p8 file)", a.KeyID)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, configErr("apns.private_key_p8", "not an ES256 (P-256) key: APNs auth keys are")
	}
	return ek, nil
}

// pemBytes returns the DER inside a PEM block, or the base64 text itself
// decoded when the header lines were left out.
func pemBytes(text string) ([]byte, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, `\n`, "\n"))
	if text == "" {
		return nil, errors.New("missing")
	}
	if b, _ := pem.Decode([]byte(text)); b != nil {
		return b.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, errors.New("not a PEM private key (-----BEGIN PRIVATE KEY----- …)")
	}
	return der, nil
}

// Public is the config without its secrets (the webhook secret, the
// service account, the .p8 key), as the API may show it.
func (c Config) Public() Config {
	if c.Webhook != nil {
		w := *c.Webhook
		w.Secret = ""
		c.Webhook = &w
	}
	if c.FCM != nil {
		c.FCM = &FCMConfig{}
	}
	if c.APNs != nil {
		a := *c.APNs
		a.PrivateKeyP8 = ""
		c.APNs = &a
	}
	return c
}

// KeepSecrets fills the secrets an update left out from the config stored
// before, so an admin changing the bundle id need not paste the key again.
func (c Config) KeepSecrets(prev Config) Config {
	if c.Webhook != nil && c.Webhook.Secret == "" && prev.Webhook != nil {
		w := *c.Webhook
		w.Secret = prev.Webhook.Secret
		c.Webhook = &w
	}
	if c.FCM != nil && c.FCM.ServiceAccountJSON == "" && prev.FCM != nil {
		c.FCM = &FCMConfig{ServiceAccountJSON: prev.FCM.ServiceAccountJSON}
	}
	if c.APNs != nil && c.APNs.PrivateKeyP8 == "" && prev.APNs != nil {
		a := *c.APNs
		a.PrivateKeyP8 = prev.APNs.PrivateKeyP8
		c.APNs = &a
	}
	return c
}
