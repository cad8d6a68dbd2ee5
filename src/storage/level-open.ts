/**
 * What open() of the LevelDB chain store (level.ts) reads and repairs, chain
 * by chain: the chain's segment log as LevelDB lists it, its meta rolled
 * forward over the records written after it, segment bytes no record
 * references cut off, and payloads that may be unflushed checked (cut where
 * one fails: recovery.ts).
 */
import { readVarint } from '../chain/index.ts'
import type { BinaryLevel } from './database.ts'
import { blockBytes } from './base.ts'
import type { ChainMeta } from './base.ts'
import { TYPE_BLOCK, prefixEnd } from './keys.ts'
import type { ChainKeys } from './keys.ts'
import { parseStored, storedBlock } from './records.ts'
import { isMissing } from './segments.ts'
import type { Segments } from './segments.ts'
import { cutTail, intactEntry } from './recovery.ts'
import type { TailContext } from './recovery.ts'
import { plain } from './level-bytes.ts'
import { emptyLog } from './level-log.ts'
import type { ChainLog } from './level-log.ts'

/** The LevelDB records open() reads. */
export interface OpenSource {
  db: BinaryLevel
  keys: ChainKeys
}

/** The chain's segments as LevelDB lists them, and where the meta last saw them end. */
export async function loadLog (source: OpenSource, chainId: string, fileId: number, logSegment: number, logEnd: number, durable: number): Promise<ChainLog> {
  const segments: number[] = []
  let id = fileId
  for await (const [key, value] of source.db.iterator(source.keys.segmentsRange(chainId))) {
    segments.push(source.keys.segmentOf(chainId, plain(key)))
    // the meta may predate the chain's first segment: the segment keys name the directory too
    id = readVarint(plain(value), 0)?.[0] ?? id
  }
  const writeSegment = segments[segments.length - 1] ?? 0
  // A segment is named by the first height it holds, and a block below the first listed one
  // holds its payload inline (or pruned): nothing below can be unflushed. A meta written before
  // the chain's first segment says durable 0, and open() after a crash read the whole (inline)
  // history of such a chain to check it (a review).
  const belowSegments = segments.length > 0 ? segments[0] - 1 : 0
  return { ...emptyLog(id), segments, writeSegment, writeEnd: writeSegment !== 0 && writeSegment === logSegment ? logEnd : 0, durable: Math.max(durable, belowSegments) }
}

/**
 * Brings a meta read from disk up to the last block record: blocks appended
 * after the meta was last written. Each record went in with its state and
 * hash index in one batch, so the records on disk always form a consistent
 * prefix of the chain, and the meta follows from them. Located records also
 * tell where the chain's last segment ends.
 */
export async function rollForward (source: OpenSource, meta: ChainMeta, log: ChainLog): Promise<ChainMeta> {
  let m = meta
  const end = prefixEnd(source.keys.chainPrefix(TYPE_BLOCK, meta.chainId))
  for await (const value of source.db.values({ gte: source.keys.block(meta.chainId, meta.height + 1), lt: end })) {
    const form = parseStored(plain(value))
    const block = storedBlock(form.headerBytes)
    if (block.header.height !== m.height + 1) break
    if (form.location != null && form.location.segment === log.writeSegment) {
      log.writeEnd = Math.max(log.writeEnd, form.location.offset + form.location.length)
    }
    const payloadBytes = form.pruned ? 0 : block.header.payloadBytes
    m = {
      ...m,
      height: block.header.height,
      tipHash: block.hash.slice(),
      bytes: m.bytes + blockBytes(block) + payloadBytes,
      payloadBytes: m.payloadBytes + payloadBytes,
      tipTimestamp: block.header.timestamp
    }
  }
  return m
}

/**
 * Files no record references are what a crash left between writing a
 * segment and the batch that would have referenced it: they go. The last
 * segment is cut after its last referenced entry.
 */
export async function recoverSegments (segments: Segments, logs: Iterable<ChainLog>): Promise<void> {
  const live = new Map<number, ChainLog>()
  for (const log of logs) live.set(log.fileId, log)
  for (const fileId of await segments.fileIds()) {
    const log = live.get(fileId)
    if (log == null) {
      await segments.removeChain(fileId)
      continue
    }
    for (const segment of await segments.segmentsOf(fileId)) {
      if (!log.segments.includes(segment)) await segments.remove(fileId, segment)
    }
    if (log.writeSegment !== 0) await segments.truncate(log.fileId, log.writeSegment, log.writeEnd)
  }
}

/**
 * A payload above the durable height was written without a flush (sync
 * false), and the batch that references it may have reached the disk when
 * it did not (a machine crash; a process crash loses neither). Each is
 * checked against its header; the chain is cut before the first that does
 * not verify (recovery.ts), the rest is flushed and counted durable.
 * `ctx` encodes the meta with `log`; `persisted` learns the height of the
 * meta this writes.
 */
export async function checkUnflushed (ctx: TailContext, meta: ChainMeta, log: ChainLog, persisted: (chainId: string, height: number) => void): Promise<ChainMeta> {
  if (log.durable >= meta.height) return meta
  let checked = meta
  for await (const { height, form } of ctx.forms(meta.chainId, log.durable + 1, meta.height)) {
    if (form.pruned || form.location == null) continue
    if (!await intactEntry(ctx.segments, form)) {
      checked = await cutTail(ctx, checked, log, height, form.location)
      break
    }
  }
  // verified bytes may still sit only in the page cache (a process crash): flush them before counting them durable
  for (const segment of log.segments) {
    // a listed segment no longer on disk holds nothing to flush; any other failure must stop the open
    await ctx.segments.sync(log.fileId, segment).catch((err) => { if (!isMissing(err)) throw err })
  }
  log.durable = checked.height
  await ctx.db.put(ctx.keys.meta(checked.chainId), ctx.encodeMeta(checked))
  persisted(checked.chainId, checked.height)
  return checked
}
