/**
 * Hangs up on peers that stopped answering.
 *
 * A vehicle that drives out of range (cable pulled, host frozen) sends no FIN
 * or RST: TCP keeps its connection for many minutes, and libp2p's connection
 * monitor is told not to abort on a failed ping (a loaded host misses one now
 * and then). Measured on the namespaced LAN: a cut-off peer stayed "connected"
 * on both sides for over three minutes. So we ping every connection of each
 * member ourselves and, after several misses in a row on one, abort all the
 * member's connections; the reconnect loop in Peering then dials the peer
 * until it is back. All of them, not the silent one alone: gossipsub keeps one
 * outbound stream per peer and opens it again only when the peer connects
 * anew, so closing the connection that carries it while another stays up
 * would leave the peer without our gossip.
 *
 * The ping is the stream muxer's own (a yamux PING frame, answered by the
 * peer's frame loop): no stream, no protocol negotiation, no peer-store
 * update. Ping streams to 29 members every 5 s were about 40% of an idle
 * vehicle's CPU in a swarm of thirty (docs/benchmarks.md, "Thirty idle
 * vehicles: muxer pings"). A muxer without ping falls back to /ipfs/ping.
 *
 * A ping waits its turn behind whatever the connection already carries: on
 * a slow link (a few Mbit/s of radio) a backup's copy of a chain queued
 * megabytes ahead of every ping and every pong, and a bandwidth probe saw
 * liveness hang up on a peer whose bytes were arriving the whole time, which
 * cut the copy short, again at every retry. So a ping not answered in time
 * while bytes kept arriving on its connection counts as no miss (`busy`):
 * the peer is there, its pong is queued.
 *
 * A connection whose stream muxer closed while the connection stays open (the
 * peer's GoAway came, its TCP close did not) carries nothing any more, yet
 * libp2p may hand it out for new streams: it is closed at once, alone, not
 * after missed pings (which closed the peer's live connections with it).
 */
import type { Connection, Logger, PeerId } from '@libp2p/interface'
import type { VGuardLibp2p } from './libp2p.ts'
import { withDeadline } from '../protocols/stream.ts'
import { pingingMuxer } from '../protocols/muxer-ping.ts'
import { untilAborted } from '../protocols/until-aborted.ts'
import { muxerClosed } from '../protocols/open-stream.ts'

/** How often each connection of a connected member is pinged. */
export const LIVENESS_INTERVAL = 5_000
/** A ping not answered within this time counts as missed. */
export const LIVENESS_PING_TIMEOUT = 5_000
/** Consecutive missed pings on one connection before all the peer's connections are aborted. */
export const LIVENESS_MAX_MISSED = 3

/** A peer missed too many pings in a row; its connections were aborted. */
export class PeerUnresponsiveError extends Error {
  static name = 'PeerUnresponsiveError'
  constructor (message = 'Peer stopped answering pings') {
    super(message)
    this.name = 'PeerUnresponsiveError'
  }
}

/** A connection's stream muxer closed while the connection stayed open; it was aborted. */
export class StaleConnectionError extends Error {
  static name = 'StaleConnectionError'
  constructor (message = 'The connection\'s stream muxer closed while the connection stayed open') {
    super(message)
    this.name = 'StaleConnectionError'
  }
}

export interface LivenessInit {
  libp2p: VGuardLibp2p
  /** The peers to watch (connected members). */
  peers: () => PeerId[]
  log: Logger
  /** @default LIVENESS_INTERVAL */
  interval?: number
  /** @default LIVENESS_PING_TIMEOUT */
  timeout?: number
  /** @default LIVENESS_MAX_MISSED */
  maxMissed?: number
}

/** What liveness saw since it started (status, tests). */
export interface LivenessCounts {
  answered: number
  missed: number
  /** Pings not answered in time while the peer's bytes kept arriving on the connection: no miss. */
  busy: number
  /** Peers hung up on for missing maxMissed pings in a row. */
  hungUp: number
  /** Connections closed because their stream muxer had closed while they stayed open (see the top of this file). */
  stale: number
}

