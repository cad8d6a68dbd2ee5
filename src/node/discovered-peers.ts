/**
 * Peers heard of (discovery, members' views, address updates) and not met
 * yet: when each was heard of and first dialled, bounded, and the few dial
 * slots they share. The reconnect loop retries each for a while; the
 * peering dials (src/node/peering.ts).
 */

/**
 * How long a discovered peer we never managed to connect to is retried by the
 * reconnect loop, from its first dial. libp2p announces a peer once (when it
 * enters the peer store), and mDNS finding it again with the same addresses
 * changes nothing there, so without retries one failed first dial would keep
 * two vehicles apart for good. From the first dial, not from when it was heard
 * of: one named after a crowd of peers that never answer waits its turn for a
 * dial slot (MAX_DISCOVERY_DIALS), and was given up before its first dial (a
 * review: behind 128 of them, a vehicle was never met).
 */
const DISCOVERED_RETRY_WINDOW = 60_000

/**
 * The reconnect loop leaves a newly discovered peer alone this long: the dial
 * that its discovery started (by either side, see the peering's dialOnce) is
 * still in its handshake on a busy host, and a second dial would make a
 * duplicate connection (measured: most vehicle pairs of a ten-vehicle swarm
 * had two).
 */
const DISCOVERED_RETRY_AFTER = 5_000

/**
 * Peers heard of and not met yet, at most. Peer ids cost nothing to make up:
 * one member listing thousands of them in its views (a bug, or malice) filled
 * every node's dial queue, peer store and memory, stalled its event loop, and
 * its writes failed (a review: 48k discoveries, 1 GB, 99k peers stored in 45 s).
 * A fleet's vehicles are far fewer; one past the bound is heard of again later.
 */
export const MAX_DISCOVERED = 1_024

/**
 * Dials at once of peers not known to be members (discoveries): the rest wait
 * for the reconnect loop. libp2p queues every dial in one queue (500 at most),
 * and a member's redial must not wait behind a crowd of addresses that never
 * answer.
 */
export const MAX_DISCOVERY_DIALS = 16

/**
 * How long a discovery's dial may take (libp2p's own default): a vehicle on
 * the LAN answers within it, and a slot held by one that never answers frees
 * sooner than with a member's redial timeout.
 */
export const DISCOVERY_DIAL_TIMEOUT = 5_000

/** Of MAX_DISCOVERED, what peers heard of from other members' views may take. */
export const EXCHANGED_DISCOVERED = MAX_DISCOVERED * 3 / 4

interface Discovery {
  /** When we first heard of it (performance.now()). */
  heard: number
  /** When we first dialled it. */
  dialled?: number
}

export class DiscoveredPeers {
  /** Peers discovered but not (yet) members: when we first heard of them, and first dialled them. */
  private readonly peers = new Map<string, Discovery>()
  /** Dials under way of peers here (see MAX_DISCOVERY_DIALS). */
  private dials = 0
  /** A peer never met within this long (ms) from its first dial is given up. */
  private readonly retryWindow: number

  constructor (retryWindow = DISCOVERED_RETRY_WINDOW) {
    this.retryWindow = retryWindow
  }

  get size (): number {
    return this.peers.size
  }

  has (id: string): boolean {
    return this.peers.has(id)
  }

  /** Notes a peer to meet; false (nothing noted) for a new one once `limit` are waiting. */
  remember (id: string, limit = MAX_DISCOVERED): boolean {
    if (this.peers.has(id)) return true
    if (this.peers.size >= limit) return false
    this.peers.set(id, { heard: performance.now() })
    return true
  }

  /** A peer met (or refused): nothing more to retry. */
  forget (id: string): void {
    this.peers.delete(id)
  }

  /**
   * A dial slot for a peer here, if one is free (else the reconnect loop
   * tries it again). Each dial goes to the back of the line: the reconnect
   * loop gives the next free slots to those dialled longest ago, else peers
   * that never answer (their dials held 10 s each) kept every slot, and a
   * vehicle heard of after 16 of them was never dialled (a review).
   */
  takeDialSlot (id: string): boolean {
    if (this.dials >= MAX_DISCOVERY_DIALS) return false
    this.dials++
    const entry = this.peers.get(id) as Discovery
    entry.dialled ??= performance.now()
    this.peers.delete(id)
    this.peers.set(id, entry)
    return true
  }

  /** A discovery's dial ended, either way. */
  freeDialSlot (): void {
    this.dials--
  }

  /**
   * The peers the reconnect loop dials again now: heard of DISCOVERED_RETRY_AFTER
   * ago at least, longest undialled first. One past its retry window is
   * forgotten as the loop reaches it.
   */
  * due (now: number): Generator<string> {
    for (const [id, { heard, dialled }] of [...this.peers]) {
      if (dialled != null && now - dialled > this.retryWindow) {
        this.peers.delete(id)
        continue
      }
      if (now - heard < DISCOVERED_RETRY_AFTER) continue
      yield id
    }
  }
}
