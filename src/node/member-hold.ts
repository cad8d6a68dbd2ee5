import { MEMBER_HOLD_BYTES, MEMBER_HOLD_SLOTS } from './paxos-constants.ts'
import type { HeldValues } from './held-values.ts'

/** A slot of a chain and where the chain stood after it (height, block hash). */
export interface HoldPoint {
  slot: number
  height: number
  hash: Uint8Array
}

/** How a member's meta must be written after the loop noted something of its vehicle. */
export type HoldSave = 'synced' | 'unsynced'

/** Chain points a member keeps of what its vehicle named (the newest few: one is enough to compact at). */
const POINTS_KEPT = 64

/**
 * What a booth member keeps of a vehicle's chain *for the vehicle*: the
 * chain points the vehicle named with its accepts and heartbeats, and how far
 * it said its backups hold the chain (`ChainMessage.held`).
 *
 * What no backup of the vehicle holds (the blocks decided since its last
 * round that refreshed one) is in its booth's logs only, so a member keeps
 * its log above the held height: a vehicle that lost its database gets those
 * blocks back (phase 1) after fetching the rest from its backups. A member
 * compacts only at a point it can name (height and hash), so the snapshot it
 * answers with says where the chain stood. Both survive a restart through
 * the replica's meta (`toMeta`, `restored`): a restart retires the chain and
 * must not compact them away either.
 *
 * Pure bookkeeping: the replica decides when to save and compact.
 */
export class MemberHold {
  private points: HoldPoint[] = []
  private pointSaved = false
  private held?: number
  private heldSaved = true

  /** From a member's saved meta. */
  static restored (point: HoldPoint | undefined, held: number | undefined): MemberHold {
    const hold = new MemberHold()
    if (point != null) {
      hold.points = [point]
      hold.pointSaved = true
    }
    hold.held = held
    return hold
  }

  /**
   * A point the vehicle named. True when the loop must run to save it: the
   * first one is saved at once, as that the vehicle names points at all must
   * survive a restart (see `compactFrom`).
   */
  notePoint (at: HoldPoint): boolean {
    const last = this.points[this.points.length - 1]
    if (last != null && at.slot <= last.slot) return false
    this.points.push({ slot: at.slot, height: at.height, hash: at.hash })
    if (this.points.length > POINTS_KEPT) this.points.shift()
    return !this.pointSaved
  }

  /** How far the vehicle's backups hold its chain. True when the loop must run to save it. */
  noteHeld (held: number): boolean {
    if (held === this.held) return false
    this.held = held
    // saved (unsynced: an older value lost keeps more) only while the backups lag what the vehicle
    // named: otherwise nothing is held back, and a write per round would be for nothing
    const newest = this.points[this.points.length - 1]
    if (newest != null && held >= newest.height) return false
    this.heldSaved = false
    return true
  }

  /** What the loop must write now (the first point synced, a held height not), marked written. */
  takeSave (): HoldSave | undefined {
    if (!this.pointSaved && this.points.length > 0) {
      this.pointSaved = true
      this.heldSaved = true
      return 'synced'
    }
    if (!this.heldSaved) {
      this.heldSaved = true
      return 'unsynced'
    }
    return undefined
  }

  /** Whether the vehicle ever named a point here (this run or before a restart). */
  namesPoints (): boolean {
    return this.pointSaved || this.points.length > 0
  }

  /**
   * The newest chain point known at or below `commit`: one the vehicle
   * named, or the one the log is compacted at. A promise carries it, and the
   * vehicle compares it with where its own chain stood there: the values a
   * promise shows may not tell a lost history (compacted away, or the same
   * no-op or booth at the slot compared).
   */
  newestUpTo (commit: number, compactPoint: HoldPoint | undefined): HoldPoint | undefined {
    let best = compactPoint != null && compactPoint.slot <= commit ? compactPoint : undefined
    for (const p of this.points) if (p.slot <= commit && (best == null || p.slot > best.slot)) best = p
    return best
  }

  /** What the meta keeps: the newest point and the held height. */
  toMeta (): { point?: HoldPoint, held?: number } {
    return { point: this.points[this.points.length - 1], held: this.held }
  }

  /**
   * The highest slot a member may compact to: one whose chain point it knows
   * at a height the vehicle's backups hold, or anything up to `upTo` when the
   * vehicle never said (older software, no backups), or when the log above the
   * held point passed MEMBER_HOLD_SLOTS (a bound on what a member keeps for a
   * vehicle whose backups stay away: past it, what only the booth held is
   * given up, as before), or its values MEMBER_HOLD_BYTES. `gaveUp` says
   * which, for the log.
   */
  limit (upTo: number, compacted: number, compactPoint: HoldPoint | undefined, values: HeldValues): { slot: number, gaveUp?: { slots: number, bytes: number, held: number } } {
    const held = this.held
    if (held == null) return { slot: upTo }
    // run on every loop of a member whose log is held back: no list built for it
    const heldAt = (p: HoldPoint | undefined, limit: number): number => p != null && p.height <= held && p.slot <= upTo && p.slot > limit ? p.slot : limit
    let limit = heldAt(compactPoint, compacted)
    for (const p of this.points) limit = heldAt(p, limit)
    // the bytes are counted only once the log could hold that many at all
    const bytes = values.bytes > MEMBER_HOLD_BYTES ? values.between(limit, upTo) : 0
    if (upTo - limit > MEMBER_HOLD_SLOTS || bytes > MEMBER_HOLD_BYTES) return { slot: upTo, gaveUp: { slots: upTo - limit, bytes, held } }
    return { slot: limit }
  }

  /**
   * The point to roll forward from when compacting (compacted, upTo]: the
   * newest the vehicle named in it, else the one the member compacted at
   * last. 'wait' when there is none but the vehicle names points (it names
   * newer ones as it goes on: compacted past where we can name the chain, our
   * snapshot would name none, and a vehicle that lost its chain could never
   * get it back); 'unnamed' when it never did (older software): compact
   * without a point.
   */
  compactFrom (compacted: number, upTo: number, compactPoint: HoldPoint | undefined): HoldPoint | 'wait' | 'unnamed' {
    let from: HoldPoint | undefined = compactPoint?.slot === compacted ? compactPoint : undefined
    for (const p of this.points) if (p.slot >= compacted && p.slot <= upTo && (from == null || p.slot > from.slot)) from = p
    if (from != null) return from
    return compactPoint != null || this.namesPoints() ? 'wait' : 'unnamed'
  }

  /** The log was compacted to `slot`: points at or below it are of no more use. */
  compactedTo (slot: number): void {
    this.points = this.points.filter(p => p.slot > slot)
  }
}
