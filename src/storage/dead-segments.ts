/**
 * Deleting a chain's dead payload segments (segments.ts) for the LevelDB
 * chain store (level.ts): those whose every block lies below the retention
 * watermark, each pruned or pinned, and those whose pruned entries fill all
 * but a small share of the file.
 */
import type { BatchOp, BinaryLevel } from './database.ts'
import type { ChainMeta } from './base.ts'
import type { ChainKeys } from './keys.ts'
import { entryRecord } from './records.ts'
import type { StoredForm } from './records.ts'
import { isMissing } from './segments.ts'
import type { Segments } from './segments.ts'
import type { FileHolds } from './file-holds.ts'
import type { ChainLog } from './level-log.ts'

/** What deleting dead segments needs of the store. */
export interface DeadSegmentsContext {
  db: BinaryLevel
  keys: ChainKeys
  segments: Segments
  holds: FileHolds
  forms: (chainId: string, from: number, to: number) => AsyncIterable<{ height: number, form: StoredForm }>
}

/**
 * A segment whose payloads still held (blocks above the watermark, pinned
 * ones) take at most this share of its file goes too, its payloads moved
 * into their records first. A segment holds up to 64 MiB: one whose blocks
 * were all pruned but the newest — or one dated ahead of the clock, kept
 * until its date — kept the whole file on disk while the store counted that
 * one block (a probe, 2026-12-03). Each payload moves at most once, and only
 * with three times its bytes freed, so moving costs a bounded share of what
 * it frees.
 */
export const LIVE_SHARE = 0.25

/**
 * Deletes the segments whose every block lies below the retention watermark
 * (each pruned or pinned). The last one too once every block of the chain
 * is: the next append starts a new segment. (It used to stay for appends,
 * so a copy that fitted in one segment freed no disk when pruned whole.)
 * Also the first one that is mostly pruned (LIVE_SHARE). `log` is moved on
 * in place.
 */
export async function dropDeadSegments (ctx: DeadSegmentsContext, chainId: string, log: ChainLog | undefined, meta: ChainMeta | undefined): Promise<void> {
  if (log == null || meta == null) return
  while (log.segments.length > 0) {
    const last = log.segments.length === 1
    // the segment's blocks: from its first height to the next segment's, or to the tip
    const end = last ? meta.height : log.segments[1] - 1
    const segment = log.segments[0]
    if (end >= meta.pruneFrom && !await mostlyPruned(ctx, chainId, log, segment, meta.pruneFrom)) break
    const ops: BatchOp[] = []
    // pinned blocks, and those above the watermark, keep their payload: it moves into the record first
    for await (const { height, form } of ctx.forms(chainId, segment, end)) {
      const at = form.location
      if (form.pruned || at == null || at.fileId !== log.fileId || at.segment !== segment) continue
      const record = entryRecord(await ctx.segments.read(at.fileId, at.segment, at.offset, at.length))
      ops.push({ type: 'put', key: ctx.keys.block(chainId, height), value: record.slice() })
    }
    ops.push({ type: 'del', key: ctx.keys.segment(chainId, segment) })
    await ctx.db.batch(ops, { sync: true })
    log.segments.shift()
    log.dead.delete(segment)
    log.dirty = log.dirty.filter(d => d !== segment)
    if (segment === log.writeSegment) {
      log.writeSegment = 0
      log.writeEnd = 0
    }
    // a read that found the record located there before this prune still
    // reads the file: it goes once that read ends (a crash meanwhile
    // leaves a file no record lists, which open() deletes)
    await ctx.holds.remove(log.fileId, segment)
  }
}

/**
 * Whether the chain's pruned entries fill the segment but for LIVE_SHARE of
 * it. Its pruned bytes are counted from the records below the watermark the
 * first time (the segment's blocks above it are the ones still held), then
 * kept up to date by each prune (LevelChainStore.commitPrune), so a run
 * pruning a segment in many batches reads its records once.
 */
async function mostlyPruned (ctx: DeadSegmentsContext, chainId: string, log: ChainLog, segment: number, pruneFrom: number): Promise<boolean> {
  let dead = log.dead.get(segment)
  if (dead == null) {
    // nothing of it below the watermark: nothing of it counted yet
    if (pruneFrom <= segment) return false
    dead = 0
    for await (const { form } of ctx.forms(chainId, segment, pruneFrom - 1)) {
      const at = form.location
      if (form.pruned && at != null && at.fileId === log.fileId && at.segment === segment) dead += at.length
    }
    log.dead.set(segment, dead)
  }
  if (dead === 0) return false
  // the last segment's file may hold bytes past its last referenced entry (open() cuts them)
  // a listed segment no longer on disk is left to what finds it (open() and reads say so)
  const size = segment === log.writeSegment ? log.writeEnd : await ctx.segments.size(log.fileId, segment).catch((err) => { if (isMissing(err)) return 0; throw err })
  return size > 0 && size - dead <= LIVE_SHARE * size
}
