/**
 * Raft's CheckQuorum for an elected leader: one that has not heard from a
 * majority of its booth for a whole window steps down.
 *
 * A leader cut off in a minority cannot commit anything (safety never
 * depended on this), but without the check it would go on calling itself
 * the leader: `/status` would name it, writes sent to it would wait for
 * their timeout instead of failing at once, and it would refuse other
 * candidates' prepares (leader stickiness) if it could reach them. Booth
 * members acknowledge every heartbeat of an elected chain, so a live booth
 * is heard at least every heartbeat; any message at the leader's ballot
 * (accepted, promise, heartbeatAck) counts.
 *
 * A fixed proposer (a vehicle's own chain) never steps down: nobody else
 * can lead its chain, so there is nobody to make way for.
 */
import { hasMajority } from './booth.ts'

export class QuorumCheck {
  private readonly window: number
  private readonly self: string
  /** Ticks led so far, and the tick each peer was last heard at. */
  private ticks = 0
  private readonly lastHeard = new Map<string, number>()

  /** `window` ticks: the leader counts as having heard everyone when it took over. */
  constructor (self: string, window: number) {
    this.self = self
    this.window = window
  }

  heard (from: string): void {
    this.lastHeard.set(from, this.ticks)
  }

  tick (): void {
    this.ticks++
  }

  /** True once no booth in `booths` had a majority (this node included) heard within the window. */
  lost (booths: ReadonlyArray<readonly string[]>): boolean {
    if (this.ticks < this.window) return false
    const since = this.ticks - this.window
    const alive = new Set<string>([this.self])
    for (const [id, at] of this.lastHeard) {
      if (at > since) alive.add(id)
    }
    return !booths.some(b => hasMajority(b, alive))
  }
}
