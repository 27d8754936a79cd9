package robot

import (
	"context"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/richanswers"
)

// imageType marks a rich answer's image among the reply's attachments:
// any image (its exact type is known once fetched); the widget and the
// app SDK show it, WeChat sends it as an image message.
const imageType = "image/*"

// answerReply is a confident answer: its text, and the article's rich
// answer when it has one: its markup (the widget and the app SDK show
// it; WeChat may send a news message) and its images as attachments
// (text-only channels read the text, where each image stands as [图片]).
func (r *Robot) answerReply(ctx context.Context, tenantID string, rep Reply) conversations.Reply {
	out := conversations.Text(rep.Text)
	if r.rich == nil || rep.ArticleID == "" || rep.Source != SourceKB {
		return out
	}
	a, err := r.rich.Of(ctx, tenantID, rep.ArticleID, rep.Text)
	if err != nil {
		r.log.Warn("rich answer; answering with its text", "article", rep.ArticleID, "err", err)
		return out
	}
	out.Rich = a.HTML
	for i, src := range a.Images {
		if i == maxImages {
			break
		}
		out.Attachments = append(out.Attachments, hub.Attachment{URL: src, Name: "图片", Type: imageType})
	}
	return out
}

// Rich is the knowledge base's rich answers the robot sends (nil when it
// has none, or on a nil robot).
func (r *Robot) Rich() *richanswers.Store {
	if r == nil {
		return nil
	}
	return r.rich
}

// maxImages is how many images one answer carries at most.
const maxImages = 5
