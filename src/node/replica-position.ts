/**
 * Where a replica's chain stands against its Paxos log. The replica's loop,
 * its applier, its snapshots and its compaction all read and move it, so it
 * is one object they share rather than four copies kept in step.
 */
import { positionAt } from './chain-points.ts'
import type { Cursor } from './replica-types.ts'

export class ReplicaPosition {
  /** The last applied slot, and the height and hash the chain reached there. */
  cursor: Cursor
  /** Where the chain stood at the slot the log is compacted to: the point our snapshots name. */
  compactPoint?: Cursor
  /** Cursors after recent DATA slots: where the chain stood at a slot we may compact to. */
  history: Cursor[]
  /** The last slot whose block the chain store holds (the cursor runs ahead of it while a run is written). */
  storedSlot: number

  constructor (cursor: Cursor, compactPoint?: Cursor) {
    this.cursor = cursor
    this.storedSlot = cursor.slot
    this.compactPoint = compactPoint
    this.history = [cursor]
  }

  /**
   * Notes where the chain stood at `slot` as the point our snapshots carry,
   * if the log may be compacted up to it (a snapshot installed there) and we
   * still know the position (see SnapshotInstaller.install).
   */
  pointAt (slot: number): void {
    if (this.compactPoint != null && this.compactPoint.slot >= slot) return
    const at = positionAt(this.history, slot)
    if (at != null) this.compactPoint = { slot, height: at.height, hash: at.hash }
  }
}
