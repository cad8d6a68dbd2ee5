/**
 * Orphans: the data values ended leaderships of this node had in flight (or
 * recovered and queued), by slot. Each went to one slot only (phase 1
 * recovers every value at the slot it was accepted at, and a leadership
 * carries only values it never sent), so once its slot is decided its fate
 * is known: chosen there, or never. Their writers hear it then, instead of
 * waiting for their deadline to learn that the value may still commit (a
 * leader taken over just after it proposed kept its writes until then).
 */
import type { PaxosLog } from './log.ts'
import type { DroppedProposal } from './types.ts'

export class Orphans {
  private readonly bySlot = new Map<number, Set<string>>()

  /** Takes the values an ending leadership proposed, as [slot, id] pairs. */
  adopt (proposed: Iterable<[number, string]>): void {
    for (const [slot, id] of proposed) {
      let ids = this.bySlot.get(slot)
      if (ids == null) this.bySlot.set(slot, ids = new Set())
      ids.add(id)
    }
  }

  /**
   * The highest slot an orphan waits on (0: none). A node that does not
   * lead again asks the leader to fill up to it (heartbeatAck.fill): else,
   * with no write to take that slot, its writers waited out their deadline
   * (found by the simulation).
   */
  top (): number {
    let top = 0
    for (const slot of this.bySlot.keys()) top = Math.max(top, slot)
    return top
  }

  /**
   * Reports in `dropped` the orphans whose slot was decided with another
   * value (naming `leader`, when known, to forward a retry to), and forgets
   * those whose slot was decided with them. One whose slot this node learns
   * only through a snapshot (compacted, never seen decided) is reported
   * `unknown`: its fate is not known here, and nothing here would ever tell
   * it (its writers were held for good).
   */
  settle (log: PaxosLog, leader: string | undefined, dropped: DroppedProposal[]): void {
    for (const [slot, ids] of this.bySlot) {
      const e = log.get(slot)
      if (e?.decided === true) {
        this.bySlot.delete(slot)
        for (const id of ids) {
          if (e.value.kind === 'data' && e.value.id === id) continue
          dropped.push(leader != null ? { id, leader } : { id })
        }
      } else if (slot <= log.compacted) {
        this.bySlot.delete(slot)
        for (const id of ids) dropped.push({ id, unknown: true })
      }
    }
  }
}
