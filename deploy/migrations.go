// Package deploy carries what ships beside the binary: the embedded database
// migrations, and (as files) the Dockerfile, compose file, Kubernetes
// manifests and systemd unit.
package deploy

import (
	"embed"
	"io/fs"
)

//go:embed migrations
var migrations embed.FS

// Migrations returns the goose migration directory for a dialect
// ("sqlite" or "postgres"). Both directories share one history.
func Migrations(dialect string) fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
