package web

import (
	"os"
	"testing"
)

// The widget's size budget (issue: loader ≤ 5 KB gzipped, chat UI ≤ 40 KB
// gzipped), checked on what the binary embeds and serves. `make` builds the
// bundles (and the build itself fails over budget); on CI an unbuilt widget
// fails here too.
func TestWidgetSizeBudget(t *testing.T) {
	if !WidgetBuilt() {
		if os.Getenv("CI") == "true" {
			t.Fatal("the widget is not built into the binary (make widget)")
		}
		t.Skip("the widget is not built (make widget)")
	}
	loader, chat := Sizes()
	t.Logf("widget.js %d bytes gzipped, chat.js %d bytes gzipped", loader, chat)
	if loader > 5*1024 {
		t.Errorf("widget.js is %d bytes gzipped, over its 5 KB budget", loader)
	}
	if chat > 40*1024 {
		t.Errorf("chat.js is %d bytes gzipped, over its 40 KB budget", chat)
	}
}
