package bus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// BenchmarkConsume measures what the inbox's consumers cost per message on
// the in-process server, with their state in files or in memory: the
// messages wait in the 64 partitions, then are consumed and acknowledged
// one at a time per partition, as the hub does. It reports the process's
// CPU time per message (user + system), the figure the choice rests on.
//
//	go test -run '^$' -bench Consume -benchtime 20000x ./hub/bus/
func BenchmarkConsume(b *testing.B) {
	for _, mem := range []bool{false, true} {
		name := "file"
		if mem {
			name = "memory"
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { memoryConsumers = old }(memoryConsumers)
			memoryConsumers = mem
			benchConsume(b)
		})
	}
}

func benchConsume(b *testing.B) {
	bus, err := Open(context.Background(), Options{DataDir: b.TempDir(), Prefix: "bench", Partitions: 64, Workers: 64,
		CheckEvery: time.Hour, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	for i := 0; i < b.N; i++ {
		if err := bus.PublishInbound(inbound(fmt.Sprintf("m%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	var got atomic.Int64
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	cpu := cpuTime()
	for p := 0; p < bus.Topics.Partitions; p++ {
		ch, err := bus.Ordered.Subscribe(ctx, bus.Topics.InboundPartition(p))
		if err != nil {
			b.Fatal(err)
		}
		go func(ch <-chan *message.Message) {
			for m := range ch {
				m.Ack()
				if got.Add(1) == int64(b.N) {
					close(done)
				}
			}
		}(ch)
	}
	<-done
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
