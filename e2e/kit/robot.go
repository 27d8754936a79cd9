package kit

import "slices"

// WantRobotFeedback checks what admins see of the customers' "helpful?" on
// robot answers: the unanswered list (没帮助 puts the question there) and
// the article's helpful/unhelpful counts in the knowledge-base list.
func (c *Client) WantRobotFeedback(article string, unanswered []string, helpful, unhelpful int) {
	c.T.Helper()
	var un struct {
		Questions []struct {
			Question string `json:"question"`
		}
	}
	c.Must(200, "GET", "/api/v1/kb/unanswered", nil).JSON(c.T, &un)
	var got []string
	for _, q := range un.Questions {
		got = append(got, q.Question)
	}
	if !slices.Equal(got, unanswered) {
		c.T.Errorf("unanswered questions %q, want %q", got, unanswered)
	}
	var list struct {
		Ratings map[string]struct{ Helpful, Unhelpful int }
	}
	c.Must(200, "GET", "/api/v1/kb/articles", nil).JSON(c.T, &list)
	if r := list.Ratings[article]; r.Helpful != helpful || r.Unhelpful != unhelpful {
		c.T.Errorf("article ratings %+v, want %d helpful and %d unhelpful for %s", list.Ratings, helpful, unhelpful, article)
	}
}
