/**
 * The chain's key-value state as the LevelDB chain store (level.ts) indexes
 * it: one pointer per key (records.ts) into the block that wrote it, put in
 * the append's batch and read back in key order.
 */
import type { PayloadEntry } from '../chain/index.ts'
import type { BinaryLevel } from './database.ts'
import type { KeyRange, Pointer } from './base.ts'
import { TYPE_STATE, prefixEnd } from './keys.ts'
import type { ChainKeys } from './keys.ts'
import { POINTER_BYTES, TOMBSTONE_OFFSET, decodePointer, writePointer } from './records.ts'
import { plain } from './level-bytes.ts'

/**
 * Puts the state pointers of the block at `height` in the append's batch,
 * one per transaction of its payload (`entries`), under `statePrefix` (the
 * chain's state keys).
 */
export function putStatePointers (batch: { put: (key: Uint8Array, value: Uint8Array) => unknown }, statePrefix: Uint8Array, height: number, payload: Uint8Array, entries: PayloadEntry[]): void {
  const prefixLength = statePrefix.byteLength
  // One state pointer per transaction: this loop runs 100-1,000 times per
  // block. Keys and pointers are views of one buffer per block (LevelDB
  // copies them into its batch), not two allocations per transaction.
  let size = 0
  for (const e of entries) size += prefixLength + e.keyLength + POINTER_BYTES
  // pooled for small sizes (one transaction): LevelDB copies the bytes out before the batch resolves.
  // A plain Uint8Array over it: Buffer's subarray() makes a Buffer per key (~14 ms per 64 MiB sync)
  const pooled = Buffer.allocUnsafe(size)
  const arena = new Uint8Array(pooled.buffer, pooled.byteOffset, size)
  let pos = 0
  for (const e of entries) {
    const keyEnd = pos + prefixLength + e.keyLength
    arena.set(statePrefix, pos)
    for (let i = pos + prefixLength, from = e.keyOffset; i < keyEnd; i++, from++) arena[i] = payload[from]
    const key = arena.subarray(pos, keyEnd)
    pos = keyEnd + POINTER_BYTES
    // within one batch later operations win, so a key written twice ends with its last value;
    // a delete leaves a tombstone (records.ts) so that a crash recovery can take it back
    if (e.op === 'PUT') writePointer(arena, keyEnd, height, e.valueOffset, e.valueLength)
    else writePointer(arena, keyEnd, height, TOMBSTONE_OFFSET, TOMBSTONE_OFFSET)
    batch.put(key, arena.subarray(keyEnd, pos))
  }
}

/** The chain's state index as stored, tombstones included (within `range`: bounds on the keys' UTF-8 bytes). */
export async function * statePointers (source: { db: BinaryLevel, keys: ChainKeys }, chainId: string, range: KeyRange = {}): AsyncGenerator<[string, Pointer]> {
  const start = source.keys.chainPrefix(TYPE_STATE, chainId)
  let lower: { gt: Uint8Array } | { gte: Uint8Array } = { gt: start }
  let upper = prefixEnd(start)
  if (range.prefix != null && range.prefix !== '') {
    const under = source.keys.state(chainId, range.prefix)
    lower = { gte: under }
    upper = prefixEnd(under)
  }
  if (range.after != null) {
    const after = source.keys.state(chainId, range.after)
    if (Buffer.compare(after, 'gte' in lower ? lower.gte : lower.gt) >= 0) lower = { gt: after }
  }
  for await (const [key, value] of source.db.iterator({ ...lower, lt: upper })) {
    yield [source.keys.stateKeyOf(chainId, plain(key)), decodePointer(plain(value))]
  }
}
