/**
 * Keeps the node connected to every peer of its network.
 *
 * libp2p since v2 does not dial what discovery finds, and announces a peer only
 * the first time it enters the peer store: a vehicle that restarts on a new port
 * would be lost. So we dial on discovery, re-dial on address updates, and run a
 * reconnect loop over the peers we have met and the bootstrap list. A peer is a
 * member once identify says it runs our network (and it is allowed); others are
 * hung up on, and not dialled for a few minutes (DENIED_FOR). Only peers off
 * the allow list are refused at the connection gater: a peer's network is
 * known only once identify ran, and may change (a typo fixed and restarted).
 */
import { KEEP_ALIVE } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId, ComponentLogger, Logger } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'
import type { VGuardLibp2p } from './libp2p.ts'
import { networkOfAgent } from '../protocols/agent.ts'
import { peerText } from '../text/peer-text.ts'
import type { PeerRejectedCode, VGuardNodeEvents } from './events.ts'
import { PeerExchange } from '../protocols/peer-exchange/index.ts'
import { MAX_ADDRS_PER_PEER } from '../protocols/peer-exchange/constants.ts'
import type { CapacityHint } from '../protocols/peer-exchange/index.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import { Liveness } from './liveness.ts'
import { LOST_MEMBER_FORGET_AFTER, LostMembers } from './lost-members.ts'
import { ReportLimit } from './report-limit.ts'
import { StrangerLimitError, strangersPastLimit } from './stranger-room.ts'
import { DENIED_FOR, DeniedPeers, MAX_DENIED } from './denied-peers.ts'
import { BootstrapPeers } from './bootstrap-peers.ts'
import { MemberVerdicts } from './member-verdicts.ts'
import { DISCOVERY_DIAL_TIMEOUT, DiscoveredPeers, EXCHANGED_DISCOVERED } from './discovered-peers.ts'
import { IdentifyRetries } from './identify-retries.ts'
import { PeerStoreSweep } from './peer-store-sweep.ts'
import { ViewSender } from './view-sender.ts'
import { CapacityHints } from './capacity-hints.ts'
import { announceEarlyDiscoveries, judgeEarlyConnections } from './early-peers.ts'
import { DIAL_TIE_BREAK_DELAY, DuplicateConnectionError, dialsAtOnce, secondOfCrossedPair } from './crossed-dials.ts'

// the error a crossed dial's closed connection carries, still importable from the peering
export { DuplicateConnectionError } from './crossed-dials.ts'
export { DENIED_FOR } from './denied-peers.ts'
export { MAX_DISCOVERED, MAX_DISCOVERY_DIALS } from './discovered-peers.ts'
export { MAX_CAPACITY_HINTS } from './capacity-hints.ts'

/**
 * How long a refused peer keeps its connection, so its identify of us can
 * finish (it is served nothing meanwhile: it is no member). 500 ms was too
 * short for a process just started on a loaded host (seen in CI): its
 * identify was cut off, so it never learned why and kept dialling.
 */
const REJECT_GRACE = 2_000

/** Characters of a refused peer's agent string (or the network it names) shown: ours is ~40. */
const MAX_AGENT_TEXT = 256

export interface PeeringInit {
  libp2p: VGuardLibp2p
  network: string
  bootstrap: string[]
  allowedPeers?: string[]
  reconnectInterval: number
  logger: ComponentLogger
  /** A member unreachable this long (ms) is forgotten (default LOST_MEMBER_FORGET_AFTER). */
  forgetLostAfter?: number
  /** A discovered peer never met within this long (ms) is given up (default DISCOVERED_RETRY_WINDOW). */
  discoveredRetryWindow?: number
  /** Refused peers remembered at most (default MAX_DENIED). */
  maxDenied?: number
  /** How long (ms) a peer identify refused is not dialled (default DENIED_FOR). */
  deniedFor?: number
  /** How often peers given up on leave the peer store, in ms (default PEER_STORE_SWEEP_INTERVAL). */
  peerStoreSweepInterval?: number
}

