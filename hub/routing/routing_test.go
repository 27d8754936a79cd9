package routing

import (
	"testing"
	"time"
)

func ids(cs []Candidate) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestRankLoad(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   []Candidate
		want []string
	}{
		{"fewest chats first", []Candidate{
			{ID: "a", Status: "online", Current: 3, Max: 5},
			{ID: "b", Status: "online", Current: 1, Max: 5},
			{ID: "c", Status: "online", Current: 2, Max: 5},
		}, []string{"b", "c", "a"}},
		{"busy, offline, disabled and full are not eligible", []Candidate{
			{ID: "busy", Status: "busy", Current: 0, Max: 5},
			{ID: "off", Status: "offline", Current: 0, Max: 5},
			{ID: "dis", Status: "online", Disabled: true, Max: 5},
			{ID: "full", Status: "online", Current: 5, Max: 5},
			{ID: "ok", Status: "online", Current: 4, Max: 5},
		}, []string{"ok"}},
		{"tie goes to the longest idle", []Candidate{
			{ID: "recent", Status: "online", Current: 1, Max: 5, LastAssignedAt: t0.Add(time.Minute)},
			{ID: "idle", Status: "online", Current: 1, Max: 5, LastAssignedAt: t0},
			{ID: "never", Status: "online", Current: 1, Max: 5},
		}, []string{"never", "idle", "recent"}},
		{"full tie is broken by id", []Candidate{
			{ID: "z", Status: "online", Max: 1}, {ID: "m", Status: "online", Max: 1},
		}, []string{"m", "z"}},
		{"nobody", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(Rank(Load, tt.in))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestPresent(t *testing.T) {
	if Present([]Candidate{{Status: "offline"}, {Status: "busy", Disabled: true}}) {
		t.Fatal("offline and disabled agents are not present")
	}
	if !Present([]Candidate{{Status: "offline"}, {Status: "busy"}}) {
		t.Fatal("a busy agent is present: the conversation should queue, not become a ticket")
	}
}
