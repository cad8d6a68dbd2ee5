/**
 * @packageDocumentation
 *
 * Peer exchange over gossipsub. Without multicast (docker swarm overlays,
 * bootstrap-only setups) a vehicle knows only the peers it was told about, and
 * libp2p has no peer exchange of its own. Whenever a peer subscribes to the
 * network's peers topic, we publish who we are connected to; gossip relays it
 * across the mesh, so bootstrapping to one vehicle is enough to meet them all.
 *
 * Guarantees: announcements are hints. The sender is authenticated by the
 * gossipsub signature; listed peers are only dialled, and Noise proves their
 * ids. Malformed or oversized announcements are dropped and counted.
 *
 * @example
 *
 * ```ts
 * const px = new PeerExchange({ libp2p, network: 'fleet', members: () => peering.connectedMembers(), onPeer: (id, addrs) => dial(id) })
 * px.start()
 * ```
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger, PeerId } from '@libp2p/interface'
import type { Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { VGuardLibp2p } from '../../node/libp2p.ts'
import { PeerAnnouncement } from './pb/peer-exchange.ts'
import { RepeatFilter } from './repeat-filter.ts'
import {
  ANNOUNCE_DEBOUNCE, ANNOUNCE_INTERVAL, ANNOUNCE_REFRESH, MAX_ADDRS_PER_PEER, MAX_ANNOUNCEMENT_BYTES, MAX_PEERS_PER_ANNOUNCEMENT, TOPIC_NAME, TOPIC_VERSION
} from './constants.ts'

export interface CapacityHint {
  /** Bytes the peer can still take. */
  free: number
  /** Bytes it holds for other vehicles. */
  held: number
}

export function peersTopic (network: string): string {
  return `vguard/${network}/${TOPIC_NAME}/${TOPIC_VERSION}`
}

export interface PeerExchangeInit {
  libp2p: VGuardLibp2p
  network: string
  /** Connected members of our network to advertise. */
  members: () => PeerId[]
  /** Called for each advertised peer with its addresses. */
  onPeer: (peerId: PeerId, addrs: Multiaddr[]) => void
  /** Our storage figures, advertised in our own record. */
  capacity?: () => Promise<CapacityHint | undefined>
  /** Called with the storage figures a sender advertised for itself (signed by gossipsub). */
  onCapacity?: (peerId: PeerId, hint: CapacityHint) => void
  log: Logger
  /** ms between periodic rounds. @default ANNOUNCE_INTERVAL (10 s) */
  announceInterval?: number
  /** A periodic round repeats an unchanged view only this often (ms). @default ANNOUNCE_REFRESH (60 s) */
  announceRefresh?: number
}

export class PeerExchange {
  readonly topic: string
  private readonly init: PeerExchangeInit
  private debounce?: ReturnType<typeof setTimeout>
  private pendingAnnounce = false
  private interval?: ReturnType<typeof setInterval>
  private readonly repeats: RepeatFilter
  dropped = 0

  constructor (init: PeerExchangeInit) {
    this.init = init
    this.topic = peersTopic(init.network)
    this.repeats = new RepeatFilter(init.announceRefresh ?? ANNOUNCE_REFRESH)
  }

  start (): void {
    const { pubsub } = this.init.libp2p.services
    pubsub.subscribe(this.topic)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.addEventListener('message', this.onMessage)
    this.interval = setInterval(() => { this.announce(true) }, this.init.announceInterval ?? ANNOUNCE_INTERVAL)
  }

  stop (): void {
    clearTimeout(this.debounce)
    this.debounce = undefined
    this.pendingAnnounce = false
    clearInterval(this.interval)
    const { pubsub } = this.init.libp2p.services
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.unsubscribe(this.topic)
  }

  /** Publishes our view soon (several triggers in a burst become one message). */
  scheduleAnnounce (): void {
    // at most one announcement per ANNOUNCE_DEBOUNCE: the first trigger goes out
    // at once (a newcomer meets the network without delay), a burst of later
    // ones (a swarm meshing) becomes one more at the end of the period
    if (this.debounce != null) {
      this.pendingAnnounce = true
      return
    }
    this.announce()
    this.debounce = setTimeout(() => {
      this.debounce = undefined
      if (this.pendingAnnounce) {
        this.pendingAnnounce = false
        this.scheduleAnnounce()
      }
    }, ANNOUNCE_DEBOUNCE)
  }

  private announce (periodic = false): void {
    void this.buildAnnouncement()
      .then(async (bytes) => {
        const now = Date.now()
        if (periodic && !this.repeats.worthSending(bytes, now)) return
        this.repeats.sent(bytes, now)
        await this.init.libp2p.services.pubsub.publish(this.topic, bytes)
      })
      .catch((err: Error) => { this.init.log.trace('peer announcement not sent: %s', err.message) })
  }

  /**
   * Our own addresses and, for each member, the listen addresses identify told
   * us (from the peer store): a connection's remote address is an ephemeral
   * port when the member dialled us, and useless to anyone else.
   */
  private async buildAnnouncement (): Promise<Uint8Array> {
    const { libp2p } = this.init
    const members = await Promise.all(this.init.members().slice(0, MAX_PEERS_PER_ANNOUNCEMENT - 1).map(async (id) => {
      const peer = await libp2p.peerStore.get(id).catch(() => undefined)
      return { peerId: id.toString(), addrs: (peer?.addresses ?? []).map(a => a.multiaddr.toString()) }
    }))
    const capacity = await this.init.capacity?.().catch(() => undefined)
    const peers = [{ peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(a => a.toString()), ...capacity }, ...members]
      .filter(p => p.addrs.length > 0)
      .map(p => ({ ...p, addrs: p.addrs.slice(0, MAX_ADDRS_PER_PEER) }))
    return PeerAnnouncement.encode({ peers })
  }

  private readonly onSubscriptionChange = (evt: CustomEvent<SubscriptionChangeData>): void => {
    if (evt.detail.subscriptions.some(s => s.subscribe && s.topic === this.topic)) this.scheduleAnnounce()
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== this.topic) return
    const announcement = decodeAnnouncement(msg.data)
    if (announcement == null) {
      this.dropped++
      this.init.log('dropped a malformed peer announcement from %s', msg.type === 'signed' ? msg.from.toString() : 'unsigned')
      return
    }
    const self = this.init.libp2p.peerId.toString()
    for (const { peerId, addrs, capacity } of announcement) {
      if (peerId.toString() === self) continue
      this.init.onPeer(peerId, addrs)
      // only the sender speaks for its own storage
      if (capacity != null && msg.type === 'signed' && msg.from.equals(peerId)) this.init.onCapacity?.(peerId, capacity)
    }
  }
}

/** Parses an announcement; undefined if it is oversized or any entry is malformed. */
export function decodeAnnouncement (data: Uint8Array): Array<{ peerId: PeerId, addrs: Multiaddr[], capacity?: CapacityHint }> | undefined {
  if (data.byteLength > MAX_ANNOUNCEMENT_BYTES) return undefined
  try {
    const decoded = PeerAnnouncement.decode(data, { limits: { peers: MAX_PEERS_PER_ANNOUNCEMENT, peers$: { addrs: MAX_ADDRS_PER_PEER } } })
    return decoded.peers.map(p => ({
      peerId: peerIdFromString(p.peerId),
      addrs: p.addrs.map(a => multiaddr(a)),
      capacity: p.free != null && p.held != null ? { free: p.free, held: p.held } : undefined
    }))
  } catch {
    return undefined
  }
}
