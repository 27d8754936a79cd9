// qrDataUrl draws text (an otpauth:// URL) as a QR code and returns it as a
// data: URL for an <img> (the CSP allows img data:, and nothing here runs
// inline script). The encoder is imported on demand: only the TOTP setup
// view loads it, so it stays out of the main bundle.
export async function qrDataUrl(text: string, cellSize = 4): Promise<string> {
  const { default: qrcode } = await import('qrcode-generator')
  // type 0: the smallest version that fits; M: 15 % error correction
  const q = qrcode(0, 'M')
  q.addData(text, 'Byte')
  q.make()
  return q.createDataURL(cellSize, cellSize * 4)
}
