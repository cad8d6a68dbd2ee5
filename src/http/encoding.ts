/** Values are bytes; JSON shows them as UTF-8 text when they are valid UTF-8, else base64. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

export function encodeValue (value: Uint8Array): { value: string, encoding: 'utf8' | 'base64' } {
  try {
    return { value: strictUtf8.decode(value), encoding: 'utf8' }
  } catch {
    return { value: Buffer.from(value).toString('base64'), encoding: 'base64' }
  }
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
