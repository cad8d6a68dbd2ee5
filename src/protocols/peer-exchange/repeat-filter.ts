/**
 * Which periodic announcements are worth sending. Every change of what we
 * would announce (a member comes or goes, our storage figures move) is sent
 * at once by scheduleAnnounce; the periodic round only repeats our view for
 * whoever missed it. Repeating an unchanged view every round cost every
 * vehicle of an idle swarm a gossip message from each of the others every
 * 10 s, to no one's use: an unchanged view is repeated only every refreshMs.
 */
import { equals } from 'uint8arrays/equals'

export class RepeatFilter {
  private last?: Uint8Array
  private lastAt = Number.NEGATIVE_INFINITY

  constructor (private readonly refreshMs: number) {}

  /** Whether a periodic round sends `announcement` at `now` (ms). */
  worthSending (announcement: Uint8Array, now: number): boolean {
    return this.last == null || !equals(this.last, announcement) || now - this.lastAt >= this.refreshMs
  }

  /** `announcement` went out at `now` (ms), periodic or not. */
  sent (announcement: Uint8Array, now: number): void {
    this.last = announcement
    this.lastAt = now
  }
}
