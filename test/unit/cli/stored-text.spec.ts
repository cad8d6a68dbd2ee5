import { describe, it, expect } from 'vitest'
import { shownName, valueOutput } from '../../../src/cli/stored-text.ts'

describe('stored text on the terminal (src/cli/stored-text.ts)', () => {
  const value = Buffer.from('v\u001b[8mhidden\u0007\r\u202e\u2028end', 'utf8')

  it('a value on a pipe is written byte-exact, binary included', () => {
    expect(valueOutput(value, { isTTY: false })).toBe(value)
    const binary = Uint8Array.from([0xff, 0x1b, 0x00, 0x9b])
    expect(valueOutput(binary, { isTTY: false })).toBe(binary)
  })

  it('a value on a terminal has its controls escaped and ends with a newline', () => {
    expect(Buffer.from(valueOutput(value, { isTTY: true })).toString()).toBe('v\\u001b[8mhidden\\u0007\\u000d\\u202e\\u2028end\n')
    // C1's one-character CSI, after invalid UTF-8 (shown as U+FFFD)
    expect(Buffer.from(valueOutput(Uint8Array.from([0xff, 0xc2, 0x9b]), { isTTY: true })).toString()).toBe('\ufffd\\u009b\n')
  })

  it('a name is escaped with the one rule (escapeControls)', () => {
    expect(shownName('a\u001b]0;x\u0007b\u202egnp.exe')).toBe('a\\u001b]0;x\\u0007b\\u202egnp.exe')
    expect(shownName('gps/1')).toBe('gps/1')
  })

  it('a backslash is shown doubled, so an escape the CLI wrote and the same characters stored read apart', () => {
    // six characters stored, and the one character ESC: both showed as \u001b until 2026-12-03
    expect(shownName('a\\u001bb')).toBe('a\\\\u001bb')
    expect(shownName('a\u001bb')).toBe('a\\u001bb')
    expect(shownName('C:\\dir\\')).toBe('C:\\\\dir\\\\')
    expect(Buffer.from(valueOutput(Buffer.from('x\\u000d\r'), { isTTY: true })).toString()).toBe('x\\\\u000d\\u000d\n')
    // on a pipe a value stays as stored, backslashes too
    const stored = Buffer.from('x\\u000d')
    expect(valueOutput(stored, { isTTY: false })).toBe(stored)
  })
})
