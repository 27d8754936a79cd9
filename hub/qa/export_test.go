package qa

// ApplyForTest checks a template input as CreateTemplate does.
func ApplyForTest(in *TemplateIn, t *Template) error { return in.apply(t) }

// MatcherForTest is the send path's matcher of a list, built once.
func MatcherForTest(words []string) func(string) []string { return newMatcher(words).match }
