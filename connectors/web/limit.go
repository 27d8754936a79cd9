package web

// Rate limits, per client address and per visitor.
const (
	connectsPerMinute = 120 // socket connections per IP (offices share one)
	connectBurst      = 60
	messagesPerSecond = 2 // messages and forms per visitor
	messageBurst      = 10
	framesPerSecond   = 10 // any frame per socket (typing, pages, pings …)
	frameBurst        = 40
	uploadsPerMinute  = 10 // uploads per visitor
)
