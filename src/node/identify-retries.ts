/**
 * Identify again a connection whose first identify gave no verdict, a few
 * times, then hang up. The reconnect loop runs it each round; a verdict comes
 * as a peer:identify event to the peering (src/node/peering.ts).
 */
import type { Logger } from '@libp2p/interface'
import type { VGuardLibp2p } from './libp2p.ts'

/**
 * A connection this old whose peer identify never judged is identified again.
 * libp2p runs identify once, when a connection opens, with a 5 s timeout; on a
 * host running dozens of vehicles that times out now and then, and the pair
 * stayed connected without either side counting the other a member (no
 * redial: a connection exists) for as long as the connection lived: 30
 * vehicles on two cores kept a few such pairs for minutes.
 */
const IDENTIFY_RETRY_AFTER = 10_000

/**
 * Identify runs again at most this many times on one connection; then we hang
 * up. A peer that cannot be identified is no member, and the reconnect loop
 * dials a known member afresh: a new connection, a new identify.
 */
const IDENTIFY_MAX_RETRIES = 3

export interface IdentifyRetriesInit {
  libp2p: VGuardLibp2p
  /** Whether identify has judged the peer: a member, or refused. */
  judged: (id: string) => boolean
  log: Logger
}

export class IdentifyRetries {
  private readonly libp2p: VGuardLibp2p
  private readonly judged: (id: string) => boolean
  private readonly log: Logger
  /** Connections identify is being run on again (see IDENTIFY_RETRY_AFTER), by connection id. */
  private readonly reidentifying = new Set<string>()
  /** How often identify ran again on each connection that still has no verdict, by connection id. */
  private readonly retries = new Map<string, number>()

  constructor (init: IdentifyRetriesInit) {
    this.libp2p = init.libp2p
    this.judged = init.judged
    this.log = init.log
  }

  /** Runs identify again on connections whose peer is still neither a member nor refused. */
  run (): void {
    const open = new Set<string>()
    for (const connection of this.libp2p.getConnections()) {
      open.add(connection.id)
      const id = connection.remotePeer.toString()
      if (connection.status !== 'open' || this.judged(id) || this.reidentifying.has(connection.id)) continue
      // a connection's timeline is on the wall clock
      if (Date.now() - connection.timeline.open < IDENTIFY_RETRY_AFTER) continue
      const retries = this.retries.get(connection.id) ?? 0
      if (retries >= IDENTIFY_MAX_RETRIES) {
        this.log('hanging up on %p: identify gave no verdict in %d tries', connection.remotePeer, retries + 1)
        void connection.close().catch((err: Error) => { connection.abort(err) })
        continue
      }
      this.retries.set(connection.id, retries + 1)
      this.reidentifying.add(connection.id)
      this.log('identifying %p again: its first identify gave no verdict', connection.remotePeer)
      // a result arrives as a peer:identify event (the peering's onIdentify); a failure is tried again next round
      this.libp2p.services.identify.identify(connection)
        .catch((err: Error) => { this.log('identify of %p failed again: %s', connection.remotePeer, err.message) })
        .finally(() => { this.reidentifying.delete(connection.id) })
    }
    for (const id of this.retries.keys()) if (!open.has(id)) this.retries.delete(id)
  }
}
