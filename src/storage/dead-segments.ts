/**
 * Deleting a chain's dead payload segments (segments.ts) for the LevelDB
 * chain store (level.ts): those whose every block lies below the retention
 * watermark, each pruned or pinned.
 */
import type { BatchOp, BinaryLevel } from './database.ts'
import type { ChainMeta } from './base.ts'
import type { ChainKeys } from './keys.ts'
import { entryRecord } from './records.ts'
import type { StoredForm } from './records.ts'
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
 * Deletes the segments whose every block lies below the retention watermark
 * (each pruned or pinned). The last one too once every block of the chain
 * is: the next append starts a new segment. (It used to stay for appends,
 * so a copy that fitted in one segment freed no disk when pruned whole.)
 * `log` is moved on in place.
 */
export async function dropDeadSegments (ctx: DeadSegmentsContext, chainId: string, log: ChainLog | undefined, meta: ChainMeta | undefined): Promise<void> {
  if (log == null || meta == null) return
  while (log.segments.length > 0) {
    const last = log.segments.length === 1
    // the segment's blocks: from its first height to the next segment's, or to the tip
    const end = last ? meta.height : log.segments[1] - 1
    if (end >= meta.pruneFrom) break
    const segment = log.segments[0]
    const ops: BatchOp[] = []
    // pinned blocks keep their payload: it moves into the record first
    for await (const { height, form } of ctx.forms(chainId, segment, end)) {
      const at = form.location
      if (form.pruned || at == null || at.fileId !== log.fileId || at.segment !== segment) continue
      const record = entryRecord(await ctx.segments.read(at.fileId, at.segment, at.offset, at.length))
      ops.push({ type: 'put', key: ctx.keys.block(chainId, height), value: record.slice() })
    }
    ops.push({ type: 'del', key: ctx.keys.segment(chainId, segment) })
    await ctx.db.batch(ops, { sync: true })
    log.segments.shift()
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
