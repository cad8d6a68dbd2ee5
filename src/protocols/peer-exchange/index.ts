/**
 * @packageDocumentation
 *
 * Peer exchange. Without multicast (docker swarm overlays, bootstrap-only
 * setups) a vehicle knows only the peers it was told about, and libp2p has no
 * peer exchange of its own. When a member connects, we send it who we are
 * connected to, straight over `/vguard/peer-exchange/1.0.0`; it dials those it
 * does not know, and each of them sends it their view in turn, so bootstrapping
 * to one vehicle is enough to meet them all. A periodic round publishes our
 * view on the network's peers topic when it changed (and now and then
 * unchanged), which heals partitions and spreads storage figures.
 *
 * Why not gossip every view as before: a view published on each new
 * connection reached every vehicle, so a swarm of N forming at once handled
 * on the order of N³ peer records a second, and 30 vehicles on two cores never
 * finished meshing. A direct view reaches only the one vehicle that needs it.
 *
 * Guarantees: announcements are hints. The sender is authenticated by the
 * gossipsub signature or, sent directly, by the Noise connection, and must be
 * a member of our network; listed peers are only dialled, and Noise proves
 * their ids. Malformed or oversized announcements are dropped and counted.
 *
 * @example
 *
 * ```ts
 * const px = new PeerExchange({ libp2p, network: 'fleet', members: () => peering.connectedMembers(), isMember: (id) => peering.isMember(id), onPeer: (id, addrs) => dial(id) })
 * px.start()
 * px.sendTo(newMember)
 * ```
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { lpStream } from '../framing.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { protocolId, PROTOCOL_PREFIX } from '../constants.ts'
import { InvalidMessageError, ProtocolError } from '../errors.ts'
import { MembershipCheck } from '../read/membership.ts'
import { handleProtocol, readBufferFor, withDeadline, withStream } from '../stream.ts'
import { PeerAnnouncement } from './pb/peer-exchange.ts'
import type { PeerRecord } from './pb/peer-exchange.ts'
import { RepeatFilter } from './repeat-filter.ts'
import {
  ANNOUNCE_DEBOUNCE, ANNOUNCE_INTERVAL, ANNOUNCE_REFRESH, DIRECT_TIMEOUT, MAX_ADDRS_PER_PEER, MAX_ANNOUNCEMENT_BYTES, MAX_INBOUND_STREAMS,
  MAX_OUTBOUND_STREAMS, MAX_PEERS_PER_ANNOUNCEMENT, MEMBERSHIP_WAIT, PROTOCOL_NAME, PROTOCOL_VERSION, TOPIC_NAME, TOPIC_VERSION
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
  libp2p: Libp2p<{ pubsub: GossipSub }>
  network: string
  /** Connected members of our network to advertise. */
  members: () => PeerId[]
  /** Whether a peer is a member of our network: only members may send us their view directly. */
  isMember: (peer: PeerId) => boolean
  /** Called for each advertised peer with its addresses. */
  onPeer: (peerId: PeerId, addrs: Multiaddr[]) => void
  /** Our storage figures, advertised in our own record. */
  capacity?: () => Promise<CapacityHint | undefined>
  /** Called with the storage figures a sender advertised for itself (signed by gossipsub). */
  /**
   * A member's own storage figures; `sequence` is its gossip message's
   * sequence number (undefined for a direct view, which its sender sent us
   * itself just now), for the receiver to order what any member can replay.
   */
  onCapacity?: (peerId: PeerId, hint: CapacityHint, sequence?: bigint) => void
  log: Logger
  /** ms between periodic rounds. @default ANNOUNCE_INTERVAL (10 s) */
  announceInterval?: number
  /** A periodic round repeats an unchanged view only this often (ms). @default ANNOUNCE_REFRESH (60 s) */
  announceRefresh?: number
  /** @default DIRECT_TIMEOUT (5 s) */
  directTimeout?: number
  /** @default MEMBERSHIP_WAIT (3 s) */
  membershipWait?: number
}

/** A peer record as received: parsed, not yet acted on. */
export interface AnnouncedPeer {
  peerId: PeerId
  addrs: Multiaddr[]
  capacity?: CapacityHint
}

export class PeerExchange {
  readonly topic: string
  /** The stream protocol of direct announcements. */
  readonly protocol: string
  private readonly init: PeerExchangeInit
  private readonly membership: MembershipCheck
  private readonly directTimeout: number
  private readonly membershipWait: number
  private running = false
  private debounce?: ReturnType<typeof setTimeout>
  private pendingAnnounce = false
  private interval?: ReturnType<typeof setInterval>
  private readonly repeats: RepeatFilter
  /** Announcements dropped as malformed or oversized (gossiped or direct). */
  dropped = 0
  /** Direct announcements refused because the sender is not a member of our network. */
  refused = 0
  /** What judge decoded of each view it let through, for onMessage (gossipsub hands both the same object). */
  private readonly judged = new WeakMap<Message, AnnouncedPeer[]>()

