// Command kefu is the omnichannel customer-service hub.
//
//	kefu serve      run the hub (embedded SQLite + in-process NATS by default)
//	kefu migrate    apply database migrations and exit
//	kefu rotate-secrets  re-seal stored secrets with KEFU_SECRET_KEY and exit
//	kefu bench      load-test a running hub on loopback
//	kefu routes     print every HTTP route the hub serves
//	kefu version    print the version
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kefu:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, os.Getenv)
	case "migrate":
		return migrate(ctx, os.Getenv)
	case "rotate-secrets":
		return rotateSecrets(ctx, os.Getenv)
	case "bench":
		return bench(ctx, os.Getenv, args)
	case "routes":
		return routes(os.Getenv)
	case "version":
		fmt.Println("kefu", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, rotate-secrets, bench, routes, version)", cmd)
	}
}
