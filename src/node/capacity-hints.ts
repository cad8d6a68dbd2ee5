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

export class CapacityHints {
  private readonly hints = new Map<string, CapacityHint>()
  private source?: () => Promise<CapacityHint>

  /** What we advertise about our storage (set once the storage layer exists). */
  setSource (source: () => Promise<CapacityHint>): void {
    this.source = source
  }

  /** Our figures, for peer exchange to advertise (none until a source is set). */
  async ours (): Promise<CapacityHint | undefined> {
    return await this.source?.()
  }

  /** A member advertised its own figures. */
  heard (peerId: PeerId, hint: CapacityHint): void {
    setBounded(this.hints, peerId.toString(), hint, MAX_CAPACITY_HINTS)
  }

  /** The storage figures a member last advertised, if any. */
  of (peerId: string): CapacityHint | undefined {
    return this.hints.get(peerId)
  }

  /** A member forgotten: its figures go with it. */
  forget (peerId: string): void {
    this.hints.delete(peerId)
  }
}
