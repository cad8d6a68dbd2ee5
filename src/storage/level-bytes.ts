/**
 * Bytes as the LevelDB chain store (level.ts) reads and hands them out:
 * classic-level's Buffers as plain Uint8Arrays, and the records it reads
 * (records.ts) as BlockRecords, run entries and blocks.
 */
import { varintLength, writeVarint } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { encodeRecord, entrySize, parseStored, storedBlock, wireRecord } from './records.ts'
import type { StoredForm } from './records.ts'

/** A record read from LevelDB, as stored and taken apart. */
export interface StoredAt { height: number, value: Uint8Array, form: StoredForm }

/** classic-level hands out Buffers even for 'view'; callers get plain Uint8Arrays. */
export function plain (bytes: Uint8Array): Uint8Array {
  return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes
}

/** An uninitialised buffer as a plain Uint8Array (Buffer's slice() would mean a view, not a copy). */
export function plainBuffer (size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

export function varintBytes (n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n))
  writeVarint(out, 0, n)
  return out
}

/** The BlockRecord of a record that is not read from a segment: as stored (current format) or converted. */
export function recordOf (stored: StoredAt): Uint8Array {
  if (stored.form.location != null) return encodeRecord(storedBlock(stored.form.headerBytes))
  return wireRecord(stored.value).record
}

/** Bytes an entry of this stored form takes in a run. */
export function storedEntrySize (form: StoredForm): number {
  if (form.location != null && !form.pruned) return form.location.length
  const hlen = form.headerBytes.byteLength
  const plen = form.pruned ? undefined : form.payload?.byteLength
  return entrySize(1 + varintLength(hlen) + hlen + (plen == null ? 0 : 1 + varintLength(plen) + plen))
}

/** Header and payload views of a BlockRecord. */
export function storedParts (record: Uint8Array): { headerBytes: Uint8Array, payload?: Uint8Array } {
  const form = parseStored(record)
  return { headerBytes: form.headerBytes, payload: form.payload }
}

export function storedBlockOfRecord (record: Uint8Array, pruned: boolean): Block {
  const { headerBytes, payload } = storedParts(record)
  return storedBlock(headerBytes, pruned ? undefined : payload)
}
