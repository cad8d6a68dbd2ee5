/**
 * Hangs up on peers that stopped answering.
 *
 * A vehicle that drives out of range (cable pulled, host frozen) sends no FIN
 * or RST: TCP keeps its connection for many minutes, and libp2p's connection
 * monitor is told not to abort on a failed ping (a loaded host misses one now
 * and then). Measured on the namespaced LAN: a cut-off peer stayed "connected"
 * on both sides for over three minutes. So we ping each member ourselves and
 * abort its connections after several misses in a row; the reconnect loop in
 * Peering then dials it until it is back.
 */
import type { Logger, PeerId } from '@libp2p/interface'
import type { VGuardLibp2p } from './libp2p.ts'
import { withDeadline } from '../protocols/stream.ts'

/** How often each connected member is pinged. */
export const LIVENESS_INTERVAL = 5_000
/** A ping not answered within this time counts as missed. */
export const LIVENESS_PING_TIMEOUT = 5_000
/** Consecutive missed pings before the peer's connections are aborted. */
export const LIVENESS_MAX_MISSED = 3

/** A peer missed too many pings in a row; its connections were aborted. */
export class PeerUnresponsiveError extends Error {
  static name = 'PeerUnresponsiveError'
  constructor (message = 'Peer stopped answering pings') {
    super(message)
    this.name = 'PeerUnresponsiveError'
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

export class Liveness {
  private readonly libp2p: VGuardLibp2p
  private readonly peers: () => PeerId[]
  private readonly log: Logger
  private readonly interval: number
  private readonly timeout: number
  private readonly maxMissed: number
  private readonly missed = new Map<string, number>()
  private readonly inFlight = new Set<string>()
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
    for (const peerId of this.peers()) {
      const id = peerId.toString()
      if (this.inFlight.has(id)) continue
      this.inFlight.add(id)
      withDeadline(this.timeout, async (signal) => await this.libp2p.services.ping.ping(peerId, { signal }), 'no pong', stopped)
        .then(() => { this.missed.delete(id) })
        .catch((err: Error) => {
          if (stopped.aborted) return
          const missed = (this.missed.get(id) ?? 0) + 1
          if (missed < this.maxMissed) {
            this.missed.set(id, missed)
            return
          }
          this.missed.delete(id)
          this.log('%p missed %d pings in a row (%s): hanging up', peerId, missed, err.message)
          const reason = new PeerUnresponsiveError(`${id} missed ${missed} pings in a row`)
          for (const conn of this.libp2p.getConnections(peerId)) conn.abort(reason)
        })
        .finally(() => { this.inFlight.delete(id) })
    }
  }
}