export class Peering {
  private readonly libp2p: VGuardLibp2p
  private events?: TypedEventEmitter<VGuardNodeEvents>
  private readonly network: string
  /** The bootstrap list: dialled each round, its failures said once. */
  private readonly bootstrap: BootstrapPeers
  private readonly allowed?: Set<string>
  /** Peers refused (by identify, by the gater) and bootstrap peers that hang up on us. */
  private readonly denied: DeniedPeers
  /** Refusals said in all, however many peer ids they come from. */
  private readonly rejections = new ReportLimit({ onSuppressed: (count) => { this.log('refused %d more peers in the last minute (not reported one by one)', count) } })
  private readonly members = new Set<string>()
  /** Peers discovered but not (yet) members, and their dial slots. */
  private readonly discovered: DiscoveredPeers
  /** Connected members by id: connectedMembers() runs on every consensus and liveness round, and libp2p.getPeers() parses every peer id string anew. */
  private readonly connected = new Map<string, PeerId>()
  private readonly dialing = new Set<string>()
  /** Gossip waiting for identify's verdict on the peer that relayed it (see memberVerdict). */
  private readonly verdicts = new MemberVerdicts()
  /** Gossip messages ignored as from outside the network (gossipValidator). */
  private gossipFromOutside = 0
  /** Members we lost: when to redial each, and when to forget it. */
  private readonly lost: LostMembers
  private readonly reconnectInterval: number
  private readonly forgetLostAfter: number
  /** Drops peers given up on from libp2p's peer store, now and then. */
  private readonly peerStoreSweep: PeerStoreSweep
  private readonly log: Logger
  private timer?: ReturnType<typeof setInterval>
  private readonly pending = new Set<ReturnType<typeof setTimeout>>()
  /** Identifies again connections whose first identify gave no verdict. */
  private readonly identifyRetries: IdentifyRetries
  private readonly exchange: PeerExchange
  /** Our view to each new member, tried again while its node is starting. */
  private readonly views: ViewSender
  /** Our storage figures, and those members advertised. */
  private readonly capacities = new CapacityHints()
  /** Notices members that went silent (no FIN/RST), so the reconnect loop takes over. */
  private readonly liveness: Liveness
  private running = false
  /** The node drains before a stop: it seeks no new peers and says nothing more of its bootstrap list. */
  private leaving = false

