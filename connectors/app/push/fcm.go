package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors"
)

// FCM HTTP v1: an OAuth 2.0 access token from the service account (a JWT
// bearer grant, RFC 7523), kept until shortly before it expires, then
// POST {base}/v1/projects/{project_id}/messages:send with one token per
// request.

// fcmScope is the OAuth scope of messages:send.
const fcmScope = "https://www.googleapis.com/auth/firebase.messaging"

// jwtBearer is the OAuth grant type of a signed JWT assertion.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

type fcmSender struct {
	sa       *serviceAccount
	client   *http.Client
	sendURL  string
	tokenURL string
	now      func() time.Time
	ttl      time.Duration
	tokens   *connectors.TokenCache
}

func newFCMSender(sa *serviceAccount, o Options) *fcmSender {
	tokenURL := sa.TokenURI
	if o.OAuthBase != "" {
		u, _ := url.Parse(sa.TokenURI) // parse checked it
		tokenURL = o.OAuthBase + u.EscapedPath()
	}
	rejected := func(err error) bool {
		pe, ok := err.(*Error)
		return ok && pe.kind == authRejected
	}
	return &fcmSender{sa: sa, client: o.HTTPClient, now: o.Now, ttl: o.TTL, tokenURL: tokenURL,
		sendURL: o.FCMBase + "/v1/projects/" + url.PathEscape(sa.ProjectID) + "/messages:send",
		tokens:  connectors.NewTokenCache(o.Tokens, o.Now, rejected)}
}

func (f *fcmSender) name() string { return ViaFCM }

func (f *fcmSender) send(ctx context.Context, t Target, n Notification) error {
	n, err := fit(n, fcmPayloadSize, fcmMaxPayload)
	if err != nil {
		return fmt.Errorf("fcm message: %w", err)
	}
	body, err := json.Marshal(fcmMessage{Message: f.message(t, n)})
	if err != nil {
		return fmt.Errorf("encode fcm message: %w", err)
	}
	return f.tokens.With(ctx, "fcm:"+f.sa.ClientEmail, f.fetchToken, func(tok string) error {
		return f.post(ctx, tok, body)
	})
}

func (f *fcmSender) post(ctx context.Context, accessToken string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.sendURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("fcm request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := f.client.Do(req)
	if err != nil {
		return transportError(ViaFCM, err)
	}
	raw := readAnswer(res)
	if res.StatusCode == http.StatusOK {
		return nil
	}
	return fcmError(res, raw)
}

// fcmAnswer is the error body of the HTTP v1 API (google.rpc.Status).
type fcmAnswer struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type            string `json:"@type"`
			ErrorCode       string `json:"errorCode"`
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

// FCM's detail types.
const (
	fcmErrorType   = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
	badRequestType = "type.googleapis.com/google.rpc.BadRequest"
)

// fcmError classifies a refusal: UNREGISTERED, or INVALID_ARGUMENT about
// the token, is an invalid token; 401 a rejected access token; 429 and 5xx
// are retried.
func fcmError(res *http.Response, raw []byte) error {
	var a fcmAnswer
	_ = json.Unmarshal(raw, &a)
	code, tokenField, otherField := a.Error.Status, false, false
	for _, d := range a.Error.Details {
		switch d.Type {
		case fcmErrorType:
			code = d.ErrorCode
		case badRequestType:
			for _, v := range d.FieldViolations {
				tokenField = tokenField || v.Field == "message.token"
				otherField = otherField || v.Field != "message.token"
			}
		}
	}
	e := answerError(ViaFCM, res, strings.TrimSpace(code+" "+a.Error.Message))
	switch {
	case code == "UNREGISTERED", code == "INVALID_ARGUMENT" && aboutToken(a.Error.Message, tokenField, otherField):
		e.kind = invalidToken
	case res.StatusCode == http.StatusUnauthorized && code != "THIRD_PARTY_AUTH_ERROR": // that one is the project's APNs or web push credential
		e.kind = authRejected
	}
	return e
}

// aboutToken tells an invalid registration token from another invalid
// argument (a bad data value, say): the field named is message.token, or
// none is named and FCM's message speaks of the registration token ("The
// registration token is not a valid FCM registration token").
func aboutToken(msg string, tokenField, otherField bool) bool {
	if tokenField || otherField {
		return tokenField
	}
	return strings.Contains(strings.ToLower(msg), "registration token")
}

// fetchToken exchanges a signed assertion for an access token.
func (f *fcmSender) fetchToken(ctx context.Context, _ string) (string, time.Duration, error) {
	now := f.now()
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if f.sa.PrivateKeyID != "" {
		header["kid"] = f.sa.PrivateKeyID
	}
	claims := map[string]any{"iss": f.sa.ClientEmail, "scope": fcmScope, "aud": f.sa.TokenURI,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	assertion, err := signJWT(header, claims, rs256(f.sa.key))
	if err != nil {
		return "", 0, err
	}
	form := url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := f.client.Do(req)
	if err != nil {
		return "", 0, transportError(ViaFCM, err)
	}
	return tokenAnswer(res, readAnswer(res))
}

// tokenAnswer reads the token endpoint's answer (RFC 6749 §5).
func tokenAnswer(res *http.Response, raw []byte) (string, time.Duration, error) {
	var a struct {
		AccessToken      string          `json:"access_token"`
		ExpiresIn        json.RawMessage `json:"expires_in"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	_ = json.Unmarshal(raw, &a)
	if res.StatusCode != http.StatusOK || a.AccessToken == "" {
		return "", 0, answerError(ViaFCM, res, strings.TrimSpace("oauth "+a.Error+" "+a.ErrorDescription))
	}
	secs, err := strconv.ParseInt(strings.Trim(string(a.ExpiresIn), `" `), 10, 64)
	if err != nil || secs <= 0 {
		secs = 3600
	}
	return a.AccessToken, time.Duration(secs) * time.Second, nil
}