  constructor (init: PeerExchangeInit) {
    this.init = init
    this.topic = peersTopic(init.network)
    this.protocol = protocolId(PROTOCOL_NAME, PROTOCOL_VERSION, PROTOCOL_PREFIX)
    this.repeats = new RepeatFilter(init.announceRefresh ?? ANNOUNCE_REFRESH)
    this.membership = new MembershipCheck({ libp2p: init.libp2p, isMember: init.isMember })
    this.directTimeout = init.directTimeout ?? DIRECT_TIMEOUT
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
  }

  /**
   * Synchronous on purpose: the node starts peering before it awaits anything,
   * so no identify result is missed. libp2p registers the handler before its
   * handle() first awaits, so direct views are taken from here on.
   */
  start (): void {
    this.running = true
    const { libp2p } = this.init
    const { pubsub } = libp2p.services
    pubsub.subscribe(this.topic)
    pubsub.addEventListener('message', this.onMessage)
    handleProtocol(libp2p, this.protocol, this.onStream, { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_OUTBOUND_STREAMS }, (err, connection) => {
      this.init.log('direct peer announcement from %p refused: %s', connection.remotePeer, err.message)
    }).catch((err: Error) => { this.init.log.error('could not handle %s: %s', this.protocol, err.message) })
    this.interval = setInterval(() => { this.announce(true) }, this.init.announceInterval ?? ANNOUNCE_INTERVAL)
  }

  stop (): void {
    this.running = false
    clearTimeout(this.debounce)
    this.debounce = undefined
    this.pendingAnnounce = false
    clearInterval(this.interval)
    const { libp2p } = this.init
    const { pubsub } = libp2p.services
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.unsubscribe(this.topic)
    libp2p.unhandle(this.protocol).catch(() => {})
  }

  /**
   * Sends our view to one member, over a stream of its own: how a vehicle
   * that just connected meets everyone we know. Best effort: a member that
   * misses it (an older version, a timeout) still hears the periodic round.
   */
  async sendTo (peer: PeerId): Promise<void> {
    if (!this.running) return
    const bytes = await this.buildAnnouncement()
    await withStream(this.init.libp2p, peer, this.protocol, async (stream, signal) => {
      await lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_BYTES }).write(bytes, { signal })
    }, { timeout: this.directTimeout })
  }

  /** Publishes our view on the topic soon (several triggers in a burst become one message). */
  scheduleAnnounce (): void {
    // a pin made while the node stopped left a timer behind (a review)
    if (!this.running) return
    // at most one announcement per ANNOUNCE_DEBOUNCE: the first trigger goes out
    // at once (backup candidates learn our storage figures without delay), a
    // burst of later ones (copies taken one after another) becomes one more at
    // the end of the period
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
      return { peerId: id.toString(), addrs: announceable((peer?.addresses ?? []).map(a => a.multiaddr)) }
    }))
    const capacity = await this.init.capacity?.().catch(() => undefined)
    const peers = [{ peerId: libp2p.peerId.toString(), addrs: announceable(libp2p.getMultiaddrs()), ...capacity }, ...members]
      .filter(p => p.addrs.length > 0)
      .map(p => ({ ...p, addrs: p.addrs.slice(0, MAX_ADDRS_PER_PEER) }))
    if (peers.length === 0) return PeerAnnouncement.encode({ peers })
    const [own, ...others] = peers
    return PeerAnnouncement.encode({ peers: fitAnnouncement(own, others) })
  }

  /**
   * gossipsub's check of a view on the topic, after the peering's check of
   * who sent it: one that breaks a limit, lists a peer twice or is malformed
   * is Reject, neither taken nor relayed (accepted, every node relayed to the
   * whole mesh what each then dropped: a review). What it decoded goes to
   * onMessage with the message.
   *
   * A Reject scores the member that sent it down, to gossipsub's graylist
   * after a few (src/node/gossip-score.ts), so only what no honest vehicle
   * sends is one: buildAnnouncement lists each connected member once (by
   * peer id, never us), at most MAX_PEERS_PER_ANNOUNCEMENT records of
   * MAX_ADDRS_PER_PEER addresses, fitted to MAX_ANNOUNCEMENT_BYTES, with
   * ids and addresses our own libraries wrote; a member relays only what it
   * accepted, and the check depends on the bytes alone. Raising a bound (or
   * a peer id or address form older versions cannot parse) needs a new
   * topic version: vehicles of the old one would reject it.
   */
  readonly judge = (msg: Message): TopicValidatorResult => {
    const announcement = decodeAnnouncement(msg.data)
    if (announcement == null) {
      this.dropped++
      this.init.log('dropped a malformed peer announcement from %s', msg.type === 'signed' ? msg.from.toString() : 'unsigned')
      return TopicValidatorResult.Reject
    }
    this.judged.set(msg, announcement)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== this.topic) return
    // no validator ran (libp2p without ours): judged here instead
    if (!this.judged.has(msg) && this.judge(msg) !== TopicValidatorResult.Accept) return
    const announcement = this.judged.get(msg) as AnnouncedPeer[]
    this.judged.delete(msg)
    this.accept(announcement, msg.type === 'signed' ? { peerId: msg.from, sequence: msg.sequenceNumber } : undefined)
  }

  /** A member sent us its view directly: one message, read within the timeout. */
  private readonly onStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const from = connection.remotePeer
    if (!await this.membership.admit(connection, this.membershipWait, () => this.running)) {
      this.refused++
      throw new ProtocolError(`${from.toString()} is not a member of our network`)
    }
    const lp = lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_BYTES, maxBufferSize: readBufferFor(MAX_ANNOUNCEMENT_BYTES) })
    let bytes: Uint8Array
    try {
      bytes = (await withDeadline(this.directTimeout, async (signal) => await lp.read({ signal }), 'no peer announcement')).subarray()
    } catch (err) {
      // oversized, cut short or garbled framing: dropped like a bad body; a slow sender is only slow
      if ((err as Error).name !== 'TimeoutError') this.dropped++
      throw err
    }
    const announcement = decodeAnnouncement(bytes)
    if (announcement == null) {
      this.dropped++
      throw new InvalidMessageError(`malformed peer announcement from ${from.toString()}`)
    }
    this.accept(announcement, { peerId: from })
  }

  /**
   * Acts on a view; `sender` (authenticated) alone speaks for its own storage
   * figures, with its gossip message's sequence number if it came by gossip.
   */
  private accept (announcement: AnnouncedPeer[], sender?: { peerId: PeerId, sequence?: bigint }): void {
    const self = this.init.libp2p.peerId.toString()
    for (const { peerId, addrs, capacity } of announcement) {
      if (peerId.toString() === self) continue
      this.init.onPeer(peerId, addrs)
      if (capacity != null && sender?.peerId.equals(peerId) === true) this.init.onCapacity?.(peerId, capacity, sender.sequence)
    }
  }
}

