/**
 * Binary values of the LevelDB chain store.
 *
 * Block record (current format): the block's `BlockRecord` encoding
 * (chain.proto) — tag 0x0a, varint header length, header bytes, then, unless
 * the payload was pruned, tag 0x12, varint payload length, payload bytes.
 * This is byte for byte what sync and replicate carry for a block, so a
 * stored block is served without decoding and re-encoding it, and a received
 * block whose header and payload still sit in the received frame is stored
 * from that frame without assembling a new value (see encodeRecord). The
 * block hash is not stored: it is sha-256 of the header bytes, recomputed on
 * read (~1 µs for a header).
 *
 * Legacy format (stores written before 2026-11-22, still read): flags (1 byte:
 * bit 0 = payload present), the hash (32 bytes), the header length (u32 BE),
 * the header bytes, then the payload bytes. Its first byte is 0 or 1, never
 * 0x0a, which tells the formats apart.
 *
 * Header and payload share one entry either way: an append writes one large
 * value per block instead of one per transaction (2-4x faster for
 * 1,000-transaction blocks); a key's value is read by slicing the payload at
 * its pointer.
 */
import { BlockHeader } from '../chain/pb/chain.ts'
import { HASH_BYTES, sha256, varintLength, writeVarint } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { readU32, readU64, writeU32, writeU64 } from './keys.ts'
import type { Pointer } from './base.ts'

const TAG_HEADER = 0x0a
const TAG_PAYLOAD = 0x12
const LEGACY_FLAG_PAYLOAD = 1
const LEGACY_FIXED = 1 + HASH_BYTES + 4