  constructor (init: PeeringInit) {
    this.libp2p = init.libp2p
    this.network = init.network
    this.allowed = init.allowedPeers != null ? new Set(init.allowedPeers) : undefined
    this.reconnectInterval = init.reconnectInterval
    this.forgetLostAfter = init.forgetLostAfter ?? LOST_MEMBER_FORGET_AFTER
    this.lost = new LostMembers(init.reconnectInterval, this.forgetLostAfter)
    this.discovered = new DiscoveredPeers(init.discoveredRetryWindow)
    this.denied = new DeniedPeers({ maxDenied: init.maxDenied ?? MAX_DENIED, deniedFor: init.deniedFor ?? DENIED_FOR, reconnectInterval: init.reconnectInterval })
    this.log = init.logger.forComponent('vguard:peering')
    this.peerStoreSweep = new PeerStoreSweep({
      libp2p: init.libp2p,
      interval: init.peerStoreSweepInterval,
      // a member (a lost one is still redialled), or a discovery still being retried
      keep: (id) => this.members.has(id) || this.discovered.has(id),
      running: () => this.running,
      log: this.log
    })
    this.bootstrap = new BootstrapPeers({
      libp2p: init.libp2p,
      addresses: init.bootstrap,
      denied: this.denied,
      isDenied: (peerId) => this.isDenied(peerId),
      // a leaving vehicle's bootstrap peers stopping with it are no news to its operator
      running: () => this.running && !this.leaving,
      lonely: () => this.connected.size === 0,
      dial: (target, key, address) => { this.dial(target, key, address) },
      events: () => this.events,
      log: this.log
    })
    this.identifyRetries = new IdentifyRetries({
      libp2p: init.libp2p,
      judged: (id) => this.connected.has(id) || this.denied.has(id),
      // the peering's own log lines, as before this moved
      log: this.log
    })
    this.exchange = new PeerExchange({
      libp2p: init.libp2p,
      network: init.network,
      members: () => this.connectedMembers(),
      // A member held as two processes of one identity (a clone: the paxos driver's watch) is not left out
      // here, as it is from replicate, release, read, sync and write: its views are still taken, direct and
      // gossiped. A view gives no say: its peers are hints, only dialled, each proven by Noise and judged by its
      // own identify, so a clone lists nobody into the network, and those it lists are members it is connected
      // to. Its storage figures only rank backup candidates, and a held clone is in no booth the node counts;
      // either process's figures are that process's own. Refused, its direct view would only reset the stream
      // and count as a view from outside the network (gossipDropped), which it is not; it learns what it is
      // from the members' hellos (docs/protocols.md, "Peer exchange").
      isMember: (peerId) => this.isMember(peerId),
      onPeer: (peerId, addrs) => { this.onExchangedPeer(peerId, addrs) },
      log: init.logger.forComponent('vguard:peer-exchange'),
      capacity: async () => await this.capacities.ours(),
      onCapacity: (peerId, hint, sequence) => { this.capacities.heard(peerId, hint, sequence) }
    })
    this.views = new ViewSender({
      sendTo: async (peerId) => { await this.exchange.sendTo(peerId) },
      running: () => this.running,
      isMember: (id) => this.connected.has(id),
      log: this.log
    })
    this.liveness = new Liveness({
      libp2p: init.libp2p,
      peers: () => this.connectedMembers(),
      log: init.logger.forComponent('vguard:liveness')
    })
  }

  /** What we advertise about our storage (set once the storage layer exists). */
  setCapacitySource (source: () => Promise<CapacityHint>): void {
    this.capacities.setSource(source)
  }

  /** The storage figures a member last advertised, if any. */
  capacityOf (peerId: string): CapacityHint | undefined {
    return this.capacities.of(peerId)
  }

  /** Our figures changed (a copy taken or released): tell the others soon. */
  announceSoon (): void {
    this.exchange.scheduleAnnounce()
  }

  /** Where peer events go (the node itself). */
  setEventTarget (events: TypedEventEmitter<VGuardNodeEvents>): void {
    this.events = events
  }

  /** Whether a peer id may take part at all: on the allow list of a permissioned network (any, on an open one). */
  isAllowed (id: string): boolean {
    return this.allowed == null || this.allowed.has(id)
  }

  /** Peers known to be outside the network: their gossip is ignored, and we do not dial them (discovery, the gater's dial checks). */
  isDenied (peerId: PeerId): boolean {
    const id = peerId.toString()
    if (this.allowed != null && !this.allowed.has(id)) return true
    return this.denied.has(id)
  }

  /**
   * The connection gater's check of an inbound connection: a peer off the
   * allow list, reported (peer:rejected, code not-allowed) — it never gets as
   * far as identify, where other refusals are said, and went unreported. A
   * peer identify refused is let in: its new connection is identified again,
   * and hung up on again if it still runs another network.
   */
  gate (peerId: PeerId): boolean {
    const id = peerId.toString()
    if (this.allowed == null || this.allowed.has(id)) return false
    // counted and said once a minute per peer, however often it redials
    if (this.denied.notAllowed(id) && this.rejections.allow()) {
      this.log('refusing %p: not on the allow list', peerId)
      this.events?.safeDispatchEvent('peer:rejected', { detail: { peerId: id, reason: 'not on the allow list', code: 'not-allowed' } })
    }
    return true
  }

