/**
 * Text a peer chose, made safe to show: an answer's `message`, identify's
 * agent string, a name in a gossiped backup table. It reaches our logs, the
 * errors we throw, the HTTP API's JSON and a terminal, so every character
 * that steers a terminal or a log reader is written as an escape, and the
 * text is cut to a bound with a marker saying how much went (a hostile peer
 * sent ANSI escapes, CR/LF that forged log lines, bidi overrides that
 * reordered what an operator read, and megabytes of text: a review).
 *
 * A leaf every layer may import (test/unit/layers.spec.ts): the protocols
 * decode answers with it, src/backup names a table's proposer with it, and
 * the CLI shows /status with the same rules.
 */

/** Characters of a peer's text kept, unless a caller bounds it tighter. */
export const MAX_PEER_TEXT = 2048

/**
 * C0 (CR, LF, ESC, TAB…), DEL and C1 (U+009B is a one-character CSI), the line
 * and paragraph separators (JSON.stringify leaves them as they are, and log
 * viewers break lines at them) and Unicode's Bidi_Control characters (the
 * overrides and isolates of "Trojan Source", and the implicit marks).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const CONTROLS = new RegExp(CONTROL.source, 'g')

const escaped = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/**
 * `text` with each control character written as a \u escape (ESC as
 * `\u001b`), the rest as it is. Backslashes are not escaped: a peer can
 * write `\u001b` itself, which shows as what it is, text.
 */
export function escapeControls (text: string): string {
  return text.replace(CONTROLS, escaped)
}

/**
 * `text` escaped (escapeControls) and at most `max` characters long, escapes
 * counted as shown; past that it is cut, at a whole escape and a whole
 * surrogate pair, and `… [N more characters cut]` says how many characters of
 * the peer's text went. Costs O(max) however long `text` is.
 */
export function peerText (text: string, max = MAX_PEER_TEXT): string {
  if (text.length <= max && !CONTROL.test(text)) return text
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]
    const code = c.charCodeAt(0)
    const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    const piece = pair ? text.slice(i, i + 2) : CONTROL.test(c) ? escaped(c) : c
    if (out.length + piece.length > max) break
    out += piece
    i += pair ? 2 : 1
  }
  const cut = text.length - i
  return cut === 0 ? out : `${out}… [${cut} more character${cut === 1 ? '' : 's'} cut]`
}