/** Bytes received so far on the connection's socket (TCP), if it says: libp2p keeps the socket on fields its interfaces do not name. */
function bytesReceived (connection: Connection): number | undefined {
  const read = (connection as Connection & { maConn?: { socket?: { bytesRead?: unknown } } }).maConn?.socket?.bytesRead
  return typeof read === 'number' ? read : undefined
}

export class Liveness {
  private readonly libp2p: VGuardLibp2p
  private readonly peers: () => PeerId[]
  private readonly log: Logger
  private readonly interval: number
  private readonly timeout: number
  private readonly maxMissed: number
  /** Misses in a row, per connection id. */
  private readonly missed = new Map<string, number>()
  private readonly inFlight = new Set<string>()
  private readonly seen: LivenessCounts = { answered: 0, missed: 0, busy: 0, hungUp: 0, stale: 0 }
  private timer?: ReturnType<typeof setInterval>
  private controller?: AbortController

  constructor (init: LivenessInit) {
    this.libp2p = init.libp2p
    this.peers = init.peers
    this.log = init.log
    this.interval = init.interval ?? LIVENESS_INTERVAL
    this.timeout = init.timeout ?? LIVENESS_PING_TIMEOUT
    this.maxMissed = init.maxMissed ?? LIVENESS_MAX_MISSED
  }

  get counts (): LivenessCounts {
    return { ...this.seen }
  }

  start (): void {
    this.controller = new AbortController()
    this.timer = setInterval(this.check, this.interval)
  }

  stop (): void {
    clearInterval(this.timer)
    this.controller?.abort()
    this.missed.clear()
  }

  private readonly check = (): void => {
    const stopped = this.controller?.signal
    if (stopped == null || stopped.aborted) return
    const open = new Set<string>()
    for (const peerId of this.peers()) {
      // every connection: a silent one beside a live one would keep whatever
      // stream it carries (gossip, a transfer) hanging for good
      for (const connection of this.libp2p.getConnections(peerId)) {
        if (connection.status !== 'open') continue
        if (muxerClosed(connection)) {
          this.seen.stale++
          this.log('a connection to %p stays open with its stream muxer closed (the peer\'s GoAway came, its TCP close did not): closed', peerId)
          connection.abort(new StaleConnectionError(`${peerId.toString()}'s connection ${connection.id} stayed open with its stream muxer closed`))
          continue
        }
        open.add(connection.id)
        if (!this.inFlight.has(connection.id)) this.ping(peerId, connection, stopped)
      }
    }
    // closed connections: their count goes with them
    for (const id of this.missed.keys()) if (!open.has(id)) this.missed.delete(id)
  }

  private ping (peerId: PeerId, connection: Connection, stopped: AbortSignal): void {
    const id = connection.id
    this.inFlight.add(id)
    const muxer = pingingMuxer(connection)
    const received = bytesReceived(connection)
    withDeadline(this.timeout, async (signal) => {
      if (muxer != null) await untilAborted(muxer.ping(), signal)
      else await this.libp2p.services.ping.ping(peerId, { signal })
    }, 'no pong', stopped)
      .then(() => {
        this.seen.answered++
        this.missed.delete(id)
      })
      .catch((err: Error) => {
        if (stopped.aborted) return
        const now = bytesReceived(connection)
        if (received != null && now != null && now > received) {
          this.seen.busy++
          this.missed.delete(id)
          return
        }
        this.seen.missed++
        const missed = (this.missed.get(id) ?? 0) + 1
        if (missed < this.maxMissed) {
          this.missed.set(id, missed)
          return
        }
        this.missed.delete(id)
        this.seen.hungUp++
        this.log('%p missed %d pings in a row (%s): hanging up', peerId, missed, err.message)
        const reason = new PeerUnresponsiveError(`${peerId.toString()} missed ${missed} pings in a row`)
        for (const conn of this.libp2p.getConnections(peerId)) conn.abort(reason)
      })
      .finally(() => { this.inFlight.delete(id) })
  }
}
