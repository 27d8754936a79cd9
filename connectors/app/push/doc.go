// Package push sends an app user's offline notifications: when a message
// for the customer finds no open socket, the app channel calls
// Pusher.Send with the user's registered devices.
//
// # Configuration
//
// An app channel's config "push" is a Config (JSON):
//
//	{"webhook": {"url": "https://push.example.com/kefu", "secret": "whsec_…"},
//	 "fcm":     {"service_account_json": "{…the key file…}"},
//	 "apns":    {"team_id": "ABCDE12345", "key_id": "KEY1234567", "private_key_p8": "-----BEGIN PRIVATE KEY-----…",
//	             "bundle_id": "com.example.app", "sandbox": false}}
//
// Every part is optional. Config.Validate names each field that cannot
// work (errors wrap ErrConfig: answer them 400). The webhook secret, the
// service account and the .p8 key are secrets: Public strips them for
// display, KeepSecrets restores those an update left out.
//
// # Routing
//
// With a webhook configured, each notification is one signed POST to it
// carrying every target (the company's own push service sends it on: the
// way to reach WeChat mini-programs, vendor push services in China, or
// FCM/APNs from a network that cannot reach them). Otherwise a target's
// Provider ("apns", "fcm"), when the app gave one, picks the sender; else
// ios goes to APNs (to FCM when only FCM is configured), android, harmony
// and web go to FCM, and miniprogram fails with ErrNoSender.
//
// # Wire
//
// Webhook: Standard Webhooks, signed by the hub's signer (connectors/api):
// webhook-id "push_<notification id>" (the same on retries),
// webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>"; body WebhookBody {"type": "push.requested",
// "timestamp", "data": {id, conversation_id, title, body, badge,
// collapse_id, data, targets: [{platform, token}]}}. A 2xx answer may list
// {"invalid_tokens": [...]}.
//
// FCM HTTP v1: an OAuth 2.0 access token from the service account (JWT
// bearer grant: RS256, iss client_email, scope firebase.messaging, aud
// token_uri, an hour), kept until five minutes before it expires and
// shared through Options.Tokens; POST {FCMBase}/v1/projects/{project_id}/
// messages:send with notification, data (string values, plus
// conversation_id and notification_id), android (collapse_key, priority
// high, ttl, notification tag and notification_count = badge), apns
// (headers, aps badge/sound/thread-id) and webpush options.
//
// APNs: HTTP/2, POST {APNsBase}/3/device/{token} with an ES256 provider
// token ({alg, kid}.{iss team_id, iat}) reused for 40 minutes; apns-topic
// bundle id, apns-push-type alert, apns-priority 10, apns-expiration (now
// + TTL), apns-id (the notification id as a UUID), apns-collapse-id;
// payload {"aps": {"alert": {title, body}, "badge", "sound": "default",
// "thread-id": conversation id}, "conversation_id", "notification_id",
// data keys}, the body cut to fit 4 KB.
//
// # Outcomes
//
// Each target gets a Result. InvalidToken (FCM UNREGISTERED or
// INVALID_ARGUMENT about the token; APNs 410 or BadDeviceToken; listed by
// the webhook) means delete the token — note that APNs also answers
// BadDeviceToken for a token of the other environment, so a wrong
// "sandbox" setting reads as invalid tokens. A rejected credential (FCM
// 401, APNs ExpiredProviderToken) is renewed once. 429 and 5xx, and
// requests that got no answer, are retried (Options.Retry: 3 attempts,
// Retry-After honoured up to 30s, else backoff from 500ms); the rest fail.
//
// # Wiring
//
//	push.New(cfg, push.Options{
//		HTTPClient: connectors.NewHTTPClient(conf.AllowPrivateCallbacks), // SSRF guard for the webhook and token_uri
//		FCMBase: conf.FCMAPIBase, OAuthBase: conf.FCMOAuthBase, APNsBase: conf.APNsAPIBase,
//		Tokens: store, // shares the FCM access token between hub processes
//	})
//
// Build one Pusher per channel config and keep it: it holds the access
// token and the provider token. Pushers does that per channel id (For,
// Send), rebuilding when the config changes. Fakes of all three services
// for tests are in pushtest.
package push
