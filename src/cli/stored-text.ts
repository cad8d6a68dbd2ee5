/**
 * Stored text on the operator's terminal. Keys, chain ids and peer ids are
 * names any vehicle may choose (the shared chain takes keys from every
 * member): in human output they are always shown with escapeControls, so an
 * ESC sequence, CR or a bidi override cannot steer the terminal or forge a
 * line. A value is data that scripts pipe (`get k > file`): byte-exact on a
 * pipe or a file, escaped only when stdout is a terminal. --json stays exact
 * (JSON's own escaping).
 *
 * A backslash is shown doubled first: a key holding the six characters
 * `\u001b` then reads `\\u001b`, and only an ESC reads `\u001b` (until
 * 2026-12-03 both read `\u001b`). The node's own words (a replication
 * problem, `status`) are not names: a peer's text in them was escaped by the
 * node (peerText, which leaves backslashes), so they keep escapeControls alone.
 */
import { escapeControls } from '../text/peer-text.ts'

/**
 * A name (key, chain id, peer id) as shown in human output: backslashes
 * doubled, then controls escaped (in that order: the escapes' own backslashes stay single).
 */
export const shownName = (name: string): string => escapeControls(name.replaceAll('\\', '\\\\'))

/**
 * The bytes `get`/`read` write for a value: as stored when stdout is not a
 * terminal; on a terminal its text (UTF-8, invalid bytes as U+FFFD) with
 * backslashes doubled and controls escaped, and a newline so the prompt
 * starts on a line of its own.
 */
export function valueOutput (bytes: Uint8Array, options: { isTTY: boolean }): Uint8Array {
  if (!options.isTTY) return bytes
  return Buffer.from(shownName(Buffer.from(bytes).toString('utf8')) + '\n', 'utf8')
}
