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
 *
 * Located record (since 2026-11-23, blocks whose payload is in a segment
 * file, see segments.ts): tag 0x0a, varint header length, header bytes, then
 * tag 0x1a and a Location (four varints: fileId, segment, offset, length of
 * the segment entry), then, once the payload is pruned, tag 0x20 and 1. The
 * payload is read from the segment; a pruned located record keeps its
 * location, which is how open() finds where a chain's segments end.
 *
 * Segment entry: ENTRY_TAG (0x22), varint record length, then the block's
 * BlockRecord. That is exactly one element of a protobuf `repeated
 * BlockRecord`-shaped field 4, which is what SyncResponse.blocks is: a run of
 * consecutive entries read from a segment is a frame of blocks as it stands,
 * and replicate (field 8) only rewrites the tag byte of each entry.
 */
import { BlockHeader } from '../chain/pb/chain.ts'
import { HASH_BYTES, readVarint, sha256, varintLength, writeVarint } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { readU32, readU64, writeU32, writeU64 } from './keys.ts'
import type { Pointer } from './base.ts'

const TAG_HEADER = 0x0a
const TAG_PAYLOAD = 0x12
const TAG_LOCATION = 0x1a
const TAG_PRUNED = 0x20
/** The tag byte of a segment entry (and of SyncResponse.blocks). */
export const ENTRY_TAG = 0x22
const LEGACY_FLAG_PAYLOAD = 1
const LEGACY_FIXED = 1 + HASH_BYTES + 4

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

/** Bytes of a state pointer: height u64, value offset u32, value length u32 (all BE). */
export const POINTER_BYTES = 16

/** encodePointer without the object. */
export function pointerBytes (height: number, valueOffset: number, valueLength: number): Uint8Array {
  const out = new Uint8Array(POINTER_BYTES)
  writePointer(out, 0, height, valueOffset, valueLength)
  return out
}

/** Writes a state pointer into `out` at `pos` (appends write one per transaction). */
export function writePointer (out: Uint8Array, pos: number, height: number, valueOffset: number, valueLength: number): void {
  writeU64(out, pos, height)
  writeU32(out, pos + 8, valueOffset)
  writeU32(out, pos + 12, valueLength)
}

/**
 * A delete's pointer: the height of the block that deleted the key, and an
 * offset and length no value can have. Deleted keys keep an index entry so
 * that open() can take back a delete a machine crash lost the block of
 * (recovery.ts); reads treat it as absent.
 */
export const TOMBSTONE_OFFSET = 0xffff_ffff

export function isTombstone (p: Pointer): boolean {
  return p.valueOffset === TOMBSTONE_OFFSET && p.valueLength === TOMBSTONE_OFFSET
}

/**
 * A value lost to pruning, as far as the store can tell: written (if at all)
 * by a block at or below the pointer's height whose payload was pruned. Only
 * a power-cut repair writes it (recovery.ts): the key's newest value was in a
 * block the repair cut, and no block below the cut that still has its payload
 * wrote the key. Reads answer PayloadPrunedError rather than "absent", which
 * would be wrong whenever a pruned block did write it.
 */
export const UNKNOWN_OFFSET = 0xffff_fffe

