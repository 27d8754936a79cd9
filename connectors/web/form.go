package web

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// compose checks a leave-a-message form against the channel's fields and
// writes it as the ticket's text ("label: value" lines, in field order);
// the name, email and phone fields also fill in the contact.
func (f *OfflineForm) compose(values map[string]string) (string, hub.ContactInfo, error) {
	var b strings.Builder
	var who hub.ContactInfo
	if len(values) > 40 {
		return "", who, fmt.Errorf("too many fields")
	}
	for _, fd := range f.Fields {
		v := strings.TrimSpace(hub.Bounded(values[fd.Name], 2000))
		if v == "" {
			if fd.Required {
				return "", who, fmt.Errorf("%s is required", fd.Label)
			}
			continue
		}
		if fd.Type == "email" {
			if _, err := mail.ParseAddress(v); err != nil {
				return "", who, fmt.Errorf("%s is not an email address", fd.Label)
			}
		}
		switch fd.Name {
		case "name":
			who.Name = hub.Bounded(v, 100)
		case "email":
			who.Email = hub.Bounded(v, 200)
		case "phone":
			who.Phone = hub.Bounded(v, 50)
		}
		fmt.Fprintf(&b, "%s: %s\n", fd.Label, v)
	}
	if b.Len() == 0 {
		return "", who, fmt.Errorf("the form is empty")
	}
	return "[留言 / message left]\n" + strings.TrimRight(b.String(), "\n"), who, nil
}
