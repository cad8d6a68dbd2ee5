import { describe, it, expect } from 'vitest'
import { encodeValue } from '../../../src/http/encoding.ts'

const utf8 = new TextEncoder()

function decoded (e: { value: string, encoding: 'utf8' | 'base64' }): Uint8Array {
  return e.encoding === 'utf8' ? utf8.encode(e.value) : new Uint8Array(Buffer.from(e.value, 'base64'))
}

describe('http - value encoding', () => {
  it('shows text as text, other bytes as base64, and both decode to the value', () => {
    for (const [value, encoding] of [
      [utf8.encode('{"lat":49.01,"lon":8.40}'), 'utf8'],
      [utf8.encode('Straße — 北京'), 'utf8'],
      [new Uint8Array(0), 'utf8'],
      [Uint8Array.of(0xff, 0xfe, 0x00), 'base64']
    ] as const) {
      const e = encodeValue(value)
      expect(e.encoding).toBe(encoding)
      expect(decoded(e)).toEqual(value)
    }
  })

  it('takes base64 for text that JSON escaping would blow up (a probe: 4 MiB of zero bytes took 24 MiB)', () => {
    const zeros = new Uint8Array(4096)
    const e = encodeValue(zeros)
    expect(e.encoding).toBe('base64')
    expect(JSON.stringify(e.value).length).toBe(4 * Math.ceil(zeros.byteLength / 3) + 2)
    expect(decoded(e)).toEqual(zeros)
    // a few escapes are cheaper than base64: still text
    expect(encodeValue(utf8.encode('line one\nline "two"\n')).encoding).toBe('utf8')
  })
})
