/**
 * VGuardDB: the storage layer's three phases, driven after each commit of a
 * vehicle's own chain.
 *
 * 1. Replicate (synchronous): choose k backups among the booth's participants
 *    and bring each one's copy up to our tip, durably; a backup that fails or
 *    has no room is replaced by the next candidate.
 * 2. Table and release (asynchronous): sign the new backup table (epoch + 1),
 *    persist it, gossip it with the booth result, and tell every obsolete
 *    backup that it may delete its copy — retried until acknowledged, also
 *    across restarts (pending releases are persisted).
 * 3. Read with redirect (redirect-reads.ts): proposer first, then the backups of the newest
 *    table, following redirects (see protocols/read/redirect.ts).
 *
 * Rounds of one chain never overlap: a commit that arrives while a round runs
 * is covered by the next round, which replicates up to the tip at its start.
 *
 * This class wires the parts and keeps the public face: a round is
 * replication-round.ts (its table's members: round-table.ts), queued by
 * round-queue.ts, its transfers noted by transfer-notes.ts; booth results go
 * out and come in by booth-result-gossip.ts; our own chain is checked against
 * its tables by own-chain-tables.ts; an end of booth's block is appended by
 * end-of-booth-append.ts; releases are release-queue.ts's.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { ComponentLogger, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { TypedEventEmitter } from 'main-event'
import type { ChainStore } from '../storage/index.ts'
import type { NodeDatabase } from '../storage/database.ts'
import { BackupTableStore, heldPoint } from '../backup/index.ts'
import type { VerifiedTable } from '../backup/index.ts'
import { ReplicateService } from '../protocols/replicate/index.ts'
import type { ReplicateProgress } from '../protocols/replicate/index.ts'
import { ReleaseService } from '../protocols/release/index.ts'
import { ReadService } from '../protocols/read/index.ts'
import type { LeaderCheck, ReadRequest, RedirectReadResult } from '../protocols/read/index.ts'
import { LinkedSignal, stopController } from '../protocols/stream.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import type { VGuardNodeEvents } from './events.ts'
import { ReleaseQueue } from './release-queue.ts'
import { OfferedEpochs } from './offered-epochs.ts'
import { BoothMemory } from './booth-memory.ts'
import type { BoothRecord } from './booth-memory.ts'
import { OwnChainConflictError } from './consensus-errors.ts'
import { KeyedLock } from '../protocols/keyed-lock.ts'
import { RedirectReads } from './redirect-reads.ts'
import type { KeysPage, ReadOptions } from './redirect-reads.ts'
import type { TableLookupResult } from './table-lookup.ts'
import type { CheckedBooth } from './booth-input.ts'
import { IdleRounds } from './idle-rounds.ts'
import { boothsTopic } from './booths-topic.ts'
import { OwnFresh } from './own-fresh.ts'
import { ReplicationRound } from './replication-round.ts'
import type { ReplicationOutcome } from './replication-round.ts'
import { RoundQueue } from './round-queue.ts'
import { OwnChainTables } from './own-chain-tables.ts'
import { EndOfBoothAppend } from './end-of-booth-append.ts'
import { BoothResultGossip } from './booth-result-gossip.ts'
import { TransferNotes } from './transfer-notes.ts'
import { ReplicationStoppedError } from './replication-errors.ts'
import type { OwnReplicationStatus } from './idle-rounds.ts'

// defined beside the other write errors (own-chain-recovery.ts raises it too); exported from here as before
export { OwnChainConflictError }
export { InvalidBoothError } from './booth-input.ts'
export { ReplicationFailedError, ReplicationStoppedError } from './replication-errors.ts'
export { boothsTopic, BOOTHS_TOPIC_VERSION } from './booths-topic.ts'
export type { EndOfBoothInput } from './booth-input.ts'

export type { KeysPage, ReadOptions } from './redirect-reads.ts'
export type { ReplicationOutcome } from './replication-round.ts'

/** How long the first round of a run waits for members to show our chain's newest table (see ReplicationRound.run). */
const OWN_TABLE_LOOKUP_TIMEOUT = 2_000

