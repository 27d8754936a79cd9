console.warn("Kefu: the chat widget was not built into this binary (run `make build`).");
