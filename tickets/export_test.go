package tickets

// SetCommonValue lowers how many holders make a field value common (the
// list then tests each ticket instead of reading the value's holders), so
// that a test reaches both query shapes with a few tickets; it returns the
// undo.
func SetCommonValue(n int) func() {
	was := commonValue
	commonValue = n
	return func() { commonValue = was }
}