  /**
   * Gossip (backup tables, peer exchange) from outside the network goes no
   * further: neither relayed by a peer refused here (one of another network
   * in the moments before we hang up), nor first published by a peer not on
   * the allow list (a member with a wider list relays it). Ignored, not
   * rejected: the relaying member may be honest, only configured otherwise,
   * and gossipsub's score would end up cutting it off.
   */
  readonly gossipValidator = async (propagator: PeerId, message: Message): Promise<TopicValidatorResult> => {
    // the propagator is connected to us: only a member's gossip counts (a peer that never answered
    // identify was neither member nor refused, and its views and tables were taken: a review)
    if (message.type !== 'signed' || this.isDenied(message.from) || !await this.memberVerdict(propagator)) {
      this.gossipFromOutside++
      return TopicValidatorResult.Ignore
    }
    return TopicValidatorResult.Accept
  }

  /**
   * A topic's validator: who sent the message (gossipValidator: Ignore),
   * then what it holds (`content`: Reject for junk a member signed, which
   * gossipsub scores down: gossip-score.ts).
   */
  validatorFor (content: (message: Message) => TopicValidatorResult | Promise<TopicValidatorResult>): (propagator: PeerId, message: Message) => Promise<TopicValidatorResult> {
    return async (propagator, message) => {
      const sender = await this.gossipValidator(propagator, message)
      return sender === TopicValidatorResult.Accept ? await content(message) : sender
    }
  }

  /** The peers topic's validator: a member's view, within peer exchange's limits. */
  get viewValidator (): (propagator: PeerId, message: Message) => Promise<TopicValidatorResult> {
    return this.validatorFor(this.exchange.judge)
  }

  /**
   * Whether a connected peer is a member, waiting for identify's verdict on
   * one not judged yet (see member-verdicts.ts).
   */
  private async memberVerdict (peer: PeerId): Promise<boolean> {
    if (this.isDenied(peer)) return false
    if (this.isMember(peer)) return true
    const verdict = this.verdicts.wait(peer.toString())
    if (verdict == null) return false
    return await verdict
  }

  /**
   * Peers refused so far, by why (vguard_peers_rejected_total): every one,
   * where peer:rejected says 10 a minute at most (a metric that counted the
   * events missed the rest: a review). A peer off the allow list counts once
   * a minute however often it redials.
   */
  peersRejected (): Record<PeerRejectedCode, number> {
    return this.denied.counts()
  }

  /** Gossip and views dropped, by why (vguard_gossip_dropped_total). */
  gossipDropped (): Record<'outside' | 'malformed-view' | 'view-from-outside', number> {
    return { outside: this.gossipFromOutside, 'malformed-view': this.exchange.dropped, 'view-from-outside': this.exchange.refused }
  }

  /** Connected peers that identify as members of our network. */
  connectedMembers (): PeerId[] {
    return [...this.connected.values()].filter(p => this.libp2p.getConnections(p).length > 0)
  }

  isMember (peerId: PeerId | string): boolean {
    return this.connected.has(peerId.toString())
  }

  start (): void {
    this.running = true
    this.verdicts.start()
    this.peerStoreSweep.start(performance.now())
    const { libp2p } = this
    libp2p.addEventListener('peer:discovery', this.onDiscovery)
    libp2p.addEventListener('peer:update', this.onUpdate)
    libp2p.addEventListener('peer:identify', this.onIdentify)
    libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    libp2p.addEventListener('connection:open', this.onConnectionOpen)
    this.exchange.start()
    this.liveness.start()
    this.bootstrap.dialAll()
    this.timer = setInterval(this.maintain, this.reconnectInterval)
    // peers met before we listened: judged, and announced, as if their events had reached us
    const early = { libp2p, running: () => this.running, onIdentify: this.onIdentify, onDiscovery: this.onDiscovery, log: this.log }
    judgeEarlyConnections({ ...early, isMember: (id) => this.connected.has(id) })
    void announceEarlyDiscoveries({ ...early, isDenied: (peerId) => this.isDenied(peerId) })
  }

