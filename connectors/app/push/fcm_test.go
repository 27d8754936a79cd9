package push_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

func TestFCMSendsTheMessageWithOneAccessToken(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	for range 2 {
		rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok-a"}}, note)
		if rs[0].Outcome != push.Delivered || rs[0].Via != push.ViaFCM || rs[0].Attempts != 1 {
			t.Fatalf("result %+v", rs[0])
		}
	}
	if fcm.Grants() != 1 {
		t.Fatalf("%d access tokens fetched for two sends, want one kept", fcm.Grants())
	}
	m := fcm.Delivered()[1]
	if m.Token != "tok-a" || m.Title != note.Title || m.Body != note.Body || m.CollapseKey != "conv_7" || m.Tag != "conv_7" ||
		m.Priority != "high" || m.TTL != "86400s" || m.NotificationCount != 3 {
		t.Fatalf("message %+v", m)
	}
	if m.Data["conversation_id"] != "conv_7" || m.Data["notification_id"] != "msg_42" || m.Data["kind"] != "message" {
		t.Fatalf("data %v", m.Data)
	}
	aps, _ := m.APNsPayload["aps"].(map[string]any)
	if m.APNsHeaders["apns-collapse-id"] != "conv_7" || m.APNsHeaders["apns-priority"] != "10" || aps["badge"] != float64(3) ||
		aps["thread-id"] != "conv_7" {
		t.Fatalf("apns options %v %v", m.APNsHeaders, m.APNsPayload)
	}
}

func TestFCMInvalidTokens(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.Unregister("gone")
	fcm.MarkInvalid("garbled")
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "gone"}, {Platform: push.Web, Token: "garbled"}, {Platform: push.Android, Token: "ok"}}, note)
	if got := outcomes(rs); got != "android:fcm:invalid_token web:fcm:invalid_token android:fcm:delivered" {
		t.Fatalf("outcomes %s", got)
	}
	if !push.IsInvalidToken(rs[0].Err) || rs[0].Attempts != 1 || rs[1].Attempts != 1 {
		t.Fatalf("%+v %+v", rs[0], rs[1])
	}
}

func TestFCMRetriesThenDelivers(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.FailNext(pushtest.Answer{Reason: "QUOTA_EXCEEDED", RetryAfter: 3 * time.Second}, pushtest.Answer{Reason: "UNAVAILABLE"})
	p, s := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok"}}, note)
	if rs[0].Outcome != push.Delivered || rs[0].Attempts != 3 {
		t.Fatalf("result %+v", rs[0])
	}
	if w := s.got(); len(w) != 2 || w[0] != 3*time.Second || w[1] != time.Second {
		t.Fatalf("waited %v, want Retry-After 3s then the doubled backoff 1s", w)
	}
}

func TestFCMGivesUpAfterThreeAttempts(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.FailNext(pushtest.Answer{Reason: "INTERNAL"}, pushtest.Answer{Reason: "INTERNAL"}, pushtest.Answer{Reason: "INTERNAL"})
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 3 || len(fcm.Messages()) != 3 {
		t.Fatalf("result %+v after %d requests", rs[0], len(fcm.Messages()))
	}
}

func TestFCMRenewsARevokedAccessTokenOnce(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok"}}, note)
	fcm.ExpireAccessTokens()
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok"}}, note)
	if rs[0].Outcome != push.Delivered || fcm.Grants() != 2 || len(fcm.Delivered()) != 2 {
		t.Fatalf("result %+v, %d grants", rs[0], fcm.Grants())
	}
	if ms := fcm.Messages(); len(ms) != 3 || ms[1].Status != 401 {
		t.Fatalf("requests %+v: want 200, 401, 200", ms)
	}
}

func TestFCMDropsReservedDataKeys(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	n := note
	n.Data = map[string]string{"from": "x", "google.c": "y", "order": "12"}
	if rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "tok"}}, n); rs[0].Outcome != push.Delivered {
		t.Fatalf("%+v", rs[0])
	}
	if d := fcm.Delivered()[0].Data; d["order"] != "12" || len(d) != 3 {
		t.Fatalf("data %v", d)
	}
}

func TestFCMLongBodyStillFits(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	n := note
	n.Body = strings.Repeat("物流信息更新", 1000)
	n.Data = map[string]string{"order": strings.Repeat("x", 1500)}
	if rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, n); rs[0].Outcome != push.Delivered {
		t.Fatalf("%+v", rs[0])
	}
	if b := fcm.Delivered()[0].Body; !strings.HasPrefix(b, "物流信息更新") || !strings.HasSuffix(b, "…") || len(b) > 4096-1500 {
		t.Fatalf("body of %d bytes", len(b))
	}
}

func TestFCMTokenEndpointErrors(t *testing.T) {
	fcm := pushtest.NewFCM(t)
	fcm.FailGrants(pushtest.Answer{Status: 503, Reason: "temporarily_unavailable"}, pushtest.Answer{Status: 400, Reason: "invalid_grant"})
	p, _ := newPusher(t, push.Config{FCM: fcm.Config()}, nil, fcm)
	rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, note)
	if rs[0].Outcome != push.Failed || rs[0].Attempts != 2 || !strings.Contains(rs[0].Err.Error(), "invalid_grant") || len(fcm.Messages()) != 0 {
		t.Fatalf("a 503 then a deleted key: %+v", rs[0])
	}
	if rs := p.Send(context.Background(), []push.Target{{Platform: push.Android, Token: "t"}}, note); rs[0].Outcome != push.Delivered || fcm.Grants() != 1 {
		t.Fatalf("the key back: %+v", rs[0])
	}
}