export interface BackupStatus {
  /** `heldHeight`: how far the backups it names hold the chain (below `height` when its round refreshed none). */
  backupTable?: { epoch: number, active: string[], obsolete: string[], height: number, heldHeight: number }
  /** This node holds a copy as a backup (not its own chain). */
  heldAsBackup: boolean
  heldHeight: number
  /** How such a copy is kept (undefined for one not held): see CopyStanding. */
  heldAs?: CopyStanding
  transfers: ReplicateProgress[]
}

/**
 * How a copy of another vehicle's chain is kept. active: the newest table
 * names this node an active backup (kept whole); temporary: it does not (an
 * obsolete backup not released yet, a copy seen as a booth member): retention
 * prunes its payloads after τ; unclaimed: no table names this node for it
 * yet (a fresh backup's table on its way, a push nobody asked for, the part
 * a round short of k left to resume): kept whole for the unclaimed grace,
 * then temporary.
 */
export type CopyStanding = 'active' | 'temporary' | 'unclaimed'

export interface VGuardDBComponents {
  libp2p: VGuardLibp2p
  store: ChainStore
  database: NodeDatabase
  privateKey: PrivateKey
  logger: ComponentLogger
  events: TypedEventEmitter<VGuardNodeEvents>
  network: string
  kBackups: number
  capacity: number
  /** Bytes the data dir's disk can still take for others (its free space less the reserve); unbounded if not given. */
  diskRoom?: () => Promise<number>
  /** Payload bytes temporary storage could give up now for backup duty (StorageMaster.reclaimable). */
  reclaimable?: () => Promise<number>
  /** Frees that many bytes below the capacity from temporary storage if it can (StorageMaster.makeRoom). */
  makeRoom?: (bytes: number, except: string) => Promise<void>
  /** The owner of a chain opened a transfer of it to this node (StorageMaster.restartGrace); the offer goes on once it resolves. */
  onOffered?: (chainId: string) => Promise<void>
  /** Storage figures members advertised (peer exchange): backup candidates that cannot fit the chain are skipped. */
  capacityHint?: (peerId: string) => { free: number, held: number } | undefined
  /** Our own figures changed (a copy stored or released). */
  onCapacityChange?: () => void
  /** Connected members of our network (the peering's view): only they may read from us or push us a chain. */
  isMember?: (peer: PeerId) => boolean
  /** Why a peer of our network is kept out for a lasting reason (two processes run its identity): its transfers, reads and releases are refused at once, told why. */
  refusal?: (peer: PeerId) => string | undefined
  /** Whether a vehicle may take part (a permissioned network: its allow list). Gossiped tables of others' chains are not kept. @default all */
  isAllowed?: (peerId: string) => boolean
  /** The connected members themselves: asked for a chain's table when no holder the reader knows answers. */
  members?: () => PeerId[]
  /** Gate of `leader` reads served here (consensus's read index); without it they are refused. */
  confirmLeader?: (chainId: string) => Promise<LeaderCheck>
  /** Chains this node takes part in before it holds a block (ReadComponents.runs). */
  runs?: (chainId: string) => boolean
  /** Waits until the store holds what this node voted for; says why it cannot answer, if it cannot (ReadComponents.settle). */
  settle?: (chainId: string, options: { ownCopy: boolean }) => Promise<string | undefined>
  /**
   * How long (ms) a backup of our chain may stay disconnected before it is
   * taken for gone and replaced by a round without a write (the node's
   * backupAway, by default its memberIdle); 0: never. @default 60000
   */
  backupAwayMs?: number
  /** Forward pointers the backup table store keeps at most (the node's maxForwardPointers). @default DEFAULT_MAX_POINTER_TABLES */
  maxForwardPointers?: number
  /** Hints the backup table store keeps at most (the node's maxTableHints). @default DEFAULT_MAX_HINT_TABLES */
  maxTableHints?: number
  /** The members our own chain's next write would have as its booth, if it runs our consensus (a round without a write offers the chain to them first). */
  ownBooth?: () => string[] | undefined
  /** @default Math.random */
  random?: () => number
  /** @default Date.now */
  now?: () => number
  /** What the booths kept for retries are stamped and aged by (MemoryClock). @default now */
  memoryNow?: () => number
}