  /** Notes a peer to meet (a member is known already); false (nothing noted) for a new one once `limit` are waiting. */
  private remember (peerId: PeerId, limit?: number): boolean {
    const id = peerId.toString()
    return this.members.has(id) || this.discovered.remember(id, limit)
  }

  /**
   * The node is about to stop (it drains): only members are dialled again
   * (a write being committed may need its booth back); bootstrap addresses
   * and discoveries are not, and a bootstrap peer gone is not said. A swarm
   * stopped at once printed "bootstrap unreachable" for each vehicle's peers
   * after its "stopping" (a soak).
   */
  leave (): void {
    this.leaving = true
  }

  stop (): void {
    this.running = false
    clearInterval(this.timer)
    this.pending.forEach(clearTimeout)
    this.pending.clear()
    this.views.stop()
    this.verdicts.stop()
    this.exchange.stop()
    this.liveness.stop()
    const { libp2p } = this
    libp2p.removeEventListener('peer:discovery', this.onDiscovery)
    libp2p.removeEventListener('peer:update', this.onUpdate)
    libp2p.removeEventListener('peer:identify', this.onIdentify)
    libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    libp2p.removeEventListener('connection:open', this.onConnectionOpen)
  }

  private readonly onDiscovery = (evt: CustomEvent<{ id: PeerId, multiaddrs: Array<{ toString: () => string }> }>): void => {
    const { id, multiaddrs } = evt.detail
    this.events?.safeDispatchEvent('peer:discovered', {
      // libp2p may list an address twice (an mDNS answer and the peer store's copy)
      detail: { peerId: id.toString(), addresses: [...new Set(multiaddrs.map(m => m.toString()))] }
    })
    // the gater would refuse the dial; remembering it would only keep it in the peer store
    if (this.isDenied(id) || !this.remember(id)) return
    this.dialOnce(id)
  }

