import { describe, it, expect } from 'vitest'
import { overflowInTarget } from '../../../src/http/target-too-long.ts'

/** The parser's error for a packet it stopped in after `parsedText`. */
const overflow = (parsedText: string, rest = ' HTTP/1.1\r\n\r\n'): { rawPacket: Buffer, bytesParsed: number } =>
  ({ rawPacket: Buffer.from(parsedText + rest, 'latin1'), bytesParsed: Buffer.byteLength(parsedText, 'latin1') })

describe('http - which part of a head went over the limit', () => {
  it('a target is told by a method and a target since the last line start; headers, a packet that starts mid-line, or no packet are not', () => {
    expect(overflowInTarget(overflow(`GET /${'a'.repeat(100)}`))).toBe(true)
    expect(overflowInTarget(overflow(`PUT /chains/x/kv/${'k'.repeat(100)}?a=b`))).toBe(true)
    // behind a request on the same connection
    expect(overflowInTarget(overflow(`GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /${'a'.repeat(100)}`))).toBe(true)
    // a header, after a long target or not
    expect(overflowInTarget(overflow(`GET /${'a'.repeat(100)} HTTP/1.1\r\nX-Long: ${'a'.repeat(100)}`, '\r\n\r\n'))).toBe(false)
    expect(overflowInTarget(overflow('GET / HTTP/1.1\r\nX-Long: a b c', '\r\n\r\n'))).toBe(false)
    // the rest of a target, or of a header's value, in a later packet: not told apart, so not called a target
    expect(overflowInTarget(overflow('a'.repeat(100)))).toBe(false)
    expect(overflowInTarget({})).toBe(false)
    expect(overflowInTarget({ rawPacket: 'GET /a', bytesParsed: 6 })).toBe(false)
  })
})
