/**
 * What a machine crash can leave of a chain whose large payloads were written
 * without a flush, and how open() repairs it (level-open.ts, level.ts).
 *
 * An append with `sync: false` writes its segment entries and its LevelDB
 * batch without flushing either, the two side by side (level.ts appendMany).
 * A power cut may keep the batch and lose the entry, and a process crash
 * between the two may leave the batch in without the entry (that append was
 * never acknowledged), so LevelDB would point at bytes that are not there. The chain meta says up
 * to which height every segment payload is known flushed; open() checks the
 * payloads above it against their headers (intactEntry) and, at the first that
 * does not verify, cuts the chain before it (cutTail): those blocks were never
 * flushed, so never acknowledged as durable, and a sync fetches them again.
 *
 * The cut must also take back what the lost blocks did to the key-value state:
 * a key they wrote gets the value the newest block below the cut wrote (or
 * none). Blocks whose payload was pruned no longer say which keys they wrote:
 * a key is known only if a block between the cut and the newest pruned block
 * below it wrote it. Any other key may have been written last by that pruned
 * block (or one below it), so its earlier value is unknown, and it gets a
 * pointer saying so (records.ts, UNKNOWN_OFFSET): reads answer
 * PayloadPrunedError, as for any pruned value, instead of "absent" or an
 * older value the pruned block may have overwritten.
 */
import { BlockHeader } from '../chain/pb/chain.ts'
import { HASH_BYTES, ZERO_HASH, bytesEqual, parsePayload, sha256 } from '../chain/index.ts'
import type { BinaryLevel } from './database.ts'
import type { ChainMeta, Pointer } from './base.ts'
import type { ChainKeys } from './keys.ts'
import { TOMBSTONE_OFFSET, UNKNOWN_OFFSET, entryRecord, parseStored, pointerBytes } from './records.ts'
import type { Location, StoredForm } from './records.ts'
import type { Segments } from './segments.ts'

/** What the repair needs of the store. */
export interface TailContext {
  db: BinaryLevel
  keys: ChainKeys
  segments: Segments
  forms: (chainId: string, from: number, to: number) => AsyncIterable<{ height: number, form: StoredForm }>
  pointers: (chainId: string) => AsyncIterable<[string, Pointer]>
  /** The chain meta as stored, with the log as it will be after the cut (written in the cut's batch). */
  encodeMeta: (meta: ChainMeta) => Uint8Array
}

/** The chain's segment state the repair moves back. */
export interface TailLog {
  segments: number[]
  writeSegment: number
  writeEnd: number
}

/** Whether a located payload is in its segment as its header says: length and sha-256. */
export async function intactEntry (segments: Segments, form: StoredForm): Promise<boolean> {
  const at = form.location
  if (at == null) return true
  try {
    const record = parseStored(entryRecord(await segments.read(at.fileId, at.segment, at.offset, at.length)))
    if (!bytesEqual(record.headerBytes, form.headerBytes) || record.payload == null) return false
    const header = BlockHeader.decode(form.headerBytes)
    return record.payload.byteLength === header.payloadBytes && bytesEqual(sha256(record.payload), header.payloadHash)
  } catch {
    // a short or garbled entry: what was lost
    return false
  }
}

/** The payload of a stored block that is not pruned, inline or from its segment. */
async function payloadOf (ctx: TailContext, form: StoredForm): Promise<Uint8Array | undefined> {
  if (form.pruned) return undefined
  if (form.location == null) return form.payload
  const at = form.location
  return parseStored(entryRecord(await ctx.segments.read(at.fileId, at.segment, at.offset, at.length))).payload
}

/**
 * Cuts the chain before `cut` (whose payload at `at` was lost): its records
 * and hash index go, each key a cut block wrote gets its value as of the
 * block before, and the segments end where `cut`'s entry began. Returns the
 * chain's meta as of the block before; `log` is moved back in place.
 */
export async function cutTail (ctx: TailContext, meta: ChainMeta, log: TailLog, cut: number, at: Location): Promise<ChainMeta> {
  const { chainId } = meta
  // the keys a cut block wrote or deleted (a delete leaves a tombstone with its height)
  const affected = new Set<string>()
  for await (const [key, pointer] of ctx.pointers(chainId)) if (pointer.height >= cut) affected.add(key)

  // their values as of the block before the cut: the newest write below it, walking back
  const before = new Map<string, Pointer>()
  let tip = { hash: ZERO_HASH, timestamp: 0 }
  // whether the walk reached a pruned block: it may have written any key not found yet, so the
  // walk stops there (a writer further down may have been overwritten by it)
  let sawPruned = false
  const below = ctx.db.values({ gte: ctx.keys.block(chainId, 1), lt: ctx.keys.block(chainId, cut), reverse: true })
  try {
    for await (const value of below) {
      const form = parseStored(value)
      const header = BlockHeader.decode(form.headerBytes)
      if (header.height === cut - 1) tip = { hash: sha256(form.headerBytes), timestamp: header.timestamp }
      if (before.size === affected.size) break
      const payload = await payloadOf(ctx, form)
      if (payload == null) {
        sawPruned = true
        break
      }
      const entries = parsePayload(payload)
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i]
        if (!affected.has(e.key) || before.has(e.key)) continue
        before.set(e.key, e.op === 'PUT' ? { height: header.height, valueOffset: e.valueOffset, valueLength: e.valueLength } : { height: header.height, valueOffset: TOMBSTONE_OFFSET, valueLength: TOMBSTONE_OFFSET })
      }
    }
  } finally {
    await below.close()
  }

  const batch = ctx.db.batch()
  let bytes = meta.bytes
  let payloadBytes = meta.payloadBytes
  let prunedBlocks = meta.prunedBlocks
  for await (const { height, form } of ctx.forms(chainId, cut, meta.height)) {
    batch.del(ctx.keys.block(chainId, height))
    batch.del(ctx.keys.hash(chainId, sha256(form.headerBytes)))
    const held = form.pruned ? 0 : BlockHeader.decode(form.headerBytes).payloadBytes
    bytes -= form.headerBytes.byteLength + HASH_BYTES + held
    payloadBytes -= held
    if (form.pruned) prunedBlocks--
  }
  for (const key of affected) {
    const pointer = before.get(key)
    if (pointer != null) batch.put(ctx.keys.state(chainId, key), pointerBytes(pointer.height, pointer.valueOffset, pointer.valueLength))
    // not found above the newest pruned block: unknown; found in no block at all: absent
    else if (sawPruned) batch.put(ctx.keys.state(chainId, key), pointerBytes(cut - 1, UNKNOWN_OFFSET, UNKNOWN_OFFSET))
    else batch.del(ctx.keys.state(chainId, key))
  }
  // segments after the one the lost entry is in hold only cut blocks
  for (const segment of log.segments) if (segment > at.segment) batch.del(ctx.keys.segment(chainId, segment))
  log.segments = log.segments.filter(s => s <= at.segment)
  log.writeSegment = at.segment
  log.writeEnd = at.offset
  const next: ChainMeta = {
    ...meta,
    height: cut - 1,
    tipHash: tip.hash.slice(),
    tipTimestamp: tip.timestamp,
    bytes,
    payloadBytes,
    prunedBlocks,
    pruneFrom: Math.min(meta.pruneFrom, cut)
  }
  // the meta goes in the same batch: open() must never find a tip whose records are gone
  batch.put(ctx.keys.meta(chainId), ctx.encodeMeta(next))
  await batch.write({ sync: true })
  return next
}
