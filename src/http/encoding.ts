const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Control characters JSON writes in two bytes (\b \t \n \f \r); the others take six (\u0000). */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d])

/** Bytes JSON adds to a string of these UTF-8 bytes when it escapes them. */
function escapeCost (value: Uint8Array): number {
  let extra = 0
  for (const b of value) {
    if (b < 0x20) extra += SHORT_ESCAPES.has(b) ? 1 : 5
    else if (b === 0x22 || b === 0x5c) extra += 1
  }
  return extra
}

/**
 * Values are bytes; JSON shows them as UTF-8 text when they are valid UTF-8
 * and escaping them costs no more than base64 would (a third more), else
 * base64. A 4 MiB value of zero bytes is valid UTF-8 and took 24 MiB as
 * escaped text, six times what the read budget counted for it (a probe).
 */
export function encodeValue (value: Uint8Array): { value: string, encoding: 'utf8' | 'base64' } {
  const base64 = (): { value: string, encoding: 'base64' } => ({ value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'), encoding: 'base64' })
  if (escapeCost(value) * 3 > value.byteLength) return base64()
  try {
    return { value: strictUtf8.decode(value), encoding: 'utf8' }
  } catch {
    return base64()
  }
}

/** A key of a scan as JSON: with its value (as encodeValue shows it), without (`values=false`), or `pruned` when retention took the block that wrote it. */
export function keyEntryJson (entry: { key: string, height: number, value?: Uint8Array, pruned?: boolean }, values: boolean): Record<string, unknown> {
  if (!values) return { key: entry.key, height: entry.height }
  if (entry.pruned === true || entry.value == null) return { key: entry.key, height: entry.height, pruned: true }
  return { key: entry.key, ...encodeValue(entry.value), height: entry.height }
}
