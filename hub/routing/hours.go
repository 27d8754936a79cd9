package routing

import "github.com/kefu-hub/kefu/hub"

// Hours are a group's business hours; the model keeps them (tickets count
// SLA time in them too), routing decides who is eligible with them.
type Hours = hub.Hours

// Window is one opening range of Hours.
type Window = hub.Window