export class VGuardDB {
  readonly tables: BackupTableStore
  readonly replicate: ReplicateService
  readonly release: ReleaseService
  readonly read: ReadService
  /** Reads with redirect, and the table lookups they lean on. */
  readonly redirects: RedirectReads
  private readonly c: VGuardDBComponents
  private readonly log: Logger
  private readonly self: string
  private readonly releases: ReleaseQueue
  /** Transfers to new backups, noted before they start (transfer-notes.ts). */
  private readonly transferNotes: TransferNotes
  /** Rounds of our own chain that no commit carries (idle-rounds.ts). */
  private readonly idleRounds: IdleRounds
  /** Which backups the round of our newest table left fresh (own-fresh.ts). */
  private readonly ownFresh: OwnFresh
  /** One replication round of a chain (replication-round.ts). */
  private readonly replication: ReplicationRound
  /** Rounds of a chain one after the other (round-queue.ts). */
  private readonly roundQueue: RoundQueue
  /** stop() ran: the stores are closed or closing. */
  private stopped = false
  /** start() ran: a redirect read before it would find no holder ("Not started"), as if they were down. */
  private started = false
  /** Backup side: newest epoch each owner's accepted transfer was for (orders releases after re-selection), on disk too. */
  private readonly offers: OfferedEpochs
  /** A release's last check and delete, and the noting of an offer, one at a time per chain. */
  private readonly chainLock = new KeyedLock()
  /** Aborted by stop(): transfers of a round in flight end at once instead of at their backups' timeouts. */
  private stopping = stopController()
  /** Booth results we gossip, and the check and adoption of those we hear (booth-result-gossip.ts). */
  private readonly gossip: BoothResultGossip
  /** What members know of our own chain's tables, and whether our chain holds what they name (own-chain-tables.ts). */
  private readonly ownTables: OwnChainTables
  /** Told when a conflict of our chain with its backups' is found (Consensus drops the diverged chain's consensus record). */
  onOwnConflict?: () => Promise<void>
  /**
   * The backup table epoch our own chain is known to have reached when this
   * node holds no table of it (Consensus: what own-chain.json kept of a lost
   * database). A redirect read of our chain calls an older answer stale.
   */
  ownEpochFloor?: () => number
  /** Keyed ends of booth kept for retries (booth-memory.ts). */
  private readonly booths: BoothMemory
  /** Appends of VGuard's blocks to our chain (end-of-booth-append.ts). */
  private readonly endOfBooth: EndOfBoothAppend

