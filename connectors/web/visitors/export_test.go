package visitors

// Batches is how many transactions have written arrivals and departures.
func (s *Store) Batches() int64 { return s.w.batches.Load() }

// Queued is how many arrivals and departures wait for a transaction.
func (s *Store) Queued() int {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return len(s.w.queue)
}

// HoldRounds keeps announcement rounds from running until release: the
// changes meanwhile gather as if they came within one round's window.
func (s *Store) HoldRounds() (release func()) {
	s.ann.round.Lock()
	return s.ann.round.Unlock
}
