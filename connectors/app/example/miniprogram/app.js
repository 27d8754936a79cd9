// One Kefu client for the whole mini-program. kefu.js is the SDK's CommonJS
// build: copy connectors/app/sdk/js/dist/kefu.cjs to libs/kefu.js (or
// install @kefu/app-sdk and use the developer tools' 构建 npm, then
// require('@kefu/app-sdk')). init() finds `wx` by itself: wx.request,
// wx.connectSocket (wss only) and wx storage; the socket the system closes
// in the background is resumed on onAppShow.
const Kefu = require('./libs/kefu.js')

const HUB = 'https://kefu.example.com' // your hub (add it to the request and socket domain lists)
const APP_KEY = 'ak_…' // POST /api/v1/channels {"type":"app",…} → setup.app_key
const YOUR_SERVER = 'https://api.example.com' // signs the user's id with the channel's identity_secret

App({
  hub: HUB, // attachment URLs in messages are relative to it
  kefu: Kefu.init({ appKey: APP_KEY, baseURL: HUB }),
  onLaunch() {
    // Your server logs the user in (wx.login code) and answers {userId, userHash}:
    // userHash = hex HMAC-SHA256(identity_secret, userId). The secret never ships in the app.
    // Given as a function, it is asked again whenever the hub wants a new identify.
    this.kefu.identify(
      () =>
        new Promise((resolve, reject) =>
          wx.login({
            success: ({ code }) =>
              wx.request({
                url: YOUR_SERVER + '/kefu/identity',
                method: 'POST',
                data: { code },
                success: (r) => resolve({ userId: r.data.userId, userHash: r.data.userHash, device: { platform: 'miniprogram' } }),
                fail: reject,
              }),
            fail: reject,
          }),
        ),
    ).catch((e) => console.error('kefu identify', e))
  },
})
