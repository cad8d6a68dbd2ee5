/**
 * The peering's memory of peers refused, either way: those we refused
 * (identify judged them of another network, or the gater found them off the
 * allow list), counted by why, and bootstrap peers that keep hanging up on us
 * before identify (their allow list leaves us out), dialled less often.
 * Bookkeeping only; the peering says and does what follows (src/node/peering.ts).
 */
import { setBounded } from './bounded.ts'
import type { PeerRejectedCode } from './events.ts'

/**
 * Peers refused (another network, not allowed) remembered at most, the oldest
 * forgotten first: one forgotten and met again is identified and refused again.
 */
export const MAX_DENIED = 4_096

/**
 * How long a peer identify refused (another network, not a vguard-node) is not
 * dialled by us. Not for good, and not at the connection gater: a vehicle
 * started with a mistyped --network, fixed and restarted (the same peer id)
 * was refused by everyone that had met it until they restarted, and was told
 * it is "likely not on their --allow list" (a review). Its connections are
 * let in and identified anew; this only spares redialling one that answers
 * from another network every reconnect interval.
 */
export const DENIED_FOR = 5 * 60_000
/**
 * A peer off the allow list is refused at the connection gater, before
 * identify (onIdentify never sees it): said there, once a minute at most per
 * peer (it redials every few seconds).
 */
const NOT_ALLOWED_REPORT_INTERVAL = 60_000

/** A bootstrap peer that hung up before identify this many times in a row is said to refuse us (peer:bootstrap-failed). */
export const HANG_UPS_SAID = 3

/** The longest wait between dials of a bootstrap peer that keeps hanging up before identify. */
const MAX_HANG_UP_BACKOFF = 60_000

export interface DeniedPeersInit {
  /** Refused peers remembered at most (MAX_DENIED in the node). */
  maxDenied: number
  /** How long (ms) a peer identify refused is not dialled (DENIED_FOR in the node). */
  deniedFor: number
  /** The reconnect loop's interval (ms): the first step of a hang-up backoff. */
  reconnectInterval: number
}

export class DeniedPeers {
  /** Peers identify refused, and until when (performance.now()) we do not dial them (see DENIED_FOR). */
  private readonly denied = new Map<string, number>()
  /** Peers off the allow list the gater refused, with when (performance.now()) that was last said (bounded by maxDenied). */
  private readonly notAllowedSaid = new Map<string, number>()
  /** Refusals by why, each counted, said or not (vguard_peers_rejected_total). */
  private readonly refusals: Record<PeerRejectedCode, number> = { 'not-vguard-node': 0, 'other-network': 0, 'not-allowed': 0 }
  /**
   * Bootstrap peers that hung up on us before identify, so many times in a
   * row, and when to dial them next. A peer whose allow list leaves us out
   * says nothing: its connection gater closes the connection once it is set
   * up, and our dial counts as a success. We redialled it every reconnect
   * interval for good (a probe: 62 connections in 30 s, each a full
   * handshake for the member), and nothing told the operator why.
   */
  private readonly hangUps = new Map<string, { times: number, nextAt: number }>()
  private readonly maxDenied: number
  private readonly deniedFor: number
  private readonly reconnectInterval: number

  constructor (init: DeniedPeersInit) {
    this.maxDenied = init.maxDenied
    this.deniedFor = init.deniedFor
    this.reconnectInterval = init.reconnectInterval
  }

  /** Whether identify refused the peer within the last deniedFor ms (an expired refusal is forgotten). */
  has (id: string): boolean {
    const until = this.denied.get(id)
    if (until == null) return false
    if (until > performance.now()) return true
    this.denied.delete(id)
    return false
  }

  /** Leaves a peer undialled for deniedFor ms; the oldest refusal is forgotten past maxDenied. */
  add (id: string): void {
    setBounded(this.denied, id, performance.now() + this.deniedFor, this.maxDenied)
  }

  /** A peer identify found a member (once of another network, now of ours: a typo fixed): dialled again like any member. */
  forgive (id: string): void {
    this.denied.delete(id)
    this.hangUps.delete(id)
  }

  /** Counts a refusal identify made (vguard_peers_rejected_total), said or not. */
  count (code: PeerRejectedCode): void {
    this.refusals[code]++
  }

  /**
   * The gater refused a peer off the allow list: whether that is a refusal to
   * count and say, the first in NOT_ALLOWED_REPORT_INTERVAL for that peer
   * (counted here if so).
   */
  notAllowed (id: string): boolean {
    // monotonic: a wall clock stepped back by an hour held a peer's reports for that hour
    const now = performance.now()
    const said = this.notAllowedSaid.get(id)
    if (said != null && now - said < NOT_ALLOWED_REPORT_INTERVAL) return false
    setBounded(this.notAllowedSaid, id, now, this.maxDenied)
    // a peer's redials (every few seconds) are one refusal a minute
    this.refusals['not-allowed']++
    return true
  }

  /** Refusals so far, by why. */
  counts (): Record<PeerRejectedCode, number> {
    return { ...this.refusals }
  }

  /** Whether a bootstrap peer that keeps hanging up before identify is still waiting out its backoff (not dialled). */
  backingOff (id: string): boolean {
    return (this.hangUps.get(id)?.nextAt ?? 0) > performance.now()
  }

  /**
   * A bootstrap peer hung up before identify: its next dial waits twice as
   * long as the last (MAX_HANG_UP_BACKOFF at most). True the HANG_UPS_SAID-th
   * time in a row, when it is said to refuse us.
   */
  hungUp (id: string): boolean {
    const entry = this.hangUps.get(id) ?? { times: 0, nextAt: 0 }
    entry.times++
    entry.nextAt = performance.now() + Math.min(MAX_HANG_UP_BACKOFF, this.reconnectInterval * 2 ** entry.times)
    this.hangUps.set(id, entry)
    return entry.times === HANG_UPS_SAID
  }
}
