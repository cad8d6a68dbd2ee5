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

/** Writes n as a varint at `pos`; returns the position after it. */
export function writeVarint (buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}