/** Reads the varint at `pos`; returns [value, next position], or undefined past `end`. */
function readVarint (buf: Uint8Array, pos: number, end: number): [number, number] | undefined {
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

/** Does `bytes` hold exactly the varint encoding of n at `pos`? */
function varintAt (bytes: Uint8Array, pos: number, n: number): boolean {
  const read = readVarint(bytes, pos, bytes.byteLength)
  return read != null && read[0] === n && read[1] - pos === varintLength(n)
}

/**
 * The record of a block whose header and payload are views that already lie
 * as a BlockRecord in one buffer (a block decoded from a sync or replicate
 * frame): a view over those bytes, without a copy. The framing bytes are
 * checked, and the header and payload are the very views the block was
 * verified through, so the view is the record of exactly that block.
 */
function adjacentRecord (headerBytes: Uint8Array, payload: Uint8Array): Uint8Array | undefined {
  if (headerBytes.buffer !== payload.buffer || payload.byteLength === 0) return undefined
  const hlen = headerBytes.byteLength
  const plen = payload.byteLength
  const start = headerBytes.byteOffset - 1 - varintLength(hlen)
  const payloadTag = headerBytes.byteOffset + hlen
  if (start < 0 || payload.byteOffset !== payloadTag + 1 + varintLength(plen)) return undefined
  const all = new Uint8Array(headerBytes.buffer as ArrayBuffer)
  if (all[start] !== TAG_HEADER || !varintAt(all, start + 1, hlen)) return undefined
  if (all[payloadTag] !== TAG_PAYLOAD || !varintAt(all, payloadTag + 1, plen)) return undefined
  return all.subarray(start, payload.byteOffset + plen)
}

/** The block's record (its BlockRecord encoding), a view of its own bytes when they are laid out as one. */
export function encodeRecord (block: Block): Uint8Array {
  const { headerBytes, payload } = block
  if (payload != null) {
    const view = adjacentRecord(headerBytes, payload)
    if (view != null) return view
  }
  const hlen = headerBytes.byteLength
  const size = 1 + varintLength(hlen) + hlen + (payload != null ? 1 + varintLength(payload.byteLength) + payload.byteLength : 0)
  const out = new Uint8Array(size)
  out[0] = TAG_HEADER
  let pos = writeVarint(out, 1, hlen)
  out.set(headerBytes, pos)
  pos += hlen
  if (payload != null) {
    out[pos++] = TAG_PAYLOAD
    pos = writeVarint(out, pos, payload.byteLength)
    out.set(payload, pos)
  }
  return out
}

function corrupt (): Error {
  return new RangeError('corrupt block record')
}

/** Header and payload views of a current-format record. */
function splitRecord (bytes: Uint8Array): { headerBytes: Uint8Array, payload?: Uint8Array } {
  const end = bytes.byteLength
  const h = readVarint(bytes, 1, end)
  if (h == null || h[1] + h[0] > end) throw corrupt()
  const headerBytes = bytes.subarray(h[1], h[1] + h[0])
  let pos = h[1] + h[0]
  if (pos === end) return { headerBytes }
  if (bytes[pos] !== TAG_PAYLOAD) throw corrupt()
  const p = readVarint(bytes, pos + 1, end)
  if (p == null || p[1] + p[0] !== end) throw corrupt()
  pos = p[1]
  return { headerBytes, payload: bytes.subarray(pos, end) }
}

/** Decodes a stored record (either format); it was verified on append, so it is trusted here. */
export function decodeRecord (bytes: Uint8Array): Block {
  if (bytes[0] === TAG_HEADER) {
    const { headerBytes, payload } = splitRecord(bytes)
    const header = BlockHeader.decode(headerBytes)
    const hash = sha256(headerBytes)
    return payload == null ? { header, headerBytes, hash } : { header, headerBytes, hash, payload }
  }
  const headerLength = readU32(bytes, 1 + HASH_BYTES)
  const headerBytes = bytes.subarray(LEGACY_FIXED, LEGACY_FIXED + headerLength)
  const hash = bytes.subarray(1, 1 + HASH_BYTES)
  const header = BlockHeader.decode(headerBytes)
  if ((bytes[0] & LEGACY_FLAG_PAYLOAD) === 0) return { header, headerBytes, hash }
  return { header, headerBytes, hash, payload: bytes.subarray(LEGACY_FIXED + headerLength) }
}

/**
 * A stored record as its BlockRecord encoding, and whether its payload was
 * pruned: what sync and replicate send. Current-format records are returned
 * as they are (no decoding).
 */
export function wireRecord (bytes: Uint8Array): { record: Uint8Array, pruned: boolean } {
  if (bytes[0] === TAG_HEADER) return { record: bytes, pruned: splitRecord(bytes).payload == null }
  const block = decodeRecord(bytes)
  return { record: encodeRecord(block), pruned: block.payload == null }
}

/** Writes a record in the legacy format (kept for the tests that read old stores). */
export function encodeLegacyRecord (block: Block): Uint8Array {
  const payload = block.payload
  const out = new Uint8Array(LEGACY_FIXED + block.headerBytes.byteLength + (payload?.byteLength ?? 0))
  out[0] = payload != null ? LEGACY_FLAG_PAYLOAD : 0
  out.set(block.hash, 1)
  writeU32(out, 1 + HASH_BYTES, block.headerBytes.byteLength)
  out.set(block.headerBytes, LEGACY_FIXED)
  if (payload != null) out.set(payload, LEGACY_FIXED + block.headerBytes.byteLength)
  return out
}

export function encodePointer (p: Pointer): Uint8Array {
  return pointerBytes(p.height, p.valueOffset, p.valueLength)
}

/** encodePointer without the object (appends write one per transaction). */
export function pointerBytes (height: number, valueOffset: number, valueLength: number): Uint8Array {
  const out = new Uint8Array(16)
  writeU64(out, 0, height)
  writeU32(out, 8, valueOffset)
  writeU32(out, 12, valueLength)
  return out
}

export function decodePointer (bytes: Uint8Array): Pointer {
  return { height: readU64(bytes, 0), valueOffset: readU32(bytes, 8), valueLength: readU32(bytes, 12) }
}

export function encodeHeight (height: number): Uint8Array {
  const out = new Uint8Array(8)
  writeU64(out, 0, height)
  return out
}

export function decodeHeight (bytes: Uint8Array): number {
  return readU64(bytes, 0)
}