  constructor (components: VGuardDBComponents) {
    this.c = components
    this.log = components.logger.forComponent('vguard:vguarddb')
    this.self = components.libp2p.peerId.toString()
    this.tables = new BackupTableStore(components.database.sublevel('backup-tables'), {
      self: this.self,
      kept: components.database.sublevel('backup-tables-kept'),
      order: components.database.sublevel('backup-tables-used'),
      maxPointers: components.maxForwardPointers,
      maxHints: components.maxTableHints,
      holds: (chainId) => components.store.copyId(chainId) != null
    })
    this.booths = new BoothMemory(components.database.sublevel('booth-keys'), components.memoryNow ?? components.now)
    this.endOfBooth = new EndOfBoothAppend({ self: this.self, store: components.store, booths: this.booths, events: components.events, now: components.now })
    this.transferNotes = new TransferNotes(components.database.sublevel('transfers-noted'))
    this.ownFresh = new OwnFresh(components.database.sublevel('own-fresh'))
    this.offers = new OfferedEpochs(components.database.sublevel('offered-epochs'))
    const base = { libp2p: components.libp2p, store: components.store, logger: components.logger }
    this.replicate = new ReplicateService({
      ...base,
      isMember: components.isMember,
      refusal: components.refusal,
      freeCapacity: async () => await this.freeCapacity(),
      onOffer: async (chainId) => { await this.c.onOffered?.(chainId) },
      // noted under the chain's lock: a release's delete under way ends first, and one not begun sees this offer
      onAccepted: async (chainId, epoch) => { await this.chainLock.run(chainId, async () => { await this.offers.note(chainId, epoch) }) },
      makeRoom: components.makeRoom,
      // the copy is durable already: the server flushed the store before calling this
      onStored: async () => { this.c.onCapacityChange?.() }
    })
    this.release = new ReleaseService({
      ...base,
      isMember: components.isMember,
      refusal: components.refusal,
      tables: this.tables,
      offeredEpoch: (chainId) => this.offeredEpoch(chainId),
      exclusive: async (chainId, task) => await this.chainLock.run(chainId, task),
      onReleased: async (chainId, epoch) => {
        // the table adopted with the release refuses older releases from now
        // on; an offer of a newer epoch (a transfer under way) still counts
        if (this.offers.get(chainId) <= epoch) await this.forgetOffer(chainId)
        this.c.onCapacityChange?.()
        this.c.events.safeDispatchEvent('backup:released', { detail: { chainId, epoch } })
      },
      onAdopted: (table) => { this.tableAdopted(table) }
    })
    this.read = new ReadService({ ...base, tables: this.tables, isMember: components.isMember, refusal: components.refusal, confirmLeader: components.confirmLeader, runs: components.runs, settle: components.settle })
    this.redirects = new RedirectReads({
      self: this.self,
      tables: this.tables,
      read: this.read,
      members: () => components.members?.() ?? [],
      random: components.random ?? Math.random,
      started: () => this.started,
      stopped: () => this.stopped,
      stopSignal: () => this.stopping.signal,
      ownEpochFloor: () => this.ownEpochFloor?.(),
      onAdopted: (table) => { this.tableAdopted(table) }
    })
    this.gossip = new BoothResultGossip({
      topic: boothsTopic(components.network),
      pubsub: () => components.libp2p.services.pubsub,
      tables: this.tables,
      redirects: this.redirects,
      isAllowed: components.isAllowed,
      events: components.events,
      log: this.log
    })
    this.ownTables = new OwnChainTables({
      self: this.self,
      store: components.store,
      tables: this.tables,
      read: this.read,
      members: () => components.members?.() ?? [],
      random: components.random ?? Math.random,
      onConflict: async () => { await this.onOwnConflict?.() },
      onAdopted: (table) => { this.tableAdopted(table) }
    })
    this.releases = new ReleaseQueue({
      db: components.database.sublevel('pending-releases'),
      tables: this.tables,
      release: this.release,
      log: this.log,
      isConnected: (peer) => components.libp2p.getConnections(peerIdFromString(peer)).length > 0
    })
    this.replication = new ReplicationRound({
      self: this.self,
      store: components.store,
      kBackups: components.kBackups,
      privateKey: components.privateKey,
      tables: this.tables,
      replicate: this.replicate,
      releases: this.releases,
      transferNotes: this.transferNotes,
      ownTables: this.ownTables,
      ownFresh: this.ownFresh,
      gossip: this.gossip,
      events: components.events,
      log: this.log,
      stopSignal: () => this.stopping.signal,
      lookUpOwnTable: async () => { await this.lookUpOwnTable() },
      isConnected: (peer) => this.isConnected(peer),
      capacityHint: components.capacityHint,
      noteOwnRound: (round) => { this.idleRounds.noteRound(round) },
      random: components.random,
      now: components.now
    })
    this.roundQueue = new RoundQueue(async (chainId, participants, idle) => await this.replication.run(chainId, participants, idle))
    this.idleRounds = new IdleRounds({
      kBackups: components.kBackups,
      backupAwayMs: components.backupAwayMs,
      log: this.log,
      ownTable: () => this.tables.get(this.self)?.table,
      ownFresh: () => {
        const epoch = this.tables.get(this.self)?.table.epoch
        return epoch == null ? undefined : this.ownFresh.of(epoch)
      },
      ownTipHeight: async () => (await this.c.store.tip(this.self)).height,
      members: () => (components.members?.() ?? []).map(p => p.toString()),
      isConnected: (peer) => this.isConnected(peer),
      interrupted: () => this.transferNotes.interrupted(this.self),
      looked: () => this.ownTables.looked,
      lookUp: async () => { await this.lookUpOwnTable() },
      conflict: async () => await this.ownTableConflict(),
      behind: async () => await components.settle?.(this.self, { ownCopy: true }),
      eligible: async (members) => await this.replication.eligible(members),
      preferred: () => (components.ownBooth?.() ?? []).filter(p => p !== this.self),
      round: async (participants) => await this.afterCommit(this.self, participants, { idle: true })
    })
  }

