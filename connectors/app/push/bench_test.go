package push_test

import (
	"context"
	"testing"

	"net/http"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
)

// BenchmarkSend is Send's throughput per sender against the fakes on
// 127.0.0.1: one target per notification, from 8 goroutines (the fakes'
// checks — JWT signature verification included — run in the same process).
func BenchmarkSend(b *testing.B) {
	run := func(b *testing.B, p *push.Pusher, platform string, delivered func() int) {
		tok := pushtest.DeviceToken()
		b.ReportAllocs()
		b.SetParallelism(1)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if r := p.Send(context.Background(), []push.Target{{Platform: platform, Token: tok}}, note); r[0].Outcome != push.Delivered {
					b.Errorf("%+v", r[0])
					return
				}
			}
		})
		b.StopTimer()
		if delivered() < b.N {
			b.Fatalf("%d delivered of %d", delivered(), b.N)
		}
	}
	b.Run("webhook", func(b *testing.B) {
		wh := pushtest.NewWebhook(b)
		p, _ := push.New(push.Config{Webhook: wh.Config()}, push.Options{HTTPClient: benchClient()})
		run(b, mustPusher(b, p), push.Android, func() int { return len(wh.Delivered()) })
	})
	b.Run("fcm", func(b *testing.B) {
		fcm := pushtest.NewFCM(b)
		p, _ := push.New(push.Config{FCM: fcm.Config()}, push.Options{FCMBase: fcm.URL, HTTPClient: benchClient()})
		run(b, mustPusher(b, p), push.Android, func() int { return len(fcm.Delivered()) })
	})
	b.Run("apns", func(b *testing.B) {
		ap := pushtest.NewAPNs(b)
		p, _ := push.New(push.Config{APNs: ap.Config()}, push.Options{APNsBase: ap.URL, APNsClient: ap.Client()})
		run(b, mustPusher(b, p), push.IOS, func() int { return len(ap.Delivered()) })
	})
}

// benchClient is the hub's production client, allowed to reach 127.0.0.1.
func benchClient() *http.Client { return connectors.NewHTTPClient(true) }

func mustPusher(b *testing.B, p *push.Pusher) *push.Pusher {
	if p == nil {
		b.Fatal("push.New failed")
	}
	return p
}
