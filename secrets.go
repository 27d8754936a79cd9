package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kefu-hub/kefu/configs"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/robot"
	"github.com/kefu-hub/kefu/hub/secrets"
	"github.com/kefu-hub/kefu/hub/store"
)

// keyring loads the keys that seal stored secrets: KEFU_SECRET_KEY (and
// KEFU_SECRET_KEY_OLD), or in embedded mode the key file in the data dir.
func keyring(cfg configs.Config, log *slog.Logger) (*secrets.Keyring, error) {
	src := secrets.Source{Key: cfg.SecretKey, Old: cfg.SecretKeyOld}
	if cfg.Embedded() {
		src.DataDir = cfg.DataDir
	}
	return secrets.Load(src, log)
}

// reseal seals every stored secret that is in clear (written before secrets
// were encrypted) or under an old key with the current key. serve runs it
// at start-up, so an upgrade or a new KEFU_SECRET_KEY takes effect at once;
// a secret sealed with a key the hub was not given stops the start.
func reseal(ctx context.Context, k *store.Store, keys *secrets.Keyring, log *slog.Logger) error {
	total := 0
	for _, f := range []func(context.Context, *store.Store) (int, error){
		channels.ResealSecrets, identity.ResealTOTPSecrets, outbound.ResealSecrets, robot.ResealSecrets, ratings.ResealSecrets,
	} {
		n, err := f(ctx, k)
		if errors.Is(err, secrets.ErrUnknownKey) || errors.Is(err, secrets.ErrCorrupt) {
			return fmt.Errorf("stored secrets cannot be read with KEFU_SECRET_KEY (key id %s): %w — start with the key "+
				"that sealed them, or give it in KEFU_SECRET_KEY_OLD while rotating", keys.CurrentID(), err)
		}
		if err != nil {
			return fmt.Errorf("seal stored secrets: %w", err)
		}
		total += n
	}
	if total > 0 {
		log.Info("sealed stored secrets with the current key", "rows", total, "key_id", keys.CurrentID())
	}
	return nil
}

// rotateSecrets migrates, then re-seals every stored secret with
// KEFU_SECRET_KEY (reading old ones with KEFU_SECRET_KEY_OLD) and exits.
func rotateSecrets(ctx context.Context, getenv func(string) string) error {
	cfg, err := configs.Load(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := logger(cfg)
	keys, err := keyring(cfg, log)
	if err != nil {
		return err
	}
	k, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.Options{Keys: keys, Log: log})
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.Migrate(ctx); err != nil {
		return err
	}
	if err := reseal(ctx, k, keys, log); err != nil {
		return err
	}
	fmt.Printf("every stored secret is sealed with key %s\n", keys.CurrentID())
	return nil
}
