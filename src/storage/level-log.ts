/**
 * Where a chain's payload segments stand (segments.ts), as the LevelDB chain
 * store (level.ts) keeps it in memory: the meta on disk says the same, up to
 * where a crash cut it (level-open.ts).
 */

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
}

/** A chain's log before its first segment: no segment payload exists at or below `durable` (the chain's height). */
export function emptyLog (fileId: number, durable = 0): ChainLog {
  return { fileId, segments: [], writeSegment: 0, writeEnd: 0, durable, dirty: [], unflushed: 0 }
}
