import { describe, it, expect } from 'vitest'
import { qrDataUrl } from './qr'

describe('qrDataUrl', () => {
  it('renders an otpauth URL as a GIF data: URL that depends on the text', async () => {
    const uri = 'otpauth://totp/Kefu:a%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Kefu'
    const a = await qrDataUrl(uri)
    expect(a).toMatch(/^data:image\/gif;base64,[A-Za-z0-9+/=]+$/)
    const gif = atob(a.split(',')[1])
    expect(gif.slice(0, 6)).toBe('GIF87a')
    // a 4-pixel cell and a 16-pixel quiet zone around at least 21 modules
    const width = gif.charCodeAt(6) | (gif.charCodeAt(7) << 8)
    expect(width).toBeGreaterThanOrEqual(21 * 4 + 32)
    expect((width - 32) % 4).toBe(0)
    expect(await qrDataUrl(uri)).toBe(a)
    expect(await qrDataUrl(uri.replace('JBSW', 'KBSW'))).not.toBe(a)
  })
})
