package kit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TicketView is a ticket as the API shows it.
type TicketView struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	AssigneeID     *string    `json:"assignee_id"`
	ConversationID string     `json:"conversation_id"`
	SolvedAt       *time.Time `json:"solved_at"`
	Messages       []struct {
		Text string `json:"text"`
		Seq  int64  `json:"seq"`
	} `json:"messages"`
}

// Texts is the ticket's messages, joined with "|".
func (tv TicketView) Texts() string {
	var out []string
	for _, m := range tv.Messages {
		out = append(out, m.Text)
	}
	return strings.Join(out, "|")
}

// ListTicketsQ lists the tickets the caller sees, with a query string.
func ListTicketsQ(t testing.TB, c *Client, query string, out *[]TicketView) {
	t.Helper()
	var list struct{ Tickets []TicketView }
	c.Must(200, "GET", "/api/v1/tickets"+query, nil).JSON(t, &list)
	*out = list.Tickets
}

// ListTickets lists the tickets the caller sees.
func ListTickets(t testing.TB, c *Client) []TicketView {
	t.Helper()
	var out []TicketView
	ListTicketsQ(t, c, "", &out)
	return out
}

// GetTicket reads one ticket with its messages.
func GetTicket(t testing.TB, c *Client, id string) TicketView {
	t.Helper()
	var tv TicketView
	c.Must(200, "GET", "/api/v1/tickets/"+id, nil).JSON(t, &tv)
	return tv
}

// WaitTicket waits for an unsolved ticket holding exactly these customer
// messages, in order.
func WaitTicket(t testing.TB, c *Client, texts []string) TicketView {
	t.Helper()
	want := strings.Join(texts, "|")
	var found TicketView
	Eventually(t, 10*time.Second, fmt.Sprintf("a ticket with %q", texts), func() bool {
		for _, tk := range ListTickets(t, c) {
			if tk.Status == "solved" {
				continue
			}
			full := GetTicket(t, c, tk.ID)
			if full.Texts() == want {
				found = full
				return true
			}
		}
		return false
	})
	return found
}
