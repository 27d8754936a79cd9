package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// Payload is the public inbound body of the developer API channel. Extend
// it, never break it; unknown fields are ignored so integrators can send
// more than we read.
type Payload struct {
	ID      string `json:"id"`
	Contact struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"contact"`
	Type        string           `json:"type"`
	Text        string           `json:"text"`
	Attachments []hub.Attachment `json:"attachments"`
	Group       string           `json:"group"`
	// Agent asks for one agent (a direct link): id, employee number or email.
	Agent string `json:"agent"`
	// Visitor is where the customer came from, for routing rules.
	Visitor struct {
		IP       string `json:"ip"`
		Region   string `json:"region"`
		Referrer string `json:"referrer"`
		Keyword  string `json:"keyword"`
		Page     string `json:"page"`
	} `json:"visitor"`
}

// Limits on the inbound body's fields.
const (
	maxIDLen       = 255
	maxNameLen     = 255
	maxTextLen     = 20000
	maxAttachments = 10
)

var messageTypes = map[string]bool{"text": true, "image": true, "file": true, "audio": true, "video": true, "location": true}

// Parse decodes and validates an inbound body. Every error is the sender's
// fault (400): wrong JSON, a wrong type for a field (an object where a
// string belongs), a missing id, or values out of bounds.
func Parse(body []byte) (*Payload, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("body is not the expected JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("body has data after the JSON object")
	}
	if strings.IndexByte(p.ID, 0) >= 0 || strings.IndexByte(p.Contact.ID, 0) >= 0 {
		// Dropping the NUL would make "m\x001" and "m1" one message (or one
		// customer): refuse rather than merge.
		return nil, errors.New("id and contact.id must not contain NUL bytes")
	}
	v := &p.Visitor
	for _, f := range []*string{&p.ID, &p.Contact.ID, &p.Contact.Name, &p.Contact.Email, &p.Contact.Phone, &p.Type, &p.Text, &p.Group,
		&p.Agent, &v.IP, &v.Region, &v.Referrer, &v.Keyword, &v.Page} {
		*f = hub.Clean(*f)
	}
	p.ID, p.Contact.ID = strings.TrimSpace(p.ID), strings.TrimSpace(p.Contact.ID)
	if p.Type == "" {
		p.Type = "text"
	}
	return &p, p.validate()
}

func (p *Payload) validate() error {
	switch {
	case p.ID == "" || len(p.ID) > maxIDLen:
		return fmt.Errorf("id is required (at most %d bytes)", maxIDLen)
	case p.Contact.ID == "" || len(p.Contact.ID) > maxIDLen:
		return fmt.Errorf("contact.id is required (at most %d bytes)", maxIDLen)
	case len(p.Contact.Name) > maxNameLen || len(p.Contact.Email) > maxNameLen || len(p.Contact.Phone) > maxNameLen || len(p.Group) > maxNameLen:
		return fmt.Errorf("contact fields and group are at most %d bytes", maxNameLen)
	case len(p.Agent) > maxNameLen || len(p.Visitor.IP) > 64 || len(p.Visitor.Region) > maxNameLen || len(p.Visitor.Keyword) > maxNameLen:
		return fmt.Errorf("agent, visitor.region and visitor.keyword are at most %d bytes, visitor.ip 64", maxNameLen)
	case len(p.Visitor.Referrer) > 2048 || len(p.Visitor.Page) > 2048:
		return errors.New("visitor.referrer and visitor.page are at most 2048 bytes")
	case !messageTypes[p.Type]:
		return fmt.Errorf("type %q is not one of text, image, file, audio, video, location", p.Type)
	case len(p.Text) > maxTextLen:
		return fmt.Errorf("text is longer than %d bytes", maxTextLen)
	case strings.TrimSpace(p.Text) == "" && len(p.Attachments) == 0:
		return errors.New("text or attachments are required")
	case len(p.Attachments) > maxAttachments:
		return fmt.Errorf("at most %d attachments", maxAttachments)
	}
	for i, a := range p.Attachments {
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || len(a.URL) > 2048 {
			return fmt.Errorf("attachments[%d].url must be an http(s) URL", i)
		}
	}
	return nil
}

// Normalize turns a payload into the hub's inbound message.
func (p *Payload) Normalize(ch *hub.Channel) hub.Inbound {
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: p.ID,
		Contact: hub.ContactInfo{ExternalID: p.Contact.ID, Name: p.Contact.Name, Email: p.Contact.Email, Phone: p.Contact.Phone},
		Type:    p.Type, Text: p.Text, Attachments: p.Attachments, Group: p.Group}
	if v := p.Visitor; p.Agent != "" || v != (Payload{}).Visitor {
		in.Visitor = &hub.Visitor{IP: v.IP, Region: v.Region, Referrer: v.Referrer, Keyword: v.Keyword, Page: v.Page, Agent: p.Agent}
	}
	return in
}
