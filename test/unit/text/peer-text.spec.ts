/**
 * Text a peer chose (an answer's message, an agent string, a name in a
 * gossiped table) reaches logs, errors, the API's JSON and a terminal: every
 * character that could steer a terminal or a log reader is shown as an
 * escape, and the text is cut with a marker saying how much went.
 */
import { describe, it, expect } from 'vitest'
import { MAX_PEER_TEXT, escapeControls, peerText } from '../../../src/text/peer-text.ts'

describe('text - peer text', () => {
  it('shows C0, DEL, C1, the line and paragraph separators and the bidi controls as \\u escapes', () => {
    expect(peerText('red\u001b[31m text\r\nINFO forged line\tand a tab\u0000\u007f')).toBe('red\\u001b[31m text\\u000d\\u000aINFO forged line\\u0009and a tab\\u0000\\u007f')
    // C1: U+009B is a one-character CSI on terminals that take 8-bit controls
    expect(peerText('a\u0080b\u009b2Jc\u009f')).toBe('a\\u0080b\\u009b2Jc\\u009f')
    // JSON.stringify leaves these as they are, and a log viewer breaks the line at them
    expect(peerText('one\u2028two\u2029three')).toBe('one\\u2028two\\u2029three')
    // Trojan Source's overrides and isolates, and the implicit marks (Unicode's Bidi_Control)
    const bidi = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']
    for (const c of bidi) expect(peerText(`x${c}y`), c.charCodeAt(0).toString(16)).toBe(`x\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}y`)
  })

  it('leaves printable text alone: other scripts, emoji, backslashes, quotes', () => {
    for (const text of ['', 'chain 12D3KooW… is unknown here', 'אבג مرحبا 日本語 Ünïcödé', 'a 🚗 b', 'C:\\path "quoted" \'single\'', ' \u00a0\u00ff']) {
      expect(peerText(text)).toBe(text)
      expect(escapeControls(text)).toBe(text)
    }
  })

  it('cuts past `max` characters, with a marker saying how many of the peer\'s went', () => {
    const mb = 'x'.repeat(1024 * 1024)
    const out = peerText(mb)
    expect(MAX_PEER_TEXT).toBe(2048)
    expect(out.startsWith('x'.repeat(2048))).toBe(true)
    expect(out.slice(2048)).toBe(`… [${1024 * 1024 - 2048} more characters cut]`)
    expect(peerText('abcdef', 4)).toBe('abcd… [2 more characters cut]')
    // exactly max: nothing cut, no marker
    expect(peerText('abcd', 4)).toBe('abcd')
  })

  it('counts escapes within the bound, never cuts one in half, nor a surrogate pair', () => {
    // each ESC shows as six characters: 2048 of them would be 12 KiB
    const escapes = peerText('\u001b'.repeat(10_000))
    expect(escapes.startsWith('\\u001b'.repeat(341))).toBe(true)
    expect(escapes.slice(341 * 6)).toBe(`… [${10_000 - 341} more characters cut]`)
    expect(peerText('ab\u001bc', 4)).toBe('ab… [2 more characters cut]')
    // 🚗 is two UTF-16 units: kept whole or not at all
    expect(peerText('abc🚗', 4)).toBe('abc… [2 more characters cut]')
    expect(peerText('ab🚗c', 4)).toBe('ab🚗… [1 more character cut]')
    for (const max of [0, 1, 5, 100]) expect(peerText('\u202e'.repeat(1000) + 'z'.repeat(1000), max).indexOf('…')).toBeLessThanOrEqual(max)
  })

  it('escapeControls escapes the same characters and cuts nothing', () => {
    const long = `${'\u001b[8m'.repeat(1000)}\u2028\u202e`
    expect(escapeControls(long)).toBe(`${'\\u001b[8m'.repeat(1000)}\\u2028\\u202e`)
  })
})
