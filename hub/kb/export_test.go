package kb

// Rebuilds is how many times s made a tenant's index from all its articles.
func Rebuilds(s *Store) int64 { return s.rebuilds.Load() }

// Edited is x after a's change, made as a change log makes it.
func (x *Index) Edited(a Article) *Index {
	return x.with([]entry{{id: a.ID, a: &a, docs: x.an.terms().docs(docsOf(x.an, a))}})
}
