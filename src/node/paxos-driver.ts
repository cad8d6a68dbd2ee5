/**
 * The only I/O loop of booth consensus. It owns the /vguard/paxos/1.0.0
 * transport and one ChainReplica per chain this node takes part in — its own
 * chain (proposer), other vehicles' chains (booth member), the shared chain
 * (elected leader or follower) — ticks them every TICK_MS, routes inbound
 * messages to them; which shared chain it runs is shared-chain-choice.ts's.
 *
 * Who may say what (the transport already guarantees the sender is an
 * authenticated, connected member of our network):
 * - about another vehicle's chain, only that vehicle may talk to us: a
 *   prepare, accept, heartbeat or decided value about chain X from anyone
 *   but X is a forgery and is dropped (the state machine would also refuse
 *   ballots X does not own, but not forged decided values);
 * - about the shared chain, only members of the same shared chain (same
 *   founder in their hello) are heard;
 * - a replica for another vehicle's chain is created only when that vehicle
 *   asks us to take part (prepare, accept, heartbeat), up to `memberChains`
 *   at once.
 *
 * Member replicas do not pile up over a vehicle's life on the road: the
 * quiet ones are retired (member-retirement.ts).
 */
import type { ComponentLogger, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { LinkedSignal } from '../protocols/stream.ts'
import type { TypedEventEmitter } from 'main-event'
import type { Candidate, ElectionConfig, Message, ProposerProofs } from '../consensus/index.ts'
import { ownValueProofs } from './value-proofs.ts'
import { fromHex, toHex } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { headerAt } from '../storage/header-at.ts'
import type { NodeDatabase } from '../storage/database.ts'
import { LevelPaxosStore } from '../storage/paxos-store.ts'
import { CLONE_WINDOW, PaxosTransport } from '../protocols/paxos/index.ts'
import type { ChainMessage, HelloInfo } from '../protocols/paxos/index.ts'
import type { Sync } from '../protocols/sync/index.ts'
import { MAX_PROBLEM_LENGTH } from '../protocols/write/index.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import type { VGuardNodeEvents } from './events.ts'
import { ChainReplica } from './paxos-replica.ts'
import type { ConsensusRecordStore, ReplicaDeps, ReplicaKind, ReplicaStatus, ReplicationSummary } from './replica-types.ts'
import type { ReplicationOutcome } from './vguarddb.ts'
import { EarlyMessages } from './early-messages.ts'
import { adoptableFounder, heardPriority, permissionedGenesis, wellFormedBest, wellFormedBooth, wellFormedGenesis, PERMISSIONED_PREFIX } from './shared-formation.ts'
import type { PermissionedGenesis } from './shared-formation.ts'
import { SHARED_CHAIN, TICK_MS, WRITE_IDS_WAIT } from './paxos-constants.ts'
import { SharedChainChoice } from './shared-chain-choice.ts'
import { MemberRetirement } from './member-retirement.ts'
import { ChainRecoveryError, ConsensusStoppedError } from './consensus-errors.ts'
import { fetchPlan, recoverOwnChain } from './own-chain-recovery.ts'
import { Incarnations, INCARNATION_BYTES } from './incarnations.ts'
import { UndecidedBudget } from './undecided-budget.ts'
import { backupsBeyondBooth } from './config.ts'
import { ForgetfulMembers } from './forgetful-members.ts'

/** A peer id in a hello's lists: longer is none (an Ed25519 id is 52 characters, an RSA one some 46). */
const MAX_PEER_ID_CHARS = 128

export interface PaxosDriverComponents {
  libp2p: VGuardLibp2p
  /** Our key: we sign the values we propose on our own chain (value-proofs.ts). */
  privateKey: PrivateKey
  chains: ChainStore
  database: NodeDatabase
  logger: ComponentLogger
  events: TypedEventEmitter<VGuardNodeEvents>
  /** Connected members of our network (the peering's view). */
  connectedMembers: () => PeerId[]
  isMember: (peer: PeerId) => boolean
  /** Replicate → table → release after a commit of our own chain. */
  afterCommit: (chainId: string, participants: string[], height: number) => Promise<ReplicationOutcome>
  sync: Pick<Sync, 'fetch' | 'writeIds'>
  /** Who may hold our own chain, likeliest first, and which of them our own tables name (VGuardDB.ownChainHolders). */
  ownChainHolders: () => Promise<{ holders: string[], named: string[] }>
  /** Whether our own tables prove our chain went another way than its backups' (OwnChainReturn.againstTables): the error to stop with. */
  ownTableConflict?: () => Promise<Error | undefined>
  /** How far our backups hold our chain (our newest table's held point), told to our booth; undefined: no table. */
  ownHeldHeight?: () => number | undefined
  boothSize: number
  priority: number
  /** Backups per chain: 0 means no replication round after commits. */
  kBackups: number
  /** A permissioned network's members: the shared chain starts from all of them, no founding (shared-formation.ts). */
  allowedPeers?: string[]
  /** Other vehicles' chains served as a booth member at once. */
  memberChains: number
  /** Bytes of undecided values all member chains together may hold (UndecidedBudget). */
  memberUndecidedBytes: number
  /** ms after which a vehicle that left is let go: a member replica whose proposer went silent, a disconnected candidate. */
  memberIdle: number
  random?: () => number
  /** Wall-clock ms, for block timestamps. @default Date.now */
  now?: () => number
  /** What remembered writes are stamped and aged by (MemoryClock). @default now */
  memoryNow?: () => number
}

export interface DriverStats {
  /** Messages dropped because their sender may not say that (forged, other shared chain, unknown chain). */
  refused: number
}

/** Messages about a vehicle's chain that only its proposer may send. */
const OWNER_ONLY = new Set<Message['type']>(['prePrepare', 'prepare', 'accept', 'heartbeat', 'decided', 'snapshot'])
/** Messages by which a vehicle enlists us in its booth. */
const ENLIST = new Set<Message['type']>(['prepare', 'accept', 'heartbeat'])

export class PaxosDriver {
  readonly transport: PaxosTransport
  readonly stats: DriverStats = { refused: 0 }
  private readonly c: PaxosDriverComponents
  private readonly log: Logger
  private readonly self: string
  /** Our own chain's value proofs (none with a key that is not Ed25519). */
  private readonly proofs?: ProposerProofs
  private readonly store: LevelPaxosStore
  /** Which shared chain we run, and its record. */
  private readonly choice: SharedChainChoice
  private readonly replicas = new Map<string, ChainReplica>()
  private readonly opening = new Map<string, Promise<ChainReplica>>()
  private readonly early = new EarlyMessages()
  private readonly retirement: MemberRetirement
  private sweep: Promise<void> = Promise.resolve()
  private readonly hellos = new Map<string, HelloInfo>()
  /** What each peer's database made it (their hellos), and ours. */
  private readonly incarnations: Incarnations
  /** What the member chains hold undecided, together (UndecidedBudget). */
  private readonly undecided: UndecidedBudget
  /**
   * Members that lost their database (their hello shows another incarnation
   * than we remember, or a member says it holds them back): their
   * shared-chain messages but catch-up requests are dropped until every slot
   * they may have voted for before is decided here (forgetful-members.ts).
   */
  private readonly forgetful: ForgetfulMembers
  /** Connected members whose shared chain we refuse (SharedChainChoice.refusal), as our hellos to them last said. */
  private readonly refusing = new Set<string>()
  /** Vehicles that disconnected, and when: after memberIdle their hello (and candidacy) is forgotten. */
  private readonly departed = new Map<string, number>()
  private readonly permissioned?: PermissionedGenesis
  /** Connected members' ids, kept from peer events (and refreshed every second): read on every pump. */
  private members: string[] = []
  /** A formation step running now (tick starts one at a time). */
  private forming?: Promise<void>
  private ticks = 0
  private timer?: ReturnType<typeof setInterval>
  private running = false
  /** Aborted by stop(): chain fetches (snapshots, a vehicle's chain from its holders). */
  private fetches = new AbortController()

  constructor (components: PaxosDriverComponents) {
    this.c = components
    this.log = components.logger.forComponent('vguard:consensus')
    this.self = components.libp2p.peerId.toString()
    this.proofs = ownValueProofs(this.self, components.privateKey)
    if (this.proofs == null) this.log('our key is %s, not Ed25519: our chain runs without value proofs (a member could write into it)', components.privateKey.type)
    this.store = new LevelPaxosStore(components.database)
    this.incarnations = new Incarnations(components.database.sublevel('incarnations'))
    this.undecided = new UndecidedBudget(components.memberUndecidedBytes)
    this.retirement = new MemberRetirement({
      self: this.self,
      replicas: this.replicas,
      opening: this.opening,
      store: this.store,
      openMember: async (chainId) => await this.openReplica(chainId, 'member'),
      limit: components.memberChains,
      idle: components.memberIdle,
      // how long a proposer went silent: a step of the wall clock let a live booth go (a probe)
      now: () => this.elapsed(),
      running: () => this.running,
      log: this.log
    })
    if (components.allowedPeers != null) this.permissioned = permissionedGenesis(components.allowedPeers, this.self)
    this.choice = new SharedChainChoice({
      self: this.self,
      log: this.log,
      priority: components.priority,
      permissioned: this.permissioned,
      allowedPeers: components.allowedPeers,
      store: this.store,
      chains: components.chains,
      db: components.database.sublevel('consensus'),
      connectedMembers: () => this.c.connectedMembers().map(p => p.toString()),
      hello: (peer) => this.hellos.get(peer),
      elapsed: () => this.elapsed(),
      incarnation: () => toHex(this.incarnations.self),
      incarnationOf: (peer) => this.incarnations.of(peer),
      shared: () => this.shared(),
      openShared: async () => await this.replica(SHARED_CHAIN, 'shared'),
      closeShared: async () => {
        await this.shared()?.close()
        this.replicas.delete(SHARED_CHAIN)
      },
      chainChanged: async () => { await this.forgetful.resetChain() },
      announce: () => {
        this.sayHello()
        // announced now: members that refuse our chain count no more (refusesOurs)
        this.shared()?.updateElection(this.sharedElection())
      }
    })
    this.forgetful = new ForgetfulMembers({
      self: this.self,
      log: this.log,
      incarnations: this.incarnations,
      shared: () => this.shared(),
      sameChain: (h) => this.choice.sameChain(h),
      wipedFounder: () => this.choice.wipedFounder(),
      members: () => this.members,
      hello: (peer) => this.hellos.get(peer),
      announce: () => { this.sayHello() },
      ticks: () => this.ticks
    })
    this.transport = new PaxosTransport({
      libp2p: components.libp2p,
      logger: components.logger,
      isMember: components.isMember
    })
    this.transport.onMessage = (from, cm) => { this.onMessage(from, cm) }
    this.transport.onHello = (from, hello) => { this.onHello(from, hello) }
    this.transport.refusesChainOf = (peer) => this.refusing.has(peer)
    // a peer two processes run counts as no member: no booth, vote or election of ours counts it
    this.transport.onClonesChanged = (changes) => {
      for (const { peer, cloned } of changes) this.c.events.safeDispatchEvent('peer:cloned', { detail: { peerId: peer, cloned } })
      // the clones hear it from us: one that finds its own id in a hello knows
      if (changes.length > 0) this.sayHello()
      this.refreshMembers()
      this.choice.viewChanged()
      this.shared()?.updateElection(this.sharedElection())
      this.shared()?.checkBooth()
    }
  }

  private now (): number {
    return (this.c.now ?? Date.now)()
  }

  /** Monotonic ms for how long the view has been stable and members have been gone (a wall-clock step must not move them). */
  private elapsed (): number {
    return performance.now()
  }

  async start (): Promise<void> {
    if (this.running) return
    try {
      await this.startParts()
    } catch (err) {
      // undo what started (a retried start found running set and did nothing: its writes hung for good),
      // all but closing the value logs' files: a start may be retried, the store is not opened again
      this.running = true
      await this.pause().catch(() => {})
      throw err
    }
  }

  private async startParts (): Promise<void> {
    this.fetches = new AbortController()
    await this.incarnations.open()
    this.transport.setIncarnation(this.incarnations.self)
    this.forgetful.start()
    await this.transport.start()
    this.running = true
    await this.choice.load()
    this.sayHello()
    // a restarted proposer runs phase 1 before it proposes again
    if ((await this.store.chains()).includes(this.self)) await this.replica(this.self, 'own')
    await this.choice.resume()
    this.refreshMembers()
    this.c.events.addEventListener('peer:connected', this.onConnected)
    this.c.events.addEventListener('peer:disconnected', this.onDisconnected)
    for (const peer of this.c.connectedMembers()) this.transport.greet(peer.toString())
    this.timer = setInterval(() => { this.tick() }, TICK_MS)
    this.sweep = this.retirement.retireLeftovers()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    await this.pause()
    // the value logs' files (the node closes the database after us)
    await this.store.close()
  }

  /** Closes the value logs' files (idempotent): after stop(), or for good after a start that failed. */
  async closeFiles (): Promise<void> {
    await this.store.close()
  }

  /** Ends what start() started but leaves the value logs' files open: a start may follow (a failed one's retry). */
  async pause (): Promise<void> {
    if (!this.running) return
    this.running = false
    // a fetch of a chain runs inside a replica's loop, which close() waits for
    this.fetches.abort(new ConsensusStoppedError('the node is stopping'))
    clearInterval(this.timer)
    await this.forming
    this.c.events.removeEventListener('peer:connected', this.onConnected)
    this.c.events.removeEventListener('peer:disconnected', this.onDisconnected)
    await this.sweep
    await Promise.allSettled([...this.opening.values()])
    await this.retirement.settle()
    await Promise.allSettled([...this.replicas.values()].map(async r => { await r.close() }))
    this.replicas.clear()
    await this.transport.stop()
  }

  /** This vehicle's own chain (created on first use: consensus continues the chain from its tip). */
  async own (): Promise<ChainReplica> {
    if (!this.running) throw new ConsensusStoppedError('consensus is not running')
    return await this.replica(this.self, 'own')
  }

  /** The booth our own chain's next write would get, if our chain runs consensus in this run (ChainReplica.nextBooth). */
  ownNextBooth (): string[] | undefined {
    return this.replicas.get(this.self)?.nextBooth()
  }

  /** The shared chain, once founded or adopted. */
  shared (): ChainReplica | undefined {
    return this.replicas.get(SHARED_CHAIN)
  }

  /** Where our own chain's consensus record lives outside the database (set at start, before our replica opens). */
  ownConsensusRecord?: ConsensusRecordStore

  /** This node's database's incarnation (hex), once started: what tells it from the database it replaced. */
  incarnation (): string {
    return toHex(this.incarnations.self)
  }

  /** Runs consensus for this chain already (own chain only). */
  hasOwn (): boolean {
    return this.replicas.has(this.self) || this.opening.has(this.self)
  }

  /** Whether our own chain has consensus state on disk (then endOfBooth must go through consensus). */
  async ownStarted (): Promise<boolean> {
    if (this.hasOwn()) return true
    return (await this.store.chains()).includes(this.self)
  }

  /**
   * Whether our consensus decided blocks of our own chain, whatever this
   * node's consensus state says: its tip carries a ballot (VGuard's direct
   * endOfBooth blocks carry none, and once consensus runs on a chain every
   * block goes through it). A node that lost its database fetches such a
   * chain back from its backups with no consensus state; a block appended
   * directly on it would stand beside the slots its booth decided (a soak
   * forked a chain so).
   */
  async ownDecidedByConsensus (): Promise<boolean> {
    const tip = await this.c.chains.tip(this.self)
    return (await headerAt(this.c.chains, this.self, tip.height))?.header.ballot != null
  }

  get sharedFounder (): string | undefined {
    return this.choice.formation?.founder
  }

  /** The founder's incarnation (hex) when it founded our shared chain, once known (a permissioned chain has none). */
  get sharedFounding (): string | undefined {
    return this.choice.formation?.founding
  }

  /**
   * A permissioned shared chain: the members its genesis booth holds (a majority of them starts it). The
   * chain's own, as its record keeps it, not the allow list's now: after a member was added to the lists the
   * chain goes on under the earlier list's id (the new list makes another), and until 2026-12-03 this was
   * then undefined; so after the list was dropped.
   */
  get sharedMembers (): string[] | undefined {
    if (this.choice.formation?.founder.startsWith(PERMISSIONED_PREFIX) !== true) return undefined
    const genesis = this.choice.genesis()
    return genesis == null ? undefined : [...genesis]
  }

  /** Who this node accepts as the shared chain's leader now: itself and the members whose hello names our shared chain. */
  get sharedCandidates (): string[] | undefined {
    return this.shared()?.candidates()
  }

  /** Connected members that belong to another shared chain than ours. */
  sharedConflicts (): string[] {
    if (this.choice.formation == null) return []
    const connected = new Set(this.members)
    return [...this.hellos.entries()].filter(([id, h]) => connected.has(id) && h.sharedGenesis !== '' && !this.choice.sameChain(h)).map(([id]) => id)
  }

  status (): ReplicaStatus[] {
    return [...this.replicas.values()].map(r => r.status())
  }

  replicaOf (chainId: string): ChainReplica | undefined {
    return this.replicas.get(chainId)
  }

  /** Connected members as booth candidates (a shared-chain booth takes only members of our shared chain). */
  private connected (kind: ReplicaKind): string[] {
    const ids = this.members
    if (kind !== 'shared') return ids
    // members of our shared chain, and vehicles in none yet (they join when they hear of it), but for those
    // that refuse it (they left it: until 2026-12-03 one in none was seated, and never filled its seat)
    return ids.filter(id => this.sharedCandidate(this.hellos.get(id)))
  }

  /** Whether a hello's sender may sit in our shared chain's booth and lead it: it runs the chain, or none yet, and does not refuse it. */
  private sharedCandidate (h: HelloInfo | undefined): boolean {
    return h != null && !this.refusesOurs(h) && (h.sharedGenesis === '' || this.choice.sameChain(h))
  }

  /**
   * Whether a hello's sender refuses our shared chain (Hello.sharedRefused). Only once we announce it: before,
   * our hello named none, and the flag says only that its sender founds none (it left every chain its members
   * run); the chain we found may well be one it joins, once announced, so it may have a seat meanwhile (a
   * founder that kept it out never moved its booth past itself, never announced, and waited for good).
   */
  private refusesOurs (h: HelloInfo): boolean {
    return h.sharedRefused === true && this.choice.formation?.announced === true
  }

  /** Vehicles that refuse our shared chain (refusesOurs), connected or gone a while: a seat of theirs goes. */
  private refusedShared (): string[] {
    return [...this.hellos].filter(([, h]) => this.refusesOurs(h)).map(([id]) => id)
  }

  /**
   * Brings Hello.sharedRefused up to date for each connected member (it says whether we refuse the chain the
   * member's hello names, so it is per link): one whose answer changed is greeted again. Run when a hello
   * comes, when members come or go, and when our record changes (sayHello).
   */
  private updateRefusals (): void {
    const refuses = this.choice.refusal()
    for (const id of this.members) {
      const refused = refuses(this.hellos.get(id))
      if (refused === this.refusing.has(id)) continue
      if (refused) this.refusing.add(id)
      else this.refusing.delete(id)
      this.transport.greet(id)
    }
    const connected = new Set(this.members)
    for (const id of this.refusing) if (!connected.has(id)) this.refusing.delete(id)
  }

  /** Hands the transport our hello as it stands now (sent on every stream, again when it changes). */
  private sayHello (): void {
    this.transport.setHello(this.hello())
    this.updateRefusals()
  }

  private hello (): HelloInfo {
    const f = this.choice.formation
    // what we know of members that lost their database goes in every hello: a newcomer must learn it
    const clones = this.clonedPeers()
    const forgetful = { ...this.forgetful.helloFields(), ...(clones.length > 0 ? { clones } : {}) }
    if (f == null || !f.announced) {
      const best = this.choice.formingBest()
      return { priority: this.c.priority, sharedGenesis: '', ...(best == null ? {} : { formingBest: best }), ...forgetful }
    }
    // a permissioned chain's booth goes with its id: a member whose own chain holds nothing can join it
    const sharedBooth = f.founder.startsWith(PERMISSIONED_PREFIX) ? this.choice.genesis() : undefined
    const sharedHeld = (this.shared()?.status().decided ?? 0) > 0
    const founding = f.founding == null ? {} : { sharedFounding: fromHex(f.founding) }
    return { priority: this.c.priority, sharedGenesis: f.founder, sharedHeld, ...(sharedBooth == null ? {} : { sharedBooth }), ...founding, ...forgetful }
  }

  private sharedElection (): ElectionConfig {
    const mine = this.choice.formation?.founder
    const candidates: Candidate[] = [{ id: this.self, priority: this.c.priority }]
    for (const [id, h] of this.hellos) {
      if (this.sharedCandidate(h)) candidates.push({ id, priority: h.priority })
    }
    // a founder (not a permissioned genesis id) is a candidate even before its hello, not once its hello names
    // another chain or refuses ours (until 2026-12-03 it was then a candidate of priority 0 all the same)
    if (mine != null && !mine.startsWith(PERMISSIONED_PREFIX) && mine !== this.self && !this.hellos.has(mine)) candidates.push({ id: mine, priority: 0 })
    candidates.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    return { mode: 'elected', candidates }
  }

  private async replica (chainId: string, kind: ReplicaKind): Promise<ChainReplica> {
    const open = this.replicas.get(chainId)
    if (open != null) return open
    let opening = this.opening.get(chainId)
    if (opening == null) {
      const retiring = this.retirement.whenRetired(chainId)
      opening = retiring == null ? this.openReplica(chainId, kind) : retiring.then(async () => await this.openReplica(chainId, kind))
      this.opening.set(chainId, opening)
      opening
        .then((r) => {
          this.replicas.set(chainId, r)
          // hellos that came while it opened found no replica to tell: the election it opened with may miss their senders
          if (kind === 'shared') r.updateElection(this.sharedElection())
          for (const cm of this.early.take(chainId)) r.step(cm.message, cm.point, cm.chainAt, cm.held)
        })
        .catch((err: Error) => { this.log.error('cannot open consensus for %s: %e', chainId, err) })
        .finally(() => {
          this.opening.delete(chainId)
          this.early.take(chainId)
        })
    }
    return await opening
  }

  private async openReplica (chainId: string, kind: ReplicaKind): Promise<ChainReplica> {
    const deps: ReplicaDeps = {
      chainId,
      self: this.self,
      kind,
      storage: this.store.storage(chainId),
      store: this.c.chains,
      send: (messages) => { this.transport.send(messages) },
      connected: () => this.connected(kind),
      ...(kind === 'shared' ? { refused: () => this.refusedShared() } : {}),
      boothSize: this.c.boothSize,
      log: this.c.logger.forComponent(`vguard:consensus:${chainId === this.self ? 'own' : chainId === SHARED_CHAIN ? 'shared' : chainId.slice(-8)}`),
      random: this.c.random ?? Math.random,
      now: () => this.now(),
      memoryNow: this.c.memoryNow ?? (() => this.now())
    }
    if (kind === 'member') deps.undecided = this.undecided
    if (kind !== 'member') {
      deps.onApplied = (run) => {
        this.c.events.safeDispatchEvent('chain:committed', {
          detail: { chainId, role: kind, height: run.tip.height, hash: toHex(run.tip.hash), blocks: run.blocks, transactions: run.transactions, booth: run.booth }
        })
      }
    }
    // with k = 0 there is nothing to replicate: no round (no table to sign and gossip per commit)
    if (kind === 'own' && this.c.kBackups > 0) {
      // a k no booth of ours can meet: the library's caller hears why in every partial round (the CLI warns at start)
      const beyond = backupsBeyondBooth({ kBackups: this.c.kBackups, boothSize: this.c.boothSize })
      deps.afterCommit = async (participants, height) => replicationSummary(await this.c.afterCommit(chainId, participants, height), beyond)
    }
    if (kind === 'shared') {
      deps.fetchTo = async (peer, height, hash) => {
        await this.c.sync.fetch(peerIdFromString(peer), chainId, { to: height, vouch: { height, hash }, signal: this.fetches.signal })
      }
      deps.fetchWriteIds = async (peer, from, to) => {
        // not AbortSignal.any: it would leave an entry on the long-lived stop signal (LinkedSignal)
        const deadline = new LinkedSignal([this.fetches.signal, AbortSignal.timeout(WRITE_IDS_WAIT)])
        try {
          return await this.c.sync.writeIds(peerIdFromString(peer), chainId, from, to, { signal: deadline.signal })
        } finally {
          deadline.clear()
        }
      }
    }
    if (kind === 'own') {
      deps.proofs = this.proofs
      deps.consensusRecord = this.ownConsensusRecord
      deps.heldHeight = this.c.ownHeldHeight
      deps.tableConflict = this.c.ownTableConflict
      // our data dir lost part of our chain: its holders have it
      deps.fetchTo = async (peer, height, hash, options) => {
        const from = await recoverOwnChain({
          chainId,
          height,
          hash,
          ...fetchPlan(await this.c.ownChainHolders(), peer, options?.proof === true),
          fetch: async (holder, vouch) => { await this.fetchVouched(holder, chainId, vouch) },
          tipHeight: (await this.c.chains.tip(chainId)).height
        }).catch(async (err: Error) => {
          // another chain than its backups': its record names that chain's booth (OwnChainMarker.clearConsensus)
          if (err.name === 'OwnChainConflictError') await this.ownConsensusRecord?.clear()
          throw err
        })
        this.log('%s: chain fetched up to height %d from %s', chainId, height, from)
      }
    }
    if (kind === 'shared') {
      const genesis = this.choice.genesis()
      if (genesis == null) throw new ConsensusStoppedError(`the shared chain ${this.choice.formation?.founder ?? ''} has no genesis booth on record here`)
      // the chain's founder by id, but not by database: ours was lost since it founded the chain, and
      // with it every vote it cast. Opened with nothing stored, its genesis booth is itself alone, and
      // it decided blocks alone over the chain's (a review): its own promise counts only once it led
      return await ChainReplica.open(deps, { genesis, election: this.sharedElection(), forgotVotes: this.choice.wipedFounder() })
    }
    // a vehicle's chain: it alone proposes, and its genesis booth is itself
    return await ChainReplica.open(deps, { genesis: [chainId], election: { mode: 'fixed', proposer: chainId } })
  }

  /** Fetches a chain from `peer` up to the vouched block. @throws if the store does not hold that block afterwards */
  async fetchVouched (peer: string, chainId: string, vouch: { height: number, hash: Uint8Array }): Promise<void> {
    const result = await this.c.sync.fetch(peerIdFromString(peer), chainId, { to: vouch.height, vouch, signal: this.fetches.signal })
    const block = await this.c.chains.getBlock(chainId, vouch.height)
    // a chain here already past the vouched height asks the peer for nothing (sync.fetch returns at once): another
    // block there is a conflict, which "handed over up to <our tip> only (it holds 0)" misnamed (a review, 2026-12-03)
    if (block != null && toHex(block.hash) !== toHex(vouch.hash)) {
      throw new ChainRecoveryError(`a conflict: this node holds another block at height ${vouch.height} than the one vouched for (${toHex(block.hash).slice(0, 16)}…, not ${toHex(vouch.hash).slice(0, 16)}…)`)
    }
    if (block == null) {
      throw new ChainRecoveryError(`it handed over the chain up to height ${result.tip.height} only (it holds ${result.remoteHeight})`)
    }
  }

  // ------------------------------------------------------------ inbound

  private onMessage (from: string, cm: ChainMessage): void {
    if (!this.running) return
    const { chainId, message } = cm
    if (chainId === SHARED_CHAIN) {
      if (!this.choice.sameChain(this.hellos.get(from))) {
        this.stats.refused++
        return
      }
      // a member that lost its database vouches for nothing it voted before: not counted
      if (!this.forgetful.admits(from, message.type)) {
        this.stats.refused++
        return
      }
      this.deliver(chainId, cm)
      return
    }
    if (chainId === this.self) {
      this.deliver(chainId, cm)
      return
    }
    if (from !== chainId && OWNER_ONLY.has(message.type)) {
      this.stats.refused++
      this.log('refused %s about chain %s from %s: only its proposer may send that', message.type, chainId, from)
      return
    }
    if (!this.replicas.has(chainId) && !this.opening.has(chainId)) {
      if (from !== chainId || !ENLIST.has(message.type) || !this.retirement.room()) {
        this.stats.refused++
        return
      }
      void this.replica(chainId, 'member').catch(() => { this.retirement.forget(chainId) })
    }
    if (from === chainId) this.retirement.heardFrom(chainId)
    this.deliver(chainId, cm)
  }

  private deliver (chainId: string, cm: ChainMessage): void {
    const r = this.replicas.get(chainId)
    if (r != null) {
      r.step(cm.message, cm.point, cm.chainAt, cm.held)
      return
    }
    if (this.opening.has(chainId)) {
      if (!this.early.hold(chainId, cm)) this.stats.refused++
      return
    }
    this.stats.refused++
  }

  private onHello (from: string, announced: HelloInfo): void {
    this.forgetful.checkIncarnation(from, announced.incarnation)
    const sharedGenesis = wellFormedGenesis(announced.sharedGenesis)
    if (sharedGenesis == null) this.log.error('%s announced a shared chain id that is none: %s (taken as none)', from, JSON.stringify(announced.sharedGenesis.slice(0, 80)))
    const sharedBooth = sharedGenesis?.startsWith(PERMISSIONED_PREFIX) === true ? wellFormedBooth(sharedGenesis, announced.sharedBooth ?? []) : undefined
    // a founding only goes with a founder's chain id
    const founding = sharedGenesis != null && adoptableFounder(sharedGenesis) && announced.sharedFounding?.byteLength === INCARNATION_BYTES ? { sharedFounding: announced.sharedFounding } : {}
    const wellFormed = (r: { peer: string, incarnation: Uint8Array }): boolean =>
      r.peer !== '' && r.peer.length <= MAX_PEER_ID_CHARS && r.incarnation.byteLength === INCARNATION_BYTES
    const best = announced.formingBest == null ? undefined : wellFormedBest(announced.formingBest)
    const formingBest = best == null ? {} : { formingBest: best }
    const hello: HelloInfo = {
      ...formingBest,
      priority: heardPriority(announced.priority),
      sharedGenesis: sharedGenesis ?? '',
      sharedHeld: announced.sharedHeld === true,
      ...(sharedBooth == null ? {} : { sharedBooth }),
      ...founding,
      readmitted: (announced.readmitted ?? []).filter(r => wellFormed(r) && Number.isSafeInteger(r.slot)),
      heldBack: (announced.heldBack ?? []).filter(wellFormed),
      recorded: (announced.recorded ?? []).filter(wellFormed),
      ...((announced.clones ?? []).includes(this.self) ? { clones: [this.self] } : {}),
      ...(announced.sharedRefused === true ? { sharedRefused: true } : {})
    }
    const before = this.hellos.get(from)
    if (hello.clones != null && before?.clones == null) {
      this.c.events.safeDispatchEvent('identity:cloned', { detail: { seenBy: from } })
      this.log.error('%s says two processes run this vehicle\'s identity (%s): was this data dir copied with its peer.key? Stop one of them; the members count neither until then', from, this.self)
    }
    this.hellos.set(from, hello)
    this.forgetful.hear(from, hello)
    if (this.choice.formation?.announced !== true) {
      // what founding ranks changed: its view must stand still FORMATION_DELAY again, and our own best may have changed
      const rank = (h?: HelloInfo): string => JSON.stringify([h?.priority, h?.formingBest?.peer, h?.formingBest?.priority, h?.sharedRefused === true])
      if (rank(before) !== rank(hello)) this.choice.viewChanged()
      this.sayHello()
    }
    if (before?.priority !== hello.priority || before?.sharedGenesis !== hello.sharedGenesis || toHex(before?.sharedFounding ?? new Uint8Array(0)) !== toHex(hello.sharedFounding ?? new Uint8Array(0)) ||
      (before?.sharedRefused === true) !== (hello.sharedRefused === true)) {
      this.shared()?.updateElection(this.sharedElection())
      // a member that refuses our chain now, or no longer: its seat goes, or it may have one
      this.shared()?.checkBooth()
    }
    this.updateRefusals()
  }

  private refreshMembers (): void {
    this.members = this.c.connectedMembers().map(p => p.toString()).filter(p => !this.transport.clones.held(p))
  }

  private readonly onConnected = (evt: CustomEvent<{ peerId: string }>): void => {
    this.refreshMembers()
    this.choice.viewChanged()
    this.departed.delete(evt.detail.peerId)
    this.updateRefusals()
    this.transport.greet(evt.detail.peerId)
    this.shared()?.checkBooth()
  }

  private readonly onDisconnected = (evt: CustomEvent<{ peerId: string }>): void => {
    this.refreshMembers()
    this.choice.viewChanged()
    this.departed.set(evt.detail.peerId, this.elapsed())
    this.transport.forget(evt.detail.peerId)
    // it may have been the best we announce while forming
    this.sayHello()
    this.shared()?.checkBooth()
  }

  /**
   * Vehicles gone for memberIdle stop being shared-chain candidates (their
   * hello is dropped; a new connection brings a new one): otherwise every
   * vehicle ever met would rank in elections and be heartbeaten for good,
   * and a node behind many departed ones would wait their ranks' delays
   * before campaigning.
   */
  private forgetDeparted (): void {
    const now = this.elapsed()
    const connected = new Set(this.members)
    let changed = false
    for (const [id, since] of this.departed) {
      if (!connected.has(id) && now - since < this.c.memberIdle) continue
      this.departed.delete(id)
      if (!connected.has(id)) changed = this.hellos.delete(id) || changed
    }
    if (changed) this.shared()?.updateElection(this.sharedElection())
  }

  // ------------------------------------------------------------ ticks

  private tick (): void {
    if (!this.running) return
    this.ticks++
    for (const r of this.replicas.values()) r.tick()
    this.forgetful.tick()
    if (this.ticks % 20 === 10) {
      // a held peer whose other process stopped is a member again once the window passes without it
      this.transport.checkClones()
      this.retirement.retireQuiet()
      this.forgetDeparted()
    }
    if (this.ticks % 10 === 0 && this.forming == null) {
      // one at a time: a step closes and reopens replicas, and saves with fsync
      this.forming = this.choice.step()
        .catch((err: Error) => { this.log.error('shared chain formation: %e', err) })
        .finally(() => { this.forming = undefined })
    }
    if (this.ticks % 20 === 0) {
      this.forgetful.check()
      // says so once our shared chain has decided something (sent only when it changed)
      this.sayHello()
      this.refreshMembers()
      this.shared()?.checkBooth()
      // a hello can be lost (a stream reset while identify was finishing): ask again
      for (const peer of this.c.connectedMembers()) {
        const id = peer.toString()
        if (!this.hellos.has(id)) this.transport.greet(id, true)
      }
    }
  }

  /** Peers whose identity two processes run for certain (a copied data dir): no member until one of them stops (clones.ts). */
  clonedPeers (): string[] {
    return this.transport.clones.confirmedPeers()
  }

  /** Connected members that say two processes run this node's own identity (Hello.clones). */
  clonedSelfSeenBy (): string[] {
    const connected = new Set(this.c.connectedMembers().map(p => p.toString()))
    return [...this.hellos].filter(([peer, h]) => h.clones != null && connected.has(peer)).map(([peer]) => peer)
  }

  /** Whether `peer` is held as two processes may run its identity now, for certain or until it is known (clones.ts): no member meanwhile. */
  isClone (peer: string): boolean {
    return this.transport.clones.held(peer)
  }

  /**
   * Why `peer` is refused at once by the services that serve members, if it
   * is: two processes run its identity for certain. A hold not confirmed yet
   * (maybe a restart whose old connection is being asked) is only waited on:
   * it may end within the services' membership wait.
   */
  cloneRefusal (peer: string): string | undefined {
    if (!this.transport.clones.confirmed(peer)) return undefined
    return `two processes run its identity (a data dir copied with its peer.key?): no member here until only one of them is heard for ${CLONE_WINDOW / 1000} s`
  }

  /** Peers whose shared-chain votes are held back: they lost their database (forgetful-members.ts). */
  forgetfulPeers (): string[] {
    return this.forgetful.heldPeers()
  }
}

/**
 * What the writers of a round hear: the backups that took the chain this
 * round (older copies the table keeps are not named). `beyond`: why k cannot
 * be met by our booths at all (backupsBeyondBooth), said when no candidate is left.
 */
function replicationSummary (outcome: ReplicationOutcome, beyond?: string): ReplicationSummary {
  const backups = outcome.transfers.map(t => t.peerId)
  if (outcome.complete) return { state: 'complete', backups }
  const none = `no other candidate among the booth and the previous backups${beyond != null ? ` (${beyond})` : ''}`
  const why = outcome.failures.length === 0 ? none : outcome.failures.map(f => `${f.peerId}: ${f.error}`).join('; ')
  return { state: 'partial', backups, problem: `${backups.length} fresh ${backups.length === 1 ? 'copy' : 'copies'}: ${why}`.slice(0, MAX_PROBLEM_LENGTH) }
}
