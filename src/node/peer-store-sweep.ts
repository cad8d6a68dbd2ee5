/**
 * Drops from libp2p's peer store the peers we gave up on: neither connected,
 * nor a member (a lost one is still redialled), nor a discovery still being
 * retried. libp2p expires a peer only when something lists the store six
 * hours after it was last updated, which nothing here does: a node meeting
 * thousands of vehicles a week kept them all (addresses, identify data, our
 * keep-alive tag). Discovery or peer exchange adds one back if it returns.
 * Not at once when given up: while a peer stays in the store, mDNS finding
 * it again at the same addresses is no news and starts no new dials. The
 * peering's reconnect loop runs it (src/node/peering.ts).
 */
import type { Logger } from '@libp2p/interface'
import type { VGuardLibp2p } from './libp2p.ts'

/** How often peers given up on are dropped from libp2p's peer store. */
const PEER_STORE_SWEEP_INTERVAL = 10 * 60_000

export interface PeerStoreSweepInit {
  libp2p: VGuardLibp2p
  /** How often (ms) peers given up on leave the peer store (default PEER_STORE_SWEEP_INTERVAL). */
  interval?: number
  /** Whether a peer not connected is still wanted (a member, a discovery being retried). */
  keep: (id: string) => boolean
  /** Whether the peering still runs: a sweep under way ends once it stops. */
  running: () => boolean
  log: Logger
}

export class PeerStoreSweep {
  private readonly libp2p: VGuardLibp2p
  private readonly interval: number
  private readonly keep: (id: string) => boolean
  private readonly running: () => boolean
  private readonly log: Logger
  private sweptAt = 0
  private sweeping?: Promise<void>

  constructor (init: PeerStoreSweepInit) {
    this.libp2p = init.libp2p
    this.interval = init.interval ?? PEER_STORE_SWEEP_INTERVAL
    this.keep = init.keep
    this.running = init.running
    this.log = init.log
  }

  /** The peering starts (performance.now()): the first sweep is an interval away. */
  start (now: number): void {
    this.sweptAt = now
  }

  /** A reconnect round (performance.now()): sweeps once an interval has passed, one sweep at a time. */
  sweepIfDue (now: number): void {
    if (this.sweeping == null && now - this.sweptAt >= this.interval) {
      this.sweptAt = now
      this.sweeping = this.sweep().finally(() => { this.sweeping = undefined })
    }
  }

  private async sweep (): Promise<void> {
    let dropped = 0
    try {
      for (const peer of await this.libp2p.peerStore.all()) {
        if (!this.running()) break
        const id = peer.id.toString()
        if (this.keep(id) || this.libp2p.getConnections(peer.id).length > 0) continue
        await this.libp2p.peerStore.delete(peer.id)
        dropped++
      }
    } catch (err) {
      this.log('could not sweep the peer store: %s', (err as Error).message)
    }
    if (dropped > 0) this.log('dropped %d peers given up on from the peer store', dropped)
  }
}
