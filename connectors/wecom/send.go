package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// Send delivers an agent's reply (or an automatic one) through kf/send_msg:
// the text, then each attachment uploaded as temporary media (images as
// image messages, anything else as a file). A conversation event tells
// the connector an agent took the customer (sessionTaken).
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	a, err := accountOf(ch)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("channel config: %w", err), Permanent: true}
	}
	if out.Kind == hub.OutboundEvent {
		c.sessionTaken(ctx, a, out.Event)
		return hub.SendResult{StatusCode: http.StatusOK}
	}
	if out.Message == nil || out.Contact == nil || out.Contact.ExternalID == "" {
		return hub.SendResult{Err: errors.New("the delivery names no WeChat customer"), Permanent: true}
	}
	to, part := out.Contact.ExternalID, 0
	if text := strings.TrimSpace(out.Message.Text); text != "" {
		if len(out.Message.Text) > maxTextLen {
			return hub.SendResult{Err: fmt.Errorf("%w: 微信客服文本消息最长 %d 字节，请拆分后发送", errUnsendable, maxTextLen), Permanent: true}
		}
		body := c.message(a, to, msgID(out, part), "text")
		body["text"] = map[string]string{"content": out.Message.Text}
		if err := c.call(ctx, a, "/cgi-bin/kf/send_msg", body, nil); err != nil {
			return classify(err)
		}
		part++
	}
	for _, att := range out.Message.Attachments {
		if att.Type == hub.AttachmentLink {
			continue // a link card: the text carries its link
		}
		if res := c.sendMedia(ctx, a, out, to, part, att); res.Err != nil {
			return res
		}
		part++
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

// message is a send_msg body's common part.
func (c *Connector) message(a *account, to, id, typ string) map[string]any {
	m := map[string]any{"touser": to, "open_kfid": a.OpenKfID, "msgtype": typ}
	if id != "" {
		m["msgid"] = id
	}
	return m
}

var msgIDChars = regexp.MustCompile(`[^0-9A-Za-z_-]`)

// msgID names a send_msg call after the hub's message (WeCom echoes it,
// and a msg_send_fail event names it): at most 32 of [0-9A-Za-z_-].
func msgID(out *hub.Outbound, part int) string {
	if out.Message == nil || out.Message.ID == "" {
		return ""
	}
	id := msgIDChars.ReplaceAllString(out.Message.ID, "")
	suffix := fmt.Sprintf("_%d", part)
	if len(id) > 32-len(suffix) {
		id = id[len(id)-(32-len(suffix)):]
	}
	return id + suffix
}

var errUnsendable = errors.New("cannot be sent")

// classify turns a failed call into a send result: transport errors, 5xx,
// -1 (busy) and 45009 (too often) are retried; other refusals fail the
// message with WeCom's reason, in words agents can act on.
func classify(err error) hub.SendResult {
	var ae *APIError
	if !errors.As(err, &ae) {
		return hub.SendResult{Err: err, Permanent: errors.Is(err, errUnsendable)}
	}
	if ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Code == codeBusy || ae.Code == codeFrequency {
		return hub.SendResult{StatusCode: ae.Status, Err: err}
	}
	why := refusals[ae.Code]
	if why == "" {
		why = ae.Message
	}
	return hub.SendResult{StatusCode: ae.Status, Permanent: true,
		Err: fmt.Errorf("微信客服拒绝了这条消息 (errcode %d): %s", ae.Code, why)}
}

// refusals are the refusals agents meet, in words.
var refusals = map[int64]string{
	codeSessionClosed: "会话状态不允许发送：已超过 48 小时或 5 条的回复限制，或会话已结束、已转为人工接待；请等待客户再次发消息",
	codeBadOpenKfID:   "客服帐号 open_kfid 无效，请检查渠道配置",
	codeNoOpenKfID:    "客服帐号不存在，请检查渠道配置",
	codeAPIOff:        "该客服帐号未交给 API 接待（微信客服 → API），请在企业微信后台开启",
	40001:             "Secret 无效，请检查渠道配置",
	40013:             "企业ID corp_id 无效，请检查渠道配置",
}

// welcome answers an enter_session with the channel's welcome text
// (send_msg_on_event: one message, within 20 seconds of the event).
func (c *Connector) welcome(ctx context.Context, ch *hub.Channel, a *account, code string) {
	body := map[string]any{"code": code, "msgtype": "text", "text": map[string]string{"content": a.WelcomeMessage}}
	if err := c.call(ctx, a, "/cgi-bin/kf/send_msg_on_event", body, nil); err != nil {
		c.deps.Log.Warn("wecom_kf welcome not sent", "channel", ch.ID, "err", err)
	}
}

// Session states (kf/service_state).
const (
	stateNew       = 0 // 未处理
	stateAssistant = 1 // 由智能助手接待: the API answers
	stateQueue     = 2 // 待接入池排队中
	stateServicer  = 3 // 由人工接待: a servicer in the WeCom app answers; the API may not
)

// sessionTaken runs when an agent takes (or is given) a customer: WeCom
// must keep the session with the API — state 1, 由智能助手接待 — or it
// hands the customer to the WeCom app's queue and refuses the agent's
// replies (send_msg works only in states 0 and 1). A session still new or
// queued is moved to 1; one a WeCom servicer took is left alone (logged).
// Best effort: a failure is logged, the reply decides.
func (c *Connector) sessionTaken(ctx context.Context, a *account, e *hub.Event) {
	if e == nil || (e.Type != hub.EvConversationAssigned && e.Type != hub.EvConversationTransferred) {
		return
	}
	var p struct {
		Conversation struct {
			Contact *hub.Contact `json:"contact"`
		} `json:"conversation"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Conversation.Contact == nil || p.Conversation.Contact.ExternalID == "" {
		return
	}
	user := p.Conversation.Contact.ExternalID
	var st struct {
		State int `json:"service_state"`
	}
	who := map[string]any{"open_kfid": a.OpenKfID, "external_userid": user}
	if err := c.call(ctx, a, "/cgi-bin/kf/service_state/get", who, &st); err != nil {
		c.deps.Log.Warn("wecom_kf session state not read", "conversation", e.ConversationID, "err", err)
		return
	}
	switch st.State {
	case stateNew, stateQueue:
		who["service_state"] = stateAssistant
		if err := c.call(ctx, a, "/cgi-bin/kf/service_state/trans", who, nil); err != nil {
			c.deps.Log.Warn("wecom_kf session not moved to the API", "conversation", e.ConversationID, "err", err)
		}
	case stateServicer:
		c.deps.Log.Warn("wecom_kf session is with a servicer in the WeCom app; the API cannot answer it",
			"conversation", e.ConversationID)
	}
}
