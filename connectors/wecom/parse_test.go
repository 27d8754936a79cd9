package wecom

import (
	"errors"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

func sealed(t *testing.T, k Keys, plain string) string {
	t.Helper()
	enc, err := util.EncryptMsg([]byte(time.Now().Format("15:04:05.000000000")[:16]), []byte(plain), k.CorpID, k.AESKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(enc)
}

const notice = `<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><CreateTime>1348831860</CreateTime>` +
	`<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCtok]]></Token>` +
	`<OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>`

// Open checks msg_signature over the very Encrypt it decrypts (silenceper's
// work/kf decrypts without checking it), the timestamp's freshness, and the
// receiver id inside.
func TestOpen(t *testing.T) {
	k := fuzzKeys
	now := time.Unix(1725442341, 0)
	enc := sealed(t, k, notice)
	body := func(e string) []byte {
		return []byte("<xml><ToUserName>x</ToUserName><Encrypt><![CDATA[" + e + "]]></Encrypt></xml>")
	}
	p := Params{Timestamp: "1725442341", Nonce: "42"}
	p.MsgSignature = sign(k.Token, p.Timestamp, p.Nonce, enc)
	n, err := Open(k, p, body(enc), now, time.Minute)
	if err != nil || n.Event != EventKfMsg || n.Token != "ENCtok" || n.OpenKfID != "wkxxxxxxx" {
		t.Fatalf("Open = %+v, %v", n, err)
	}
	other := sealed(t, k, notice) // another ciphertext of the same notice: its own signature
	if _, err := Open(k, p, body(other), now, time.Minute); !errors.Is(err, ErrSignature) {
		t.Fatalf("a signature over another Encrypt: %v, want ErrSignature", err)
	}
	if _, err := Open(k, p, body(enc), now.Add(time.Hour), time.Minute); !errors.Is(err, ErrStale) {
		t.Fatalf("an hour later: %v, want ErrStale", err)
	}
	wrongCorp := k
	wrongCorp.CorpID = "wwOTHER"
	var bad *MalformedError
	if _, err := Open(wrongCorp, p, body(enc), now, time.Minute); !errors.As(err, &bad) || !bad.Decrypt {
		t.Fatalf("another corp_id: %v, want a decrypt MalformedError", err)
	}
	echo := sealed(t, k, "echo-123")
	v := Params{Timestamp: p.Timestamp, Nonce: "7", EchoStr: echo, MsgSignature: sign(k.Token, p.Timestamp, "7", echo)}
	if got, err := VerifyURL(k, v, now, time.Minute); err != nil || string(got) != "echo-123" {
		t.Fatalf("VerifyURL = %q, %v", got, err)
	}
	v.MsgSignature = sign("other", p.Timestamp, "7", echo)
	if _, err := VerifyURL(k, v, now, time.Minute); !errors.Is(err, ErrSignature) {
		t.Fatalf("VerifyURL with another Token: %v", err)
	}
}

// A msg_send_fail names the msgid send_msg was given: the hub's message id
// and the part.
func TestHubMessageID(t *testing.T) {
	for in, want := range map[string]string{"ms_abcdefghijklmnopqrstuvwx_0": "ms_abcdefghijklmnopqrstuvwx",
		"ms_a_12": "ms_a", "ms_a_": "", "ms_a_x1": "", "noUnderscore": "", "_1": "", "": ""} {
		if got := hubMessageID(in); got != want {
			t.Errorf("hubMessageID(%q) = %q, want %q", in, got, want)
		}
	}
}
