package qa

// ApplyForTest checks a template input as CreateTemplate does.
func ApplyForTest(in *TemplateIn, t *Template) error { return in.apply(t) }
