/**
 * Where a chain's payload segments stand (segments.ts), as the LevelDB chain
 * store (level.ts) keeps it in memory, and the chain meta record that carries
 * it to disk with the tip and counters (open() goes on from there:
 * level-open.ts).
 */
import { ChainMeta as PbChainMeta } from './pb/store.ts'
import type { ChainMeta } from './base.ts'

/** Where a chain's payload segments stand. */
export interface ChainLog {
  fileId: number
  /** Segments listed in LevelDB, by first height (ascending). */
  segments: number[]
  /** The last segment, and where its last referenced entry ends. */
  writeSegment: number
  writeEnd: number
  /** Every payload in a segment up to this height is known flushed (fdatasync). */
  durable: number
  /** Segments written since they were last flushed. */
  dirty: number[]
  /** Bytes written since a flush was last started (in the background or not). */
  unflushed: number
  /**
   * Pruned entries' bytes per segment, counted once a segment is partly
   * pruned (dead-segments.ts); in memory, shared by the log's copies (an
   * append's takeBack prunes nothing).
   */
  dead: Map<number, number>
}

/** A chain's log before its first segment: no segment payload exists at or below `durable` (the chain's height). */
export function emptyLog (fileId: number, durable = 0): ChainLog {
  return { fileId, segments: [], writeSegment: 0, writeEnd: 0, durable, dirty: [], unflushed: 0, dead: new Map() }
}

/** A delete's durable mark: what open() must finish after a crash. */
export interface Deleting {
  keepPins: boolean
}

/** The chain meta as stored: the meta, the chain's log, and a delete's mark if one is under way. */
export function metaRecord (meta: ChainMeta, log: ChainLog | undefined, deleting?: Deleting): Uint8Array {
  return PbChainMeta.encode({
    ...meta,
    tipHash: meta.tipHash as Uint8Array<ArrayBuffer>,
    deleting: deleting != null,
    deletingKeepsPins: deleting?.keepPins === true,
    fileId: log?.fileId ?? 0,
    logSegment: log?.writeSegment ?? 0,
    logEnd: log?.writeEnd ?? 0,
    durableHeight: log?.durable ?? 0
  })
}
