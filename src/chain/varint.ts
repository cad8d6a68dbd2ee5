/**
 * Protobuf varints for the hand-written encoders (payloads, stored records,
 * sync frames), which build bytes protons would otherwise assemble with a copy.
 */

/** Bytes the varint encoding of n (0 ≤ n < 2^53) takes. */
export function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/**
 * Reads the varint at `pos` (at most 8 bytes, not checked for the canonical
 * form: payload.ts has the strict reader); returns [value, next position], or
 * undefined if it does not end before `end`.
 */
export function readVarint (buf: Uint8Array, pos: number, end: number = buf.byteLength): [number, number] | undefined {
  let value = 0
  let factor = 1
  for (let i = 0; i < 8 && pos < end; i++) {
    const byte = buf[pos++]
    value += (byte & 0x7f) * factor
    if ((byte & 0x80) === 0) return [value, pos]
    factor *= 128
  }
  return undefined
}

/** Writes n as a varint at `pos`; returns the position after it. */
export function writeVarint (buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}
