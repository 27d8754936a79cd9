// Package web is the website channel: the embeddable chat widget, the
// full-page direct chat, and visitor tracking. It is a connector like the
// others — a visitor's message is published on the durable inbound path and
// acknowledged only once stored on the bus — whose "platform" is the
// visitor's browser, connected over a websocket.
//
// # URLs
//
//	GET  /widget.js                          the loader (≤ 5 KB gzipped): launcher, socket, Kefu API
//	GET  /widget/chat.js                     the chat UI (≤ 40 KB gzipped), loaded when first opened
//	GET  /chat/{channel_id}?group=&agent=&lang=   direct chat page (links, QR codes; mobile)
//	GET  /webhooks/web/{channel_id}/config   public widget settings (CORS: allowed domains)
//	GET  /webhooks/web/{channel_id}/ws       the visitor websocket
//	POST /webhooks/web/{channel_id}/upload   multipart "file", header X-Kefu-Visitor: <visitor id>:<token>
//	GET  /webhooks/web/{channel_id}/files/{id}?s=<sig>   a file of the visitor's conversation
//
// The snippet a site owner pastes before </body>:
//
//	<script src="https://HUB/widget.js" data-channel="CHANNEL_ID" async></script>
//
// Optional attributes: data-lang (zh-CN | zh-TW | en, overrides the
// channel default), data-mode="page" (the direct chat page: the chat fills
// the window and opens at once), data-group, data-agent.
//
// # Websocket protocol (JSON text frames)
//
// Client → server. The first frame must be hello, within 10 s:
//
//	{"type":"hello",
//	 "visitor":{"id":"v_…","token":"…"},        // omitted on the very first visit
//	 "identity":{"id","name","email","phone","hash"}, // Kefu.identify(); optional
//	 "page":{"url","title","referrer"},
//	 "lang":"zh-CN",
//	 "group":"<group id>", "agent":"<agent id, 工号 or email>",  // data-group / data-agent; optional
//	 "conversation":{"id":"c_…","after_seq":N}}  // what the client already shows; optional
//
//	{"type":"message","client_id":"<uuid>","text":"…","attachments":[{"id":"at_…"}],"group":"<group id>"}
//	      → {"type":"ack","client_id"} once durable (resend with the same client_id until acked:
//	        the hub stores it once), or {"type":"error","client_id","error":{"code","message"}}:
//	        unavailable and rate_limited (resend later), too_many_conversations (the message
//	        would open a conversation beyond the channel's limits: not stored, tell the visitor)
//	{"type":"typing","text":"…"}          typing preview (消息预知); "" = stopped; throttled
//	{"type":"page","url","title","referrer"}  the host page navigated (single-page apps)
//	{"type":"sync","conversation_id","after_seq"}  → message frames after that seq
//	{"type":"invited","invite_id"}         an automatic invite was shown (rules run in the loader)
//	{"type":"invite_reply","invite_id","accepted":bool}
//	{"type":"rate","conversation_id","score":1..5,"comment":"…","reasons":["…"]}  → ack {"type":"ack","rate":conversation_id}
//	                                       reasons: of the picked level's list in the config's rating_levels
//	{"type":"feedback","message_id","helpful":bool}  "helpful?" (有帮助/没帮助) on a robot answer
//	      (a message of type "answer"), once per answer → ack {"type":"ack","feedback":message_id}
//	      or {"type":"error","feedback":message_id,"error":{"code":"conflict"|"not_found",…}};
//	      "没帮助" counts the question for the admins, and the robot offers a person (转人工)
//	{"type":"leave_message","client_id","fields":{"name","phone","email","message",…},"group"}
//	      → ack with client_id; becomes a ticket
//	{"type":"ping"}                        → {"type":"pong","conversation_id","last_seq"}
//
// Server → client:
//
//	{"type":"welcome","visitor":{"id","token"},"online":bool,
//	 "conversation":{"id","status","last_seq","agent":{"name","avatar"}} | null,   avatar: its URL, "" for none
//	 "messages":[message…]}                // of the current (or last) conversation, after after_seq
//	{"type":"message","message":{"id","conversation_id","seq","direction":"in"|"out",
//	      "sender_type":"contact"|"agent"|"robot"|"system","sender_name","sender_avatar" (agents'),"type","text",
//	      "attachments":[{"url","name","type","size"}],"rich":[node…] (a robot's rich answer),"client_id","created_at"}}
//	      node: {"t":"text","text"} or {"t":"p"|"br"|"b"|"i"|"u"|"s"|"ul"|"ol"|"li"|"quote"|"h"|"pre"|"code",
//	      "c":[node…]} or {"t":"a","href":http(s) only,"c"} or {"t":"img","src","alt"}; clients build it with
//	      DOM calls (text as text, never markup); "text" is what it reads as, for clients that show text only
//	      (a link as "words (address)", an image as [图片]); a mailto: link comes as its words; an image's
//	      src is https, or one of the hub's files at this channel's customer URL (as attachments' url);
//	      the images also come as attachments (type "image/*", at most 5), for clients that show no rich
//	{"type":"typing","typing":bool}        the agent is typing
//	{"type":"queue","conversation_id","position":N}
//	{"type":"agent","conversation_id","name","avatar"}  an agent took the conversation
//	{"type":"conversation","conversation":{"id","status"}}  a conversation opened (the first
//	      message, or an agent's proactive chat)
//	{"type":"closed","conversation_id","rate":bool} ended; rate = show the rating form
//	{"type":"rate","conversation_id"}     the agent asks for a rating now
//	{"type":"offline","conversation_id"}  nobody can answer: show the leave-a-message form
//	{"type":"online","online":bool}       agent availability changed (the launcher follows it)
//	{"type":"invite","invite_id","text","agent":{"name"}}  an agent invites the visitor
//	{"type":"error","rate":conversation_id,"error":{…}}  a rating was refused (already rated …)
//	{"type":"error","error":{"code","message"}}  then close (4401 bad token, 4403 bad identity
//	      or origin, 4429 too_many_connections: a cap of open visitor sockets — per client
//	      address, per channel or per process — is reached; wait 30 s or more, then reconnect)
//
// Attachment URLs in message frames are relative to the hub ("/webhooks/web/…"):
// prefix them with the hub's base URL. A visitor's own messages carry their
// client_id. Internal notes never reach the visitor.
//
// Messages carry a gap-free seq per conversation: a client that sees a gap,
// or a pong whose last_seq is ahead of what it shows, sends sync. Realtime
// push is best effort; the database is the truth.
package web
