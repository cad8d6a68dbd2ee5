/**
 * Bytes of the decided values a replica's consensus log holds in memory.
 *
 * The log keeps every decided value until the slot is compacted (for
 * laggards, and a member for a vehicle that may lose its database), and a
 * compaction counted only slots: 320 slots of 4 MiB blocks held 1.3 GiB of
 * a proposer's memory (a probe: 1 MiB blocks, +1 MiB of array buffers per
 * write until the 320th). Counting bytes as well lets the replica compact
 * by either.
 */
import type { Decided } from '../consensus/index.ts'

export class HeldValues {
  /** Decided data values above the compaction point, in slot order. */
  private readonly held: Array<{ slot: number, bytes: number }> = []
  private sum = 0

  /** Bytes held above the compaction point. */
  get bytes (): number {
    return this.sum
  }

  /** Decided values a Ready handed out (in slot order; one seen before is not counted twice). */
  note (decided: readonly Decided[]): void {
    for (const d of decided) {
      if (d.value.kind !== 'data') continue
      const last = this.held[this.held.length - 1]
      if (last != null && d.slot <= last.slot) continue
      this.held.push({ slot: d.slot, bytes: d.value.data.byteLength })
      this.sum += d.value.data.byteLength
    }
  }

  /** The log was compacted up to `slot`: those values left memory. */
  dropTo (slot: number): void {
    let n = 0
    while (n < this.held.length && this.held[n].slot <= slot) this.sum -= this.held[n++].bytes
    if (n > 0) this.held.splice(0, n)
  }

  /** Bytes of the values in slots (from, to]. */
  between (from: number, to: number): number {
    let n = 0
    for (const h of this.held) {
      if (h.slot > to) break
      if (h.slot > from) n += h.bytes
    }
    return n
  }

  /**
   * The lowest slot a compaction may stop at so that the values kept in
   * (slot, upTo] come to `budget` bytes at most (`floor` when they already
   * do): compacting there keeps the newest values that fit.
   */
  keepWithin (upTo: number, budget: number, floor: number): number {
    if (this.sum <= budget) return floor
    let kept = 0
    for (let i = this.held.length - 1; i >= 0; i--) {
      const h = this.held[i]
      if (h.slot > upTo) continue
      kept += h.bytes
      if (kept > budget) return Math.max(floor, h.slot)
    }
    return floor
  }
}