export function isUnknown (p: Pointer): boolean {
  return p.valueOffset === UNKNOWN_OFFSET && p.valueLength === UNKNOWN_OFFSET
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

/** Where a payload lies: the segment entry that holds its block. */
export interface Location {
  fileId: number
  /** The segment's first height (its name). */
  segment: number
  /** Offset of the entry in the segment. */
  offset: number
  /** Length of the whole entry (tag, varint length, BlockRecord). */
  length: number
}

/** A stored record taken apart: the header, and where its payload is (if anywhere). */
export interface StoredForm {
  headerBytes: Uint8Array
  /** The payload held inline (small blocks, legacy records, rescued pins). */
  payload?: Uint8Array
  /** The payload's segment entry (large blocks); still set once pruned. */
  location?: Location
  /** The payload no longer counts (pruned); a located payload may still sit in its segment. */
  pruned: boolean
}

function varintsLength (values: number[]): number {
  return values.reduce((n, v) => n + varintLength(v), 0)
}

/** The record of a block whose payload lies at `location`. */
export function locatedRecord (headerBytes: Uint8Array, location: Location, pruned = false): Uint8Array {
  const fields = [location.fileId, location.segment, location.offset, location.length]
  const locLength = varintsLength(fields)
  const hlen = headerBytes.byteLength
  const out = new Uint8Array(1 + varintLength(hlen) + hlen + 1 + varintLength(locLength) + locLength + (pruned ? 2 : 0))
  out[0] = TAG_HEADER
  let pos = writeVarint(out, 1, hlen)
  out.set(headerBytes, pos)
  pos += hlen
  out[pos++] = TAG_LOCATION
  pos = writeVarint(out, pos, locLength)
  for (const f of fields) pos = writeVarint(out, pos, f)
  if (pruned) {
    out[pos++] = TAG_PRUNED
    out[pos++] = 1
  }
  return out
}

function parseLocation (bytes: Uint8Array, pos: number, end: number): Location {
  const fields: number[] = []
  for (let i = 0; i < 4; i++) {
    const v = readVarint(bytes, pos, end)
    if (v == null) throw corrupt()
    fields.push(v[0])
    pos = v[1]
  }
  if (pos !== end) throw corrupt()
  return { fileId: fields[0], segment: fields[1], offset: fields[2], length: fields[3] }
}

/** Takes a stored record (any format) apart without decoding the header. */
export function parseStored (bytes: Uint8Array): StoredForm {
  if (bytes[0] !== TAG_HEADER) {
    const headerLength = readU32(bytes, 1 + HASH_BYTES)
    const headerBytes = bytes.subarray(LEGACY_FIXED, LEGACY_FIXED + headerLength)
    if ((bytes[0] & LEGACY_FLAG_PAYLOAD) === 0) return { headerBytes, pruned: true }
    return { headerBytes, payload: bytes.subarray(LEGACY_FIXED + headerLength), pruned: false }
  }
  const end = bytes.byteLength
  const h = readVarint(bytes, 1, end)
  if (h == null || h[1] + h[0] > end) throw corrupt()
  const headerBytes = bytes.subarray(h[1], h[1] + h[0])
  let pos = h[1] + h[0]
  if (pos === end) return { headerBytes, pruned: true }
  const tag = bytes[pos]
  const l = readVarint(bytes, pos + 1, end)
  if (l == null || l[1] + l[0] > end) throw corrupt()
  if (tag === TAG_PAYLOAD) {
    if (l[1] + l[0] !== end) throw corrupt()
    return { headerBytes, payload: bytes.subarray(l[1], end), pruned: false }
  }
  if (tag !== TAG_LOCATION) throw corrupt()
  const location = parseLocation(bytes, l[1], l[1] + l[0])
  pos = l[1] + l[0]
  if (pos === end) return { headerBytes, location, pruned: false }
  if (bytes[pos] !== TAG_PRUNED || pos + 2 !== end) throw corrupt()
  return { headerBytes, location, pruned: bytes[pos + 1] === 1 }
}

/**
 * The bytes of a block's segment entry, as two pieces for a gathered write:
 * everything up to the payload (entry tag and length, the record's header
 * field, the payload's tag and length), then the payload itself, not copied.
 */
export function entryPieces (headerBytes: Uint8Array, payload: Uint8Array): { head: Uint8Array, payload: Uint8Array, length: number } {
  const hlen = headerBytes.byteLength
  const plen = payload.byteLength
  const recordLength = 1 + varintLength(hlen) + hlen + 1 + varintLength(plen) + plen
  const head = new Uint8Array(1 + varintLength(recordLength) + recordLength - plen)
  head[0] = ENTRY_TAG
  let pos = writeVarint(head, 1, recordLength)
  head[pos++] = TAG_HEADER
  pos = writeVarint(head, pos, hlen)
  head.set(headerBytes, pos)
  pos += hlen
  head[pos++] = TAG_PAYLOAD
  writeVarint(head, pos, plen)
  return { head, payload, length: head.byteLength + plen }
}

/** Where the payload starts inside an entry whose header and payload have these lengths. */
export function payloadOffsetInEntry (headerLength: number, payloadLength: number): number {
  const recordLength = 1 + varintLength(headerLength) + headerLength + 1 + varintLength(payloadLength) + payloadLength
  return 1 + varintLength(recordLength) + recordLength - payloadLength
}

/**
 * The BlockRecord inside a segment entry (a view). The entry's own tag byte is
 * not checked: a sender may have rewritten it for its protocol.
 */
export function entryRecord (entry: Uint8Array): Uint8Array {
  const l = readVarint(entry, 1, entry.byteLength)
  if (l == null || l[1] + l[0] !== entry.byteLength) throw corrupt()
  return entry.subarray(l[1])
}

/** Bytes the entry of a BlockRecord of this length takes. */
export function entrySize (recordLength: number): number {
  return 1 + varintLength(recordLength) + recordLength
}

/** Writes a BlockRecord as an entry into `out` at `at`; returns the position after it. */
export function writeEntry (out: Uint8Array, at: number, record: Uint8Array): number {
  out[at] = ENTRY_TAG
  const start = writeVarint(out, at + 1, record.byteLength)
  out.set(record, start)
  return start + record.byteLength
}

/** Each entry's start in a run of entries read back to back. */
export function entryOffsets (run: Uint8Array): number[] {
  const offsets: number[] = []
  let pos = 0
  while (pos < run.byteLength) {
    offsets.push(pos)
    const l = readVarint(run, pos + 1, run.byteLength)
    if (l == null || l[1] + l[0] > run.byteLength) throw corrupt()
    pos = l[1] + l[0]
  }
  return offsets
}

/** The block a header and payload (as stored and verified on append) make. */
export function storedBlock (headerBytes: Uint8Array, payload?: Uint8Array): Block {
  const header = BlockHeader.decode(headerBytes)
  const hash = sha256(headerBytes)
  return payload == null ? { header, headerBytes, hash } : { header, headerBytes, hash, payload }
}
