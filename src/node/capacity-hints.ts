/**
 * Storage figures: ours, as peer exchange advertises them, and those members
 * advertised of themselves, bounded. Peer exchange carries them; the
 * peering forgets a member's with the member (src/node/peering.ts).
 */
import type { PeerId } from '@libp2p/interface'
import type { CapacityHint } from '../protocols/peer-exchange/index.ts'
import { setBounded } from './bounded.ts'

/**
 * Storage figures kept at most: one per vehicle that announced its own (peer
 * exchange relays the announcements of vehicles further away, and a member
 * can sign announcements with keys it makes up).
 */
export const MAX_CAPACITY_HINTS = 4_096

/** A member's figures, with the sequence number of the gossip message that brought them (none: a direct view). */
interface HeardHint {
  hint: CapacityHint
  sequence?: bigint
}

export class CapacityHints {
  private readonly hints = new Map<string, HeardHint>()
  private source?: () => Promise<CapacityHint>

  /** What we advertise about our storage (set once the storage layer exists). */
  setSource (source: () => Promise<CapacityHint>): void {
    this.source = source
  }

  /** Our figures, for peer exchange to advertise (none until a source is set). */
  async ours (): Promise<CapacityHint | undefined> {
    return await this.source?.()
  }

  /**
   * A member advertised its own figures. By gossip, only a message newer
   * than the one they came by counts: gossipsub drops a duplicate for two
   * minutes only (and one it never saw, not at all), so a member could
   * replay a vehicle's older signed view and bring back figures it had
   * replaced, full taken for empty (a probe, 2026-12-03). A publisher's
   * sequence numbers grow (gossipsub seeds them from the wall clock at
   * start). A direct view comes from the vehicle itself at each new
   * connection: taken, and gossip is ordered afresh after it (a vehicle
   * restarted with its clock set back is heard at once).
   */
  heard (peerId: PeerId, hint: CapacityHint, sequence?: bigint): void {
    const id = peerId.toString()
    const known = this.hints.get(id)?.sequence
    if (sequence != null && known != null && sequence <= known) return
    setBounded(this.hints, id, { hint, sequence }, MAX_CAPACITY_HINTS)
  }

  /** The storage figures a member last advertised, if any. */
  of (peerId: string): CapacityHint | undefined {
    return this.hints.get(peerId)?.hint
  }

  /** A member forgotten: its figures go with it. */
  forget (peerId: string): void {
    this.hints.delete(peerId)
  }
}