  async start (): Promise<void> {
    this.started = true
    // a start after a failed one (stop() ran): redirect reads had gone on saying the node was stopped
    this.stopped = false
    this.stopping = stopController()
    this.ownTables.looked = false
    this.idleRounds.start()
    await this.tables.open()
    await this.transferNotes.load()
    await this.offers.load()
    await this.ownFresh.load()
    await this.replicate.start()
    await this.release.start()
    await this.read.start()
    this.gossip.start()
    this.c.libp2p.addEventListener('peer:connect', this.onPeerConnect)
    this.c.libp2p.addEventListener('peer:disconnect', this.onPeerDisconnect)
    await this.releases.start()
    // a crash may have come between our last round's table and its hand-off:
    // its backups get it again as they connect (holding it, they just say so)
    const own = this.tables.get(this.self)?.table
    if (own != null) this.releases.handOff(this.self, own.active)
  }

  /** Starts the rounds no commit carries that the previous run left (IdleRounds.resume): called once consensus runs. */
  settleInterrupted (): void {
    if (!this.started || this.stopped) return
    this.idleRounds.resume().catch((err: Error) => { this.log.error('rounds of our chain without a write do not start: %s', err.message) })
  }

  /** Starts no more background rounds: the node is leaving (it must not begin transfers while the rest stops). */
  async stopBackground (): Promise<void> {
    await this.idleRounds.stop()
  }

