/**
 * Reconciles with each member as it connects (a restarted node catches up as
 * its peers come back), and asks that member again, first a few times with
 * growing pauses, then at a steady slow pace, while it stays connected but
 * could not be read (no answer in time, a failed stream) or failed mid-fetch:
 * a loaded peer or a lossy moment should not leave a chain behind until the
 * next connection, which may never come while this one lasts. One chain of
 * asks per peer: a member that connects again starts it over. A peer that
 * served a block that does not verify, or that nothing vouches for, is not
 * asked again: it would only answer the same; nor one whose answer broke
 * the protocol (undecodable, or a frame it forbids), see FINAL. Nor is one that refused this
 * node for a lasting reason (it runs as two processes of our identity, as it
 * sees it) until it connects again; one that did not count us a member (its
 * identify of us may not have finished) is asked again as one not read.
 */
import type { Logger, PeerId } from '@libp2p/interface'
import type { ReconcileResult, Sync } from '../protocols/sync/index.ts'

/** Pauses before the asks after a failed one; then it asks every RECONCILE_STEADY_DELAY. */
export const RECONCILE_RETRY_DELAYS: readonly number[] = [1_000, 2_000, 4_000, 8_000]

/**
 * The pause between asks once those ran out. A peer still failing after 15 s
 * is loaded or broken: asked every 30 s it carries one reconcile per member
 * that lags behind it, and a node behind it catches up within 30 s of its
 * recovery rather than at its next connection.
 */
export const RECONCILE_STEADY_DELAY = 30_000

/**
 * Errors that asking the same peer again would only repeat: what it served
 * is a lie about blocks (InvalidBlockError: a block that does not verify, is
 * of another chain, or does not run on from the height asked), nothing
 * vouches for its blocks (NotVouchedError), or its answer broke the protocol
 * in a way no network fault produces: bytes that do not decode
 * (MalformedMessageError) or a well-formed answer the protocol forbids (an
 * InvalidMessageError: an empty frame before the last, blocks in the final
 * one, a frame over the size limit, an impossible tip). Until 2026-12-03 the last two were
 * asked again every 30 s for as long as the connection lasted (a review),
 * and a tip answer that was one of them was reported as `unreachable`, so
 * asked again the same (sync now lists it under `dropped`).
 * Not final: what a loaded or lossy peer does too — a timeout
 * (TimeoutError), too little sent (SlowPeerError), a stream reset or an
 * answer cut off (ProtocolError, AnswerCutOffError: both by name, though
 * AnswerCutOffError is an InvalidMessageError), an error status
 * (ProtocolError), or a chain it no longer holds (NotFoundError).
 */
const FINAL = new Set(['InvalidBlockError', 'NotVouchedError', 'MalformedMessageError', 'InvalidMessageError'])

export interface ReconcileOnConnectDeps {
  sync: Pick<Sync, 'reconcile'>
  /** Whether the peer is still a connected member (asked before each retry). */
  isConnected: (peer: PeerId) => boolean
  /**
   * Which chains held to catch up (default: every one). A node keeps some
   * copies only as temporary storage (what it validated in a booth): growing
   * them with every connection would make it a holder of chains it was never
   * asked to keep.
   */
  include?: (chainId: string) => boolean
  log: Logger
  delays?: readonly number[]
  /** The pause between asks once `delays` ran out (default RECONCILE_STEADY_DELAY). */
  steady?: number
}

/** A peer's asks, one at a time; the pause before the next one. */
interface Chain { timer?: ReturnType<typeof setTimeout> }

export class ReconcileOnConnect {
  private readonly d: ReconcileOnConnectDeps
  /** Each peer's chain of asks: another would double the asks of a loaded peer, and its timers. */
  private readonly chains = new Map<string, Chain>()
  private running = false

  constructor (deps: ReconcileOnConnectDeps) {
    this.d = deps
  }

  start (): void {
    this.running = true
  }

  stop (): void {
    this.running = false
    for (const chain of this.chains.values()) clearTimeout(chain.timer)
    this.chains.clear()
  }

  /**
   * Reconciles the chains held that `include` takes with `peer` now, and again later if the peer failed us.
   * A chain of asks already under way for it ends: this one starts over with the shortest pause.
   */
  peer (peer: PeerId): void {
    if (!this.running) return
    const key = peer.toString()
    clearTimeout(this.chains.get(key)?.timer)
    const chain: Chain = {}
    this.chains.set(key, chain)
    this.ask(peer, chain, 0)
  }

  private ask (peer: PeerId, chain: Chain, attempt: number): void {
    this.d.sync.reconcile(undefined, { peers: [peer], include: this.d.include })
      .then(results => {
        for (const r of results) {
          if (r.after > r.before) this.d.log('reconciled %s: %d → %d', r.chainId, r.before, r.after)
        }
        // the peer refuses us, not a chain: said once, whichever chains it was asked for
        const refusal = results.flatMap(r => r.refused).find(f => f.peer === peer.toString())
        if (refusal?.lasting === true) {
          this.d.log('%p refused to sync with this node: %s; not asked again until it connects again', peer, refusal.reason)
          return false
        }
        if (refusal != null) this.d.log('%p refused to sync with this node: %s; asking again', peer, refusal.reason)
        const again = failedBy(results, peer.toString())
        const lie = results.flatMap(r => r.dropped).find(d => d.peer === peer.toString() && FINAL.has(d.error))
        if (!again && lie != null) this.d.log('%p answered what it would only answer again (%s); not asked again until it connects again', peer, lie.reason)
        return again
      }, (err: Error) => {
        this.d.log.error('reconcile with %p failed: %e', peer, err)
        return true
      })
      .then(again => {
        // stop(), or a newer chain for this peer, ended this one while it asked
        if (this.chains.get(peer.toString()) !== chain) return
        if (again) this.retry(peer, chain, attempt)
        else this.chains.delete(peer.toString())
      })
      .catch(() => {})
  }

  private retry (peer: PeerId, chain: Chain, attempt: number): void {
    const delays = this.d.delays ?? RECONCILE_RETRY_DELAYS
    const steady = this.d.steady ?? RECONCILE_STEADY_DELAY
    if (attempt === delays.length) {
      this.d.log('reconcile with %p still failing after %d attempts: asking again every %d ms while it stays connected', peer, attempt + 1, steady)
    }
    chain.timer = setTimeout(() => {
      chain.timer = undefined
      if (this.d.isConnected(peer)) this.ask(peer, chain, attempt + 1)
      else this.chains.delete(peer.toString())
    }, delays[attempt] ?? steady)
  }
}

function failedBy (results: ReconcileResult[], peer: string): boolean {
  return results.some(r => r.unreachable.includes(peer) || r.refused.some(f => f.peer === peer) || r.dropped.some(d => d.peer === peer && !FINAL.has(d.error)))
}