/** A record's bytes in an announcement (its field's tag and length too: the message has no other field). */
function recordBytes (record: PeerRecord): number {
  return PeerAnnouncement.encode({ peers: [record] }).byteLength
}

/**
 * The records of a view that fit MAX_ANNOUNCEMENT_BYTES, which every receiver
 * enforces: ours whole (the sender's own, with its storage figures), then
 * every member with as many of its first addresses as lets them all fit; if
 * even one each is too much, as many members as fit. 127 members announcing
 * 8 DNS names each made a 73 KB view, dropped whole by every receiver: peer
 * exchange and our storage figures reached nobody (a review).
 */
export function fitAnnouncement (own: PeerRecord, members: PeerRecord[]): PeerRecord[] {
  const budget = MAX_ANNOUNCEMENT_BYTES - recordBytes(own)
  for (let n = MAX_ADDRS_PER_PEER; n >= 1; n--) {
    const trimmed = members.map(m => ({ ...m, addrs: m.addrs.slice(0, n) }))
    if (trimmed.reduce((total, m) => total + recordBytes(m), 0) <= budget) return [own, ...trimmed]
  }
  const kept: PeerRecord[] = []
  let left = budget
  for (const member of members) {
    const record = { ...member, addrs: member.addrs.slice(0, 1) }
    left -= recordBytes(record)
    if (left < 0) break
    kept.push(record)
  }
  return [own, ...kept]
}

/**
 * The text forms of `addrs` a receiver parses back to the same address. A
 * member's listen addresses come from its identify, as bytes, and some only
 * decode that way: a dns4 name holding a '/' prints as "/dns4/a/b/c/..." and
 * parses as no address. Listed, it made every view of ours malformed to the
 * others (decodeAnnouncement), and each one cost us their gossip score
 * (gossip-score.ts): one member advertising such an address got every member
 * connected to it graylisted (a review).
 */
function announceable (addrs: Multiaddr[]): string[] {
  return addrs.flatMap((addr) => {
    const text = addr.toString()
    try {
      return multiaddr(text).equals(addr) ? [text] : []
    } catch {
      return []
    }
  })
}

/**
 * Parses an announcement; undefined if it is oversized, any entry is
 * malformed, or it lists a peer twice (no vehicle sends that: 128 records
 * naming one peer gave it 1,024 addresses in our peer store, a review).
 */
export function decodeAnnouncement (data: Uint8Array): AnnouncedPeer[] | undefined {
  if (data.byteLength > MAX_ANNOUNCEMENT_BYTES) return undefined
  try {
    const decoded = PeerAnnouncement.decode(data, { limits: { peers: MAX_PEERS_PER_ANNOUNCEMENT, peers$: { addrs: MAX_ADDRS_PER_PEER } } })
    const peers = decoded.peers.map(p => ({
      peerId: peerIdFromString(p.peerId),
      addrs: p.addrs.map(a => multiaddr(a)),
      capacity: p.free != null && p.held != null ? { free: p.free, held: p.held } : undefined
    }))
    // compared in their usual form: a peer id also parses from its CID spelling
    return new Set(peers.map(p => p.peerId.toString())).size === peers.length ? peers : undefined
  } catch {
    return undefined
  }
}
