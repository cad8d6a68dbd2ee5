/**
 * When to dial a member again that we lost, and when to give up on it.
 *
 * Vehicles pass by: a node meets hundreds over a day and most never come
 * back. Redialling every one of them every reconnect interval forever would
 * be a growing dial storm (a TCP connect, or an ARP timeout, per vehicle ever
 * met, every 2 s). So the first few redials keep the interval (a restart or
 * a short outage reconnects at once), later ones back off up to 16 intervals
 * apart, and a member unreachable for `forgetAfter` is forgotten. It is not
 * lost for good: mDNS, peer exchange or its own dial bring it back.
 */

/** Redials at the plain interval before backing off. */
const PROMPT_ATTEMPTS = 3
/** The longest wait between redials, in reconnect intervals. */
const MAX_BACKOFF = 16
/** A member unreachable this long (ms) is forgotten. */
export const LOST_MEMBER_FORGET_AFTER = 10 * 60_000

interface Lost {
  since: number
  attempts: number
  next: number
}

export class LostMembers {
  private readonly lost = new Map<string, Lost>()
  private readonly interval: number
  private readonly forgetAfter: number

  constructor (interval: number, forgetAfter = LOST_MEMBER_FORGET_AFTER) {
    this.interval = interval
    this.forgetAfter = forgetAfter
  }

  /** Nothing to redial: the member is connected again, or no longer a member. */
  found (id: string): void {
    this.lost.delete(id)
  }

  /**
   * A disconnected member at a reconnect round: `dial` when its turn came
   * (its schedule moves on), `forget` once it has been unreachable for
   * forgetAfter, else `wait`.
   */
  step (id: string, now: number): 'dial' | 'wait' | 'forget' {
    let lost = this.lost.get(id)
    if (lost == null) {
      lost = { since: now, attempts: 0, next: now }
      this.lost.set(id, lost)
    }
    if (now - lost.since >= this.forgetAfter) {
      this.lost.delete(id)
      return 'forget'
    }
    if (now < lost.next) return 'wait'
    lost.attempts++
    const factor = Math.min(2 ** Math.max(0, lost.attempts - PROMPT_ATTEMPTS), MAX_BACKOFF)
    // half an interval early: the round that should dial runs about one interval later, not after it
    lost.next = now + factor * this.interval - this.interval / 2
    return 'dial'
  }

  get size (): number {
    return this.lost.size
  }
}
