// Package app is the app channel: in-app chat for a company's own iOS,
// Android, HarmonyOS, React Native or web app and WeChat mini-programs. The
// app (through connectors/app/sdk/js or connectors/app/sdk/go, or plain
// HTTP from native code) identifies its signed-in user, then talks to the
// hub over REST and one websocket — the same customer protocol as the web
// widget (connectors/web/doc.go) wherever it fits. A user without an open
// socket gets agent messages as push notifications (connectors/app/push).
//
// # Channel
//
//	POST /api/v1/channels {"type":"app","name":"…","config":{
//	    "identity":"hmac"|"jwt"|"anonymous",   // how users prove who they are (default hmac)
//	    "push":{…},                            // push senders (connectors/app/push); optional
//	    "rating":bool,                         // offer the rating form when a conversation closes
//	    "upload":{"max_bytes":N,"types":["image/*",…]}}}   // as the web widget's
//	  → {"id", "setup":{"app_key","identity_secret","identity","base_url","base_path"}}
//	POST /api/v1/channels/{id}/rotate_identity_secret → the channel with a new
//	  setup.identity_secret; the previous secret stays valid for 24 hours.
//
// The app_key is public (it is in the app); the identity_secret stays on the
// company's server, which signs its users' ids with it. Secrets are sealed at
// rest like every channel secret.
//
// # Identity
//
//	POST /app/v1/{app_key}/identify
//	  {"user_id":"42","user_hash":"<hex HMAC-SHA256(identity_secret, user_id)>"}   identity "hmac"
//	  {"jwt":"<HS256 JWT signed with identity_secret: sub=user_id, iat, exp ≤ 1 h ahead>"}   "jwt"
//	     (optional claims name, email, phone)
//	  {"anonymous":true,"device_id":"<stable random id of the install>"}   only when "anonymous"
//	  optional in all: "name","email","phone","traits":{"plan":"pro",…} (≤ 50 string-ish values),
//	  "device":{"platform":"ios"|"android"|"harmony"|"web"|"miniprogram","os","app_version","model"}
//	  → 200 {"token","contact_id","expires_at"}
//	  401 bad_identity (wrong hash, bad or expired JWT — nothing is created),
//	  403 anonymous_disabled, 429 rate_limited (per address and per user), 404 unknown app_key.
//
// Every call below carries "Authorization: Bearer <token>". The token is good
// for 7 days; on 401 identify again. A token names one user of one app: it
// never reads another user's (or another app's) conversations.
//
// # REST
//
// Errors are {"error":{"code","message"}} with the HTTP status.
//
//	GET  /app/v1/{app_key}/conversations
//	  → {"conversations":[{"id","status","last_seq","agent":{"name"}|null,"unread":N,"created_at"}]} newest first
//	POST /app/v1/{app_key}/conversations
//	  → 200 {"conversation":{…}} the active one, or {"conversation":null} when there is none:
//	    the user's next message opens one (POST messages answers its conversation_id)
//	GET  /app/v1/{app_key}/messages?conversation_id=&after=N|before=N&limit=50 (≤ 200)
//	  conversation_id omitted = the active (else last) conversation
//	  → {"conversation":{"id","status","last_seq","agent"}|null,"messages":[message…]} oldest first
//	POST /app/v1/{app_key}/messages {"client_msg_id":"<1-64 of A-Za-z0-9_->","text":"…",
//	      "attachments":[{"id":"at_…"}],"conversation_id":"…"(optional)}
//	  → 202 {"client_msg_id","conversation_id"} once durable (conversation_id "" if the inbox has
//	    not opened the conversation within 2 s); sending the same client_msg_id
//	    again is accepted and stored once. 400 bad_request, 413 too_large, 429 rate_limited,
//	    503 unavailable (retry with the same client_msg_id).
//	POST /app/v1/{app_key}/uploads   multipart "file" (the widget's type and size rules)
//	  → 201 {"id","url","name","type","size"}; send its id in a message's attachments
//	POST /app/v1/{app_key}/read {"conversation_id","seq"}       → 204 (unread counts)
//	GET  /app/v1/{app_key}/rating → {"enabled":bool (the channel's "rating"),"levels":[{"score","label",
//	      "reasons":["…"]}…]}: the tenant's scale, best first ([]: plain 1–5, no reasons)
//	POST /app/v1/{app_key}/rating {"conversation_id","score":1..5,"comment","reasons":["…"]} → 204;
//	      400 rating_reason: a reason not on the rated level's list; 409 rated already
//	POST /app/v1/{app_key}/feedback {"message_id","helpful":true|false} → 204: "helpful?" (有帮助/没帮助)
//	  on a robot answer (a message of sender_type "robot" and type "answer") of this user; 404 not
//	  theirs or not an answer, 409 rated already. 没帮助 counts the question as unanswered for the
//	  admins and, while the robot still answers, it offers a person.
//	POST /app/v1/{app_key}/leave_message {"client_msg_id","fields":{"name","phone","email","message"}}
//	  → 202 {"client_msg_id"}; becomes a ticket
//	PUT    /app/v1/{app_key}/push_token {"platform":"ios"|"android"|"harmony"|"web"|"miniprogram",
//	      "token":"…","provider":"apns"|"fcm"|"webhook"(optional)} → 204
//	DELETE /app/v1/{app_key}/push_token {"token":"…"} → 204
//	GET    /app/v1/{app_key}/files/{id}?s=<sig>   an attachment (URLs in messages carry it)
//
// A message object is the visitor protocol's:
//
//	{"id","conversation_id","seq","direction":"in"|"out","sender_type":"contact"|"agent"|"system"|"robot",
//	 "sender_name","type":"text"|"image"|"file"|"answer" (a robot answer: rateable),"text","attachments":[{"url","name","type","size"}],
//	 "rich":[node…] (a robot's rich answer, as the visitor protocol's: connectors/web/doc.go),"client_id","created_at"}
//
// The user's own messages carry the client_msg_id they were sent with as client_id.
// Attachment URLs are relative to the hub: prefix them with the hub's base URL.
//
// # Socket
//
//	GET /app/v1/{app_key}/ws   (no credential in the URL)
//
// Client → server; the first frame must be hello, within 10 s:
//
//	{"type":"hello","token":"…","conversation":{"id","after_seq":N},"device":{…}}
//
// then the web widget's frames (connectors/web/doc.go):
//
//	{"type":"message","client_id","text","attachments":[{"id"}]}  → {"type":"ack","client_id"}
//	      or {"type":"error","client_id","error":{"code","message"}}; resend with the same
//	      client_id until acked — it is stored once (the same key as REST's client_msg_id)
//	{"type":"typing","text":"…"}          "" = stopped
//	{"type":"sync","conversation_id","after_seq"}  → message frames after that seq
//	{"type":"rate","conversation_id","score","comment"} → {"type":"ack","rate":conversation_id}
//	{"type":"read","conversation_id","seq"}
//	{"type":"ping"}                        → {"type":"pong","conversation_id","last_seq","status"}
//	{"type":"background"} / {"type":"foreground"}  the app left / came back to the foreground:
//	      while in the background the user counts as unreachable and agent messages are
//	      also pushed (a backgrounded socket may die without a close)
//
// Server → client:
//
//	{"type":"welcome","contact_id","online":bool,"conversation":{"id","status","last_seq",
//	 "agent":{"name","avatar"}}|null,     // avatar: the agent's picture's path on the hub, "" for none
//	 "messages":[message…]}               // after hello's after_seq (else the last 50)
//	{"type":"message","message":{…}}     // an agent's message has sender_avatar (as agent.avatar)
//	{"type":"typing","typing":bool}       the agent is typing
//	{"type":"queue","conversation_id","position":N}
//	{"type":"agent","conversation_id","name","avatar"}  an agent took (or was transferred) the conversation
//	{"type":"conversation","conversation":{"id","status"}}
//	{"type":"closed","conversation_id","rate":bool}
//	{"type":"rate","conversation_id"}     the agent asks for a rating
//	{"type":"offline","conversation_id"}  nobody can answer: offer leave_message
//	{"type":"read","conversation_id","seq"}  the agent has read the user's messages up to seq
//	{"type":"error","error":{"code","message"}} then close: 4401 bad or expired token (identify
//	      again), 4429 too_many_connections: the hub process holds its cap of app sockets
//	      (KEFU_VISITOR_SOCKETS_MAX when set, else half its open-file limit); wait 30 s or more
//
// Messages carry a gap-free seq per conversation: a client that sees a gap,
// or a pong whose last_seq is ahead of what it shows, sends sync; after a
// reconnect, hello's conversation.after_seq resumes where it stopped. The
// database is the truth; realtime push is best effort.
//
// # Push
//
// An agent's (or an automatic) message to a user who had no app socket open
// in the foreground on any hub process when it was written (and opened none
// since) is sent once as a push notification to the user's registered
// tokens through the channel's push config (connectors/app/push: FCM HTTP
// v1, APNs, or a signed webhook to the company's own push service). The
// push config's keys are sealed with the channel's secrets; the channel's
// config shows it without them, and an update that leaves a key out keeps
// it. Tokens the provider reports invalid are removed; agents see the
// user's device, traits, online state and last push result beside the
// conversation (GET /api/v1/contacts/{id}/app). A socket that dies without
// a close (an app killed in the background) counts for up to 90 s: apps
// send "background" before they go.
package app
