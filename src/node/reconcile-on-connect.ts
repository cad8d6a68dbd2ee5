/**
 * Reconciles with each member as it connects (a restarted node catches up as
 * its peers come back), and asks that member again, a few times with growing
 * pauses, while it stays connected but could not be read (no answer in time,
 * a failed stream) or failed mid-fetch: a loaded peer or a lossy moment
 * should not leave a chain behind until the next connection. A peer that
 * served a block that does not verify, or that nothing vouches for, is not
 * asked again: it would only answer the same. Nor is one that refused this
 * node for a lasting reason (it runs as two processes of our identity, as it
 * sees it) until it connects again; one that did not count us a member (its
 * identify of us may not have finished) is asked again as one not read.
 */
import type { Logger, PeerId } from '@libp2p/interface'
import type { ReconcileResult, Sync } from '../protocols/sync/index.ts'

/** Pauses before the asks after a failed one; then it waits for the next connection. */
export const RECONCILE_RETRY_DELAYS: readonly number[] = [1_000, 2_000, 4_000, 8_000]

/** Errors that asking the same peer again would only repeat. */
const FINAL = new Set(['InvalidBlockError', 'NotVouchedError'])

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
}

export class ReconcileOnConnect {
  private readonly d: ReconcileOnConnectDeps
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private running = false

  constructor (deps: ReconcileOnConnectDeps) {
    this.d = deps
  }

  start (): void {
    this.running = true
  }

  stop (): void {
    this.running = false
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /** Reconciles the chains held that `include` takes with `peer` now, and again later if the peer failed us. */
  peer (peer: PeerId, attempt = 0): void {
    if (!this.running) return
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
        return failedBy(results, peer.toString())
      }, (err: Error) => {
        this.d.log.error('reconcile with %p failed: %e', peer, err)
        return true
      })
      .then(again => { if (again) this.retry(peer, attempt) })
      .catch(() => {})
  }

  private retry (peer: PeerId, attempt: number): void {
    if (!this.running) return
    const delay = (this.d.delays ?? RECONCILE_RETRY_DELAYS)[attempt]
    if (delay == null) {
      this.d.log('reconcile with %p still failing after %d attempts: waiting for its next connection', peer, attempt + 1)
      return
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.d.isConnected(peer)) this.peer(peer, attempt + 1)
    }, delay)
    this.timers.add(timer)
  }
}

function failedBy (results: ReconcileResult[], peer: string): boolean {
  return results.some(r => r.unreachable.includes(peer) || r.refused.some(f => f.peer === peer) || r.dropped.some(d => d.peer === peer && !FINAL.has(d.error)))
}