  private readonly onPeerConnect = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail.toString()
    this.releases.peerConnected(peer)
    this.idleRounds.peerConnected(peer)
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.idleRounds.peerDisconnected(evt.detail.toString())
  }

  async stop (): Promise<void> {
    this.stopped = true
    // a round of it under way is cut by the stop signal below, and awaited with the others
    void this.idleRounds.stop()
    this.releases.stop()
    this.c.libp2p.removeEventListener('peer:connect', this.onPeerConnect)
    this.c.libp2p.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.gossip.stop()
    // a round waiting on a slow or silent backup would hold the stop for its
    // timeouts (10 s a message); cut, it ends as a crash would: the copies
    // begun are in the transfer notes, named obsolete by the next run's round
    this.stopping.abort(new ReplicationStoppedError('the node is stopping'))
    await this.roundQueue.settled()
    await this.replicate.stop()
    await this.release.stop()
    await this.read.stop()
  }

  /**
   * Bytes this node can still take: capacity minus everything it holds, and
   * never more than the disk has room for (bytes a transfer writes come off
   * both figures as they land, so its reservation stays counted once).
   * `reclaimable`: bytes the capacity may count as free besides.
   */
  async freeCapacity (reclaimable = 0): Promise<number> {
    const [chains, room] = await Promise.all([this.c.store.chains(), this.c.diskRoom?.() ?? Number.POSITIVE_INFINITY])
    return Math.max(0, Math.min(this.c.capacity - chains.reduce((n, ch) => n + ch.bytes, 0) + reclaimable, room))
  }

  /**
   * What a new offer could still take: the free capacity, and the temporary
   * payloads an offer would have pruned to make room (copies released or
   * pushed unasked yield to backup duty), less what transfers in flight
   * reserved and have not written yet. Advertised to peers and shown in
   * /status (one figure, so a user reads what proposers are told).
   */
  async offerableCapacity (): Promise<number> {
    const reclaimable = await this.c.reclaimable?.() ?? 0
    return Math.max(0, await this.freeCapacity(reclaimable) - this.replicate.reservedBytes)
  }

  /** Bytes held for other vehicles (copies of their chains). */
  async heldForOthers (): Promise<number> {
    const chains = await this.c.store.chains()
    return chains.filter(ch => ch.chainId !== this.self && ch.chainId !== 'shared').reduce((n, ch) => n + ch.bytes, 0)
  }

  /**
   * VGuard's hook, its first half: append the block its consensus agreed on
   * to our own chain, bound to the participants, and return its height. The
   * caller runs replicate → table → release next (afterCommit, the round's
   * own), outside the gate our chain's appends go through.
   *
   * `booth` is checked already (checkBoothInput): its participants are not
   * looked at again, and its values are the checker's copies.
   *
   * @throws InvalidTransactionError
   */
  async appendEndOfBooth (booth: CheckedBooth, id?: Uint8Array): Promise<number> {
    const { participants, transactions } = booth
    // a keyed booth appended before (its answer lost) is answered with its block, and runs its round again
    const earlier = id == null ? undefined : await this.boothAppended(id)
    return earlier?.height ?? await this.endOfBooth.append(participants, transactions, id)
  }

  /** The block an end of booth with the key `id` appended to our chain, if one did (EndOfBoothAppend.appended). */
  async boothAppended (id: Uint8Array): Promise<BoothRecord | undefined> {
    return await this.endOfBooth.appended(id)
  }

  /**
   * Runs (or joins) a replication round for our chain after a commit. Rounds
   * are serialized; callers that arrive while one runs share the next one.
   * `own`: the round is this caller's (VGuard's endOfBooth: its participants
   * choose the backups), queued after any other, never joined to one queued
   * with other participants; later callers may share it.
   * `covering`: the height of the caller's block. The round running when it
   * arrives tops its transfers up with the blocks committed meanwhile
   * (ReplicateOptions.topUp): if it ends complete with every fresh backup
   * holding that height, the caller has its answer then, a round earlier.
   * `idle`: no commit carries the round (idle-rounds.ts); it joins any round
   * queued, but a commit never joins it (see ReplicationRound.run).
   */
  async afterCommit (chainId: string, participants: string[], options: { own?: boolean, covering?: number, idle?: boolean } = {}): Promise<ReplicationOutcome> {
    return await this.roundQueue.afterCommit(chainId, participants, options)
  }

  /** Before a write of our own chain: refused if the last round found it went another way (OwnChainTables.checkOwnConflict). @throws OwnChainConflictError */
  async checkOwnConflict (): Promise<void> {
    await this.ownTables.checkOwnConflict()
  }

  /** Whether a backup table of ours names a block where our chain holds another one (OwnChainTables.ownTableConflict). */
  async ownTableConflict (): Promise<Error | undefined> {
    return await this.ownTables.ownTableConflict()
  }

  /**
   * Asks members for our own chain's newest table, for at most
   * OWN_TABLE_LOOKUP_TIMEOUT (the first round of a run does, and a round
   * without a write: ReplicationRound.run says why).
   */
  private async lookUpOwnTable (): Promise<void> {
    // (a LinkedSignal: AbortSignal.any would leave an entry on the stop signal per round, and a
    // vehicle no member answers asks every round)
    const lookup = new LinkedSignal([this.stopping.signal, AbortSignal.timeout(OWN_TABLE_LOOKUP_TIMEOUT)])
    await this.ownChainHolders({ signal: lookup.signal }).catch(() => {}).finally(() => { lookup.clear() })
  }

  /** A newer table kept here, from a read or a release (another vehicle's chain) or a lookup of our own chain's holders: told as gossip's are (backup:table). */
  private tableAdopted ({ table }: VerifiedTable): void {
    this.c.events.safeDispatchEvent('backup:table', { detail: { chainId: table.chainId, epoch: table.epoch, active: table.active, obsolete: table.obsolete, height: table.height } })
  }

  private isConnected (peer: string): boolean {
    try {
      return this.c.libp2p.getConnections(peerIdFromString(peer)).length > 0
    } catch {
      return false
    }
  }

  /** Booth results gossiped to us that were malformed, oversized or carried a table that does not verify. */
  get gossipInvalid (): number {
    return this.gossip.invalid
  }

  /** gossipsub's check of a booth result (BoothResultGossip.judge). */
  readonly judgeGossip = async (msg: Message): Promise<TopicValidatorResult> => await this.gossip.judge(msg)

  /** Replication transfers to backups running now. */
  get transfersInFlight (): number {
    return this.replication.transfers.size
  }

  pendingReleases (): Array<{ chainId: string, peerId: string, attempts: number, offline: boolean }> {
    return this.releases.list()
  }

  // --- reads (redirect-reads.ts) ---------------------------------------------

  /** Reads a key of any chain: locally if we hold it, else proposer first, then backups, following redirects. */
  async readKey (chainId: string, key: string, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.redirects.readKey(chainId, key, options)
  }

  async readBlock (chainId: string, height: number, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.redirects.readBlock(chainId, height, options)
  }

  /** A page of a chain's keys, read with redirect as readKey reads a key (result.response.entries and .more). */
  async readKeys (chainId: string, page: KeysPage = {}, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.redirects.readKeys(chainId, page, options)
  }

  async readRemote (request: ReadRequest, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.redirects.readRemote(request, options)
  }

  /** @see RedirectReads.lookupTable */
  async lookupTable (chainId: string, exclude: ReadonlySet<string> = new Set(), options: { signal?: AbortSignal, owner?: boolean } = {}): Promise<TableLookupResult> {
    return await this.redirects.lookupTable(chainId, exclude, options)
  }

  /** @see RedirectReads.confirmTable */
  async confirmTable (chainId: string, asked: ReadonlySet<string>, options: { signal?: AbortSignal } = {}): Promise<TableLookupResult> {
    return await this.redirects.confirmTable(chainId, asked, options)
  }

  /** @see RedirectReads.adoptShownTable */
  async adoptShownTable (chainId: string, signed: Uint8Array, from: string): Promise<boolean> {
    return await this.redirects.adoptShownTable(chainId, signed, from)
  }

  /** Who may hold our own chain, likeliest first (OwnChainTables.holders). */
  async ownChainHolders (options: { signal?: AbortSignal } = {}): Promise<{ holders: string[], named: string[], answered: number }> {
    return await this.ownTables.holders(options)
  }

  /** Per-chain backup view for /status. */
  async status (chainId: string): Promise<BackupStatus> {
    const table = this.tables.get(chainId)?.table
    const info = await this.c.store.info(chainId)
    const heldAsBackup = chainId !== this.self && chainId !== 'shared' && info != null
    return {
      backupTable: table != null ? { epoch: table.epoch, active: table.active, obsolete: table.obsolete, height: table.height, heldHeight: heldPoint(table).height } : undefined,
      heldAsBackup,
      heldHeight: info?.height ?? 0,
      ...(heldAsBackup ? { heldAs: this.copyStanding(chainId) } : {}),
      transfers: [...this.replication.transfers.values()].filter(t => t.chainId === chainId)
    }
  }

  /** Our own chain's backups as this run knows them: fresh ones, short of k, away, failed lately (IdleRounds.status). */
  ownReplication (): OwnReplicationStatus {
    return this.idleRounds.status()
  }

  /** How a copy of another vehicle's chain is kept here (retention's rule: CopyStanding). */
  copyStanding (chainId: string): CopyStanding {
    const table = this.tables.get(chainId)?.table
    if (table == null) return 'unclaimed'
    if (table.active.includes(this.self)) return 'active'
    // named obsolete, but the owner offered us a newer epoch since: a backup
    // chosen again after a release, the table naming it active (or obsolete,
    // if the transfer fails) still on its way; the old one would prune the
    // copy the owner is about to count on
    const offered = this.offeredEpoch(chainId)
    if (offered > table.epoch) return 'unclaimed'
    // the table of the very epoch we took the offer for, naming us neither active nor obsolete: a round
    // short of k left us the part we got for its next round to resume (round-table.ts); taken for
    // temporary, retention pruned it at once and that round sent the chain again whole (a probe, 2026-12-03)
    return offered === table.epoch && !table.obsolete.includes(this.self) ? 'unclaimed' : 'temporary'
  }

  /** The newest epoch the chain's owner had a transfer to this node accepted for (kept across restarts; 0: none). */
  offeredEpoch (chainId: string): number {
    return this.offers.get(chainId)
  }

  /** The offer's record goes once a release at or after its epoch was carried out (OfferedEpochs.forget). */
  private async forgetOffer (chainId: string): Promise<void> {
    await this.offers.forget(chainId).catch((err: Error) => { this.log('offer of %s not forgotten on disk: %s', chainId, err.message) })
  }

  /** Tables known for chains we do not hold (forward pointers and gossip). */
  knownTables (): VerifiedTable[] {
    return this.tables.all()
  }
}