  /** A discovered peer is dialled by one side of the pair only, at first (see dialsAtOnce). */
  private dialOnce (id: PeerId): void {
    if (dialsAtOnce(this.libp2p.peerId, id)) {
      this.dial(id)
      return
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer)
      if (this.libp2p.getConnections(id).length === 0) this.dial(id)
    }, DIAL_TIE_BREAK_DELAY)
    this.pending.add(timer)
  }

  /** A new connection: a crossed dial's second half closes, and strangers leave room for members. */
  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    this.closeCrossedDial(evt.detail)
    this.keepRoomForMembers()
  }

  /**
   * The oldest connections of peers not known for members make way for a
   * new one past MAX_STRANGER_CONNECTIONS (src/node/stranger-room.ts). A
   * member we lost is known: its new connection counts before identify ends.
   */
  private keepRoomForMembers (): void {
    for (const connection of strangersPastLimit(this.libp2p.getConnections(), (peer) => this.members.has(peer.toString()))) {
      this.log('closing %s of %p: too many connections of peers not known for members', connection.id, connection.remotePeer)
      // at once: a stranger is owed no graceful close, and the room must be free for the next dial
      connection.abort(new StrangerLimitError())
    }
  }

  /** Closes a connection that opens as the second of a crossed pair of dials (see secondOfCrossedPair). */
  private closeCrossedDial (connection: Connection): void {
    if (!secondOfCrossedPair(this.libp2p.peerId, connection, this.libp2p.getConnections(connection.remotePeer), Date.now())) return
    this.log('%p dialled us as we dialled it: closing the second connection %s (%s)', connection.remotePeer, connection.id, connection.direction)
    // at once, not gracefully: nothing of ours runs on it yet, and the
    // peer's identify of it would hold a graceful close open
    connection.abort(new DuplicateConnectionError(`${connection.remotePeer.toString()} dialled us as we dialled it`))
  }

  private readonly onUpdate = (evt: CustomEvent<{ peer: { id: PeerId } }>): void => {
    // a known peer that restarted on a new port shows up here, not as a discovery
    const id = evt.detail.peer.id
    if (this.libp2p.getConnections(id).length === 0 && !this.isDenied(id) && this.remember(id)) this.dialOnce(id)
  }

  private readonly onIdentify = (evt: CustomEvent<{ peerId: PeerId, agentVersion?: string }>): void => {
    const { peerId, agentVersion } = evt.detail
    const id = peerId.toString()
    const network = networkOfAgent(agentVersion)
    let reason: string | undefined
    let code: PeerRejectedCode = 'not-vguard-node'
    // the agent string is the peer's to choose (identify allows 8 KiB of it): shown escaped and cut, in the log,
    // the peer:rejected event and a terminal's `peer rejected` line (until 2026-12-03 it went there raw)
    if (network == null) reason = `not a vguard-node (${agentVersion != null ? peerText(agentVersion, MAX_AGENT_TEXT) : 'no agent'})`
    else if (network !== this.network) [reason, code] = [`network ${peerText(network, MAX_AGENT_TEXT)} is not ${this.network}`, 'other-network']
    else if (this.allowed != null && !this.allowed.has(id)) [reason, code] = ['not on the allow list', 'not-allowed']
    if (reason != null) {
      this.denied.count(code)
      const say = this.rejections.allow()
      if (say) this.log('refusing %p: %s', peerId, reason)
      this.denied.add(id)
      this.members.delete(id)
      // a member that identifies as another network now is no member from now on, not once we hang up
      if (this.connected.delete(id)) this.events?.safeDispatchEvent('peer:disconnected', { detail: { peerId: id } })
      this.lost.found(id)
      this.discovered.forget(id)
      if (say) this.events?.safeDispatchEvent('peer:rejected', { detail: { peerId: id, reason, code } })
      this.verdicts.settle(id, false)
      // hang up a moment later: the other side's identify of us is usually
      // still in flight, and once we deny it cannot reconnect to learn why,
      // so it would keep dialling a vehicle of another network blindly
      const timer = setTimeout(() => {
        this.pending.delete(timer)
        void this.libp2p.hangUp(peerId).catch(() => {})
      }, REJECT_GRACE)
      this.pending.add(timer)
      return
    }
    // libp2p writes the peer store between the peer's identify answer and this event: a peer that hung
    // up meanwhile had its peer:disconnect first, and counted as a connected member for good (a review)
    if (this.libp2p.getConnections(peerId).length === 0) {
      this.verdicts.settle(id, false)
      return
    }
    this.members.add(id)
    // once of another network, now of ours (a typo fixed): dialled again like any member
    this.denied.forgive(id)
    this.lost.found(id)
    this.discovered.forget(id)
    void this.libp2p.peerStore.merge(peerId, { tags: { [KEEP_ALIVE]: { value: 1 } } }).catch(() => {})
    if (!this.connected.has(id)) {
      this.connected.set(id, peerId)
      this.events?.safeDispatchEvent('peer:connected', { detail: { peerId: id } })
      // a new member hears who we know (and our storage figures) at once, and only it
      this.views.sendView(peerId)
    }
    this.verdicts.settle(id, true)
  }

  /**
   * A peer another member told us about: remember its addresses and meet it.
   * A member's addresses are left as identify told them: a view's are only a
   * member's word. Views used to merge into the peer store with no bound: one
   * member listing 32 made-up addresses for a member we lost kept us from ever
   * redialling it (libp2p dials 25 addresses of a peer at most, loopback and
   * private ones last), and 1,024 addresses for one peer stalled the event
   * loop (each merge re-encodes the whole record: a review). A discovery's
   * addresses are the last view's, at most MAX_ADDRS_PER_PEER.
   */
  private onExchangedPeer (peerId: PeerId, addrs: Multiaddr[]): void {
    if (this.isDenied(peerId) || this.libp2p.getConnections(peerId).length > 0) return
    const id = peerId.toString()
    if (this.members.has(id)) {
      // a member we lost, back as far as someone else can tell: dialled at the addresses identify gave
      this.dialOnce(peerId)
      return
    }
    // noted before it is stored: past the bound, it is not stored either. Views fill three quarters
    // of it at most: what mDNS finds on the LAN itself still has room during a flood of views
    if (!this.remember(peerId, EXCHANGED_DISCOVERED)) return
    this.libp2p.peerStore.patch(peerId, { multiaddrs: addrs.slice(0, MAX_ADDRS_PER_PEER) })
      .then(() => {
        // lists travel fast and wide: the peer has probably heard of us by now too
        this.dialOnce(peerId)
      })
      .catch((err: Error) => { this.log.trace('could not store exchanged peer %p: %s', peerId, err.message) })
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString()
    // gone before identify judged it: its gossip waits no longer (a review)
    if (!this.connected.has(id)) {
      this.verdicts.settle(id, false)
      // what identify said of a refused peer (another network) goes: the protocols judge a peer not counted
      // a member by its stored agent, and its next connection may run ours (restarted with a typo fixed)
      if (this.denied.has(id)) void this.libp2p.peerStore.merge(evt.detail, { metadata: { AgentVersion: undefined } }).catch(() => {})
      else if (this.running) this.bootstrap.hungUp(id)
    }
    if (this.connected.delete(id)) {
      this.events?.safeDispatchEvent('peer:disconnected', { detail: { peerId: id } })
    }
  }

  private dial (target: PeerId | ReturnType<typeof multiaddr>, key = target.toString(), bootstrap?: string): void {
    if (!this.running || this.dialing.has(key)) return
    if (this.leaving && !this.members.has(key)) return
    // a bootstrap peer that keeps hanging up before identify waits out its backoff whatever dials it: as a
    // discovery (@libp2p/bootstrap announces it) the reconnect loop redialled it every interval for a
    // minute after we said it would be dialled less often (a review)
    if (this.denied.backingOff(key)) return
    // a discovery (not a member, not a bootstrap address) waits while enough of them are dialled: the reconnect loop tries it again
    const discovery = bootstrap == null && this.discovered.has(key)
    if (discovery && !this.discovered.takeDialSlot(key)) return
    this.dialing.add(key)
    const timeout = discovery ? Math.min(DISCOVERY_DIAL_TIMEOUT, this.reconnectInterval * 5) : this.reconnectInterval * 5
    this.libp2p.dial(target, { signal: AbortSignal.timeout(timeout) })
      .then(() => { if (bootstrap != null) this.bootstrap.reached(bootstrap) })
      .catch((err: Error) => {
        this.log.trace('dial %s failed: %s', key, err.message)
        if (bootstrap != null) this.bootstrap.failed(bootstrap, err.message)
      })
      .finally(() => {
        this.dialing.delete(key)
        if (discovery) this.discovered.freeDialSlot()
      })
  }

  private readonly maintain = (): void => {
    this.bootstrap.dialAll()
    const now = performance.now()
    this.peerStoreSweep.sweepIfDue(now)
    this.identifyRetries.run()
    for (const id of this.members) {
      const peerId = peerIdFromString(id)
      if (this.libp2p.getConnections(peerId).length > 0) {
        this.lost.found(id)
        continue
      }
      const step = this.lost.step(id, now)
      if (step === 'dial') this.dial(peerId)
      if (step === 'forget') {
        this.log('forgetting %s: unreachable for %d s', id, Math.round(this.forgetLostAfter / 1000))
        this.members.delete(id)
        this.capacities.forget(id)
        // no connection for forgetLostAfter: no connected member either, whatever event went missing
        if (this.connected.delete(id)) this.events?.safeDispatchEvent('peer:disconnected', { detail: { peerId: id } })
      }
    }
    for (const id of this.discovered.due(now)) {
      const peerId = peerIdFromString(id)
      if (this.libp2p.getConnections(peerId).length === 0) this.dial(peerId)
    }
  }
}
