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
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { ComponentLogger, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { TypedEventEmitter } from 'main-event'
import type { ChainTip } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import type { NodeDatabase } from '../storage/database.ts'
import { BackupTableStore, heldPoint, MAX_TABLE_MEMBERS, rankBackupCandidates, signTable } from '../backup/index.ts'
import type { Candidate, VerifiedTable } from '../backup/index.ts'
import { ReplicateService } from '../protocols/replicate/index.ts'
import type { ReplicateProgress, ReplicateResult } from '../protocols/replicate/index.ts'
import { ReleaseService } from '../protocols/release/index.ts'
import { ReadService } from '../protocols/read/index.ts'
import type { LeaderCheck, ReadRequest, RedirectReadResult } from '../protocols/read/index.ts'
import { LinkedSignal, stopController, withDeadline } from '../protocols/stream.ts'
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
import { MAX_PARTICIPANTS } from './booth-input.ts'
import type { CheckedBooth } from './booth-input.ts'
import { errorLabel } from './errors.ts'
import { IdleRounds } from './idle-rounds.ts'
import { boothsTopic } from './booths-topic.ts'
import { OwnFresh } from './own-fresh.ts'
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
/** A round gives up on one backup after this long and tries the next candidate. */
const REPLICATE_TIMEOUT = 5 * 60_000
/**
 * Previous backups a round short of k keeps in its table besides k (see
 * round): a few more than k, as some of them may be gone for good.
 */
const KEPT_MARGIN = 2
/** How long the first round of a run waits for members to show our chain's newest table (see round). */
const OWN_TABLE_LOOKUP_TIMEOUT = 2_000
/** The lowest tip the fresh backups reached (each at least `start`), or `start` when none was refreshed. */
function reachedByAll (start: ChainTip, reached: ChainTip[]): ChainTip {
  let low: ChainTip | undefined
  for (const r of reached) if (low == null || r.height < low.height) low = r
  return low != null && low.height > start.height ? low : start
}

export interface ReplicationOutcome {
  chainId: string
  /** The tip the round's table covers; for endOfBooth, the height of the block it appended (the table covers it). */
  height: number
  epoch: number
  active: string[]
  obsolete: string[]
  /** False when fewer than k backups could take the chain (we keep as many as we could). */
  complete: boolean
  /** Why the round fell short, per candidate that failed. */
  failures: Array<{ peerId: string, error: string }>
  /** What each active backup was sent: resumedFrom is the height it already held. */
  transfers: Array<{ peerId: string, resumedFrom: number, sentBlocks: number, sentBytes: number }>
}

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
 * yet (a fresh backup's table on its way, a push nobody asked for): kept
 * whole for the unclaimed grace, then temporary.
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
  settle?: (chainId: string) => Promise<string | undefined>
  /**
   * How long (ms) a backup of our chain may stay disconnected before it is
   * taken for gone and replaced by a round without a write (the node's
   * backupAway, by default its memberIdle); 0: never. @default 60000
   */
  backupAwayMs?: number
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
  private readonly rounds = new Map<string, Promise<ReplicationOutcome>>()
  private readonly queued = new Map<string, Promise<ReplicationOutcome>>()
  /** Rounds queued or running that no commit carries (see afterCommit). */
  private readonly idleQueued = new Set<Promise<ReplicationOutcome>>()
  /** The round under way per chain (started, not ended). */
  private readonly running = new Map<string, Promise<ReplicationOutcome>>()
  private readonly transfers = new Map<string, ReplicateProgress>()
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
      }
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
      ownEpochFloor: () => this.ownEpochFloor?.()
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
      onConflict: async () => { await this.onOwnConflict?.() }
    })
    this.releases = new ReleaseQueue({
      db: components.database.sublevel('pending-releases'),
      tables: this.tables,
      release: this.release,
      log: this.log,
      isConnected: (peer) => components.libp2p.getConnections(peerIdFromString(peer)).length > 0
    })
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
      lookUp: async () => {
        const lookup = new LinkedSignal([this.stopping.signal, AbortSignal.timeout(OWN_TABLE_LOOKUP_TIMEOUT)])
        await this.ownChainHolders({ signal: lookup.signal }).catch(() => {}).finally(() => { lookup.clear() })
      },
      conflict: async () => await this.ownTableConflict(),
      behind: async () => await components.settle?.(this.self),
      eligible: async (members) => await this.eligible(members),
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

  /** The members a round of our chain could take as backups, by what they advertise (rankBackupCandidates). */
  private async eligible (members: string[]): Promise<Set<string>> {
    const chainBytes = (await this.c.store.info(this.self))?.bytes ?? 0
    const current = this.tables.get(this.self)?.table.active
    // which ones, not in what order: no draw from the random source
    return new Set(rankBackupCandidates({ candidates: this.hinted(members), self: this.self, chainBytes, current, random: () => 0 }))
  }

  /** Backup candidates with the free space and load they advertised (peer exchange). */
  private hinted (participants: string[]): Candidate[] {
    return participants.map(peerId => {
      const hint = this.c.capacityHint?.(peerId)
      return { peerId, free: hint?.free, load: hint?.held }
    })
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
    await Promise.allSettled([...this.rounds.values(), ...this.queued.values()])
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
   * queued, but a commit never joins it (see round).
   */
  async afterCommit (chainId: string, participants: string[], options: { own?: boolean, covering?: number, idle?: boolean } = {}): Promise<ReplicationOutcome> {
    const running = this.running.get(chainId)
    const idle = options.idle === true
    const queued = options.own === true ? undefined : this.queued.get(chainId)
    const next = queued != null && (idle || !this.idleQueued.has(queued)) ? queued : this.queue(chainId, participants, idle)
    if (running != null && options.covering != null) {
      const outcome = await running.catch(() => undefined)
      if (outcome?.complete === true && outcome.height >= options.covering) return outcome
    }
    return await next
  }

  /** A round after those queued: it starts once the one before it ended, however it ended. */
  private queue (chainId: string, participants: string[], idle: boolean): Promise<ReplicationOutcome> {
    const previous = this.rounds.get(chainId) ?? Promise.resolve()
    const next: Promise<ReplicationOutcome> = previous.catch(() => {}).then(async () => {
      if (this.queued.get(chainId) === next) this.queued.delete(chainId)
      this.running.set(chainId, next)
      try {
        return await this.round(chainId, participants, idle)
      } finally {
        this.idleQueued.delete(next)
        if (this.running.get(chainId) === next) this.running.delete(chainId)
        // the next round chains on this one as long as it is the last one queued
        if (this.rounds.get(chainId) === next) this.rounds.delete(chainId)
      }
    })
    this.queued.set(chainId, next)
    this.rounds.set(chainId, next)
    if (idle) this.idleQueued.add(next)
    // observed by its callers; a caller answered by the round before it leaves it unobserved
    next.catch(() => {})
    return next
  }

  /** Before a write of our own chain: refused if the last round found it went another way (OwnChainTables.checkOwnConflict). @throws OwnChainConflictError */
  async checkOwnConflict (): Promise<void> {
    await this.ownTables.checkOwnConflict()
  }

  /** Whether a backup table of ours names a block where our chain holds another one (OwnChainTables.ownTableConflict). */
  async ownTableConflict (): Promise<Error | undefined> {
    return await this.ownTables.ownTableConflict()
  }

  /** The node is stopping: no round, or no more of this one. The blocks are committed all the same. */
  private async stoppedRound (chainId: string): Promise<ReplicationStoppedError> {
    // a caller must not take this for a failed write and append it again
    const held = await this.c.store.tip(chainId).catch(() => undefined)
    return new ReplicationStoppedError(`no replication round for ${chainId}: the node is stopping${held != null && held.height > 0 ? `; its blocks up to height ${held.height} are committed (backups get them with a later round)` : ''}`)
  }

  /**
   * `idle`: no commit carries this round (idle-rounds.ts). It replaces no copy
   * that went another way (keepDiverged): only a write's round does, after
   * its consensus asked the booth whether our chain is the one they hold.
   */
  private async round (chainId: string, participants: string[], idle = false): Promise<ReplicationOutcome> {
    const { store, kBackups } = this.c
    if (this.stopping.signal.aborted) throw await this.stoppedRound(chainId)
    if (chainId === this.self && !this.ownTables.looked) {
      // A data dir restored from an older copy holds an older table than its
      // backups do: signed after it, this round's epoch would be one they
      // already hold, and every node that holds the newer one would ignore
      // it. The members show the newest (adopted by the lookup) first; asked
      // again by the next round until one answers.
      // (a LinkedSignal: AbortSignal.any would leave an entry on the stop signal per round, and a
      // vehicle no member answers asks every round)
      const lookup = new LinkedSignal([this.stopping.signal, AbortSignal.timeout(OWN_TABLE_LOOKUP_TIMEOUT)])
      await this.ownChainHolders({ signal: lookup.signal }).catch(() => {}).finally(() => { lookup.clear() })
    }
    const tip = await store.tip(chainId)
    const info = await store.info(chainId)
    const chainBytes = info?.bytes ?? 0
    const current = this.tables.get(chainId)?.table
    if (chainId === this.self) {
      await this.ownTables.checkBeforeRound(current)
    }
    const failures: Array<{ peerId: string, error: string }> = []
    const candidates = this.hinted(participants)
    // vehicles a transfer a crash cut short wrote to hold part of the chain, maybe all of it: kept as
    // current backups are (a probe's first round after the crash sent the whole chain to an empty one)
    const holding = [...(current?.active ?? []), ...this.transferNotes.interrupted(chainId)]
    const ranked = rankBackupCandidates({ candidates, self: this.self, chainBytes, current: holding, random: this.c.random ?? Math.random })
    // participants ruled out by the free space they advertise: reported if the round falls short
    const skipped = candidates
      .filter(c => c.peerId !== this.self && !ranked.includes(c.peerId))
      .map(c => ({ peerId: c.peerId, error: `NoCapacityError: advertises ${c.free ?? 0} bytes free, the chain needs ${chainBytes}` }))
    // The booth's participants first (V-Guard's choice); if they cannot make
    // k, the backups of the previous table that are not participants: they
    // hold most of the chain already, and otherwise the round would release
    // them with fewer than k copies left anywhere
    const fallback = (current?.active ?? []).filter(p => p !== this.self && !participants.includes(p))
    const order = [...ranked, ...fallback]
    const epoch = (current?.epoch ?? 0) + 1
    const active: string[] = []
    // failed candidates that may have stored part of the chain before failing
    const partial: string[] = []
    // of those, the ones whose transfer began: they hold part of the chain
    const begun: string[] = []
    const transfers: ReplicationOutcome['transfers'] = []
    /** Where each fresh backup's transfer ended (at the tip above, or past it: see topUp). */
    const reached: ChainTip[] = []
    let next = 0
    let inflight = 0
    // at most k transfers at a time, and never more than k successes: a copy
    // made beyond k would be held by a vehicle no table names
    const worker = async (): Promise<void> => {
      while (active.length + inflight < kBackups && next < order.length && !this.stopping.signal.aborted) {
        const peer = order[next++]
        inflight++
        // a vehicle with no connection whose dial fails stored nothing; one we
        // were connected to may have stored frames before it failed
        const connected = this.isConnected(peer)
        let started = false
        try {
          await this.transferNotes.note(chainId, peer, current)
          const result = await this.replicateOne(peer, chainId, epoch, idle, () => { started = true })
          active.push(peer)
          reached.push({ chainId, height: result.height, hash: result.tipHash })
          transfers.push({ peerId: peer, resumedFrom: result.resumedFrom, sentBlocks: result.sentBlocks, sentBytes: result.sentBytes })
        } catch (err) {
          const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
          this.log('backup %s failed for %s: %s', peer, chainId, message)
          failures.push({ peerId: peer, error: message })
          // a backup that refused at the offer (no room, not allowed), or whose diverged copy an idle round left, stored nothing
          const refusedAtOffer = err instanceof Error && (err.name === 'NoCapacityError' || err.name === 'DivergedCopyError' || err.message.includes('FORBIDDEN'))
          if (started || (connected && !refusedAtOffer)) partial.push(peer)
          if (started) begun.push(peer)
        } finally {
          inflight--
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, kBackups) }, worker))
    if (kBackups === 0) active.length = 0
    const complete = active.length >= kBackups
    // cut short by the stop, the round signs no table: it would say the candidates fell short (a probe's answer
    // read "only 0 of 2 backups could take the chain"); its transfers are noted, the next run's round settles them
    if (!complete && this.stopping.signal.aborted) throw await this.stoppedRound(chainId)
    if (!complete) failures.push(...skipped)

    // Previous backups this round could not refresh stay active while there
    // are fewer than k fresh ones: an older copy is better than none, and the
    // next round catches it up (readers see its older height and treat its
    // answers as stale). Released, it would leave the chain on the proposer alone.
    // At most k + KEPT_MARGIN of them, those refreshed last first (a table
    // lists its fresh backups first, then those it kept in the order it had
    // them): else every round short of k while backups come and go (vehicles
    // driving on) added one for good, until the table no longer fit
    // MAX_TABLE_MEMBERS and every round failed after its block was committed.
    // Those left out are obsolete below, and told to release.
    const notRefreshed = complete ? [] : (current?.active ?? []).filter(p => !active.includes(p))
    const kept = notRefreshed.slice(0, Math.max(0, Math.min(kBackups + KEPT_MARGIN, MAX_TABLE_MEMBERS - active.length)))
    const named = [...active, ...kept]
    // A round short of k leaves the part of the chain a failed candidate got
    // where it is, noted as a transfer a round began (interrupted): the next
    // round tries it first and resumes from its tip. Released, every retry
    // began from nothing, and on a slow link (a bandwidth probe: 42 MB at
    // 4 Mbit/s) a copy that failed near its end was never made. Meanwhile it
    // is an unclaimed copy there (retention's grace); the next round that
    // does not name it releases it. A complete round needs none of them.
    const resumable = complete ? [] : begun.filter(p => !named.includes(p))
    // previous holders, those not yet told, failed candidates that may hold a
    // partial copy, and transfers a crash interrupted before their table
    const previous = new Set([...(current?.active ?? []), ...this.releases.peers(chainId), ...partial, ...this.transferNotes.interrupted(chainId)])
    const obsoleteAll = [...previous].filter(p => !named.includes(p) && !resumable.includes(p))
    // the table names at most MAX_TABLE_MEMBERS obsolete backups (newest
    // first: they are the likeliest to be asked); all of them are still told
    const obsolete = obsoleteAll.slice(0, MAX_TABLE_MEMBERS)
    // A round that refreshed no backup names the chain's new tip all the same (readers must see that
    // what the backups serve is older, and a quorum read that it is short), with the point the backups
    // it kept hold: signing only the tip, a vehicle that lost its database then found no holder that
    // led to it, and every write failed for good (docs/consensus.md)
    const held = active.length === 0 ? (current != null ? heldPoint(current) : { height: 0, hash: new Uint8Array(0) }) : undefined
    // the transfers topped up to the blocks committed while they ran: the table names what every fresh backup holds
    const covered = reachedByAll(tip, reached)
    const signed = await signTable(this.c.privateKey, this.self, {
      chainId, epoch, active: named, obsolete, height: covered.height, tipHash: covered.hash, timestamp: (this.c.now ?? Date.now)(), held
    })
    // read from our store (its transfers sent up to it) and named by the table: the next round's check needs no read
    if (chainId === this.self && active.length > 0) this.ownTables.noteHeld({ height: covered.height, hash: covered.hash })
    // which of the backups it names are fresh, which the table cannot say: a restart starts from it (own-fresh.ts)
    if (chainId === this.self) await this.ownFresh.note(epoch, active)
    await this.releases.prepare(chainId, obsoleteAll)
    await this.tables.adopt(signed.signed, chainId)
    // gossip is a hint: the backups the table names get it straight away too,
    // until each acknowledges it (release-queue.ts), so their copy is claimed
    // even if the gossip is lost (an unclaimed copy falls under retention)
    await this.releases.update(chainId, obsoleteAll, named)
    await this.transferNotes.recorded(chainId, resumable)
    // a round without a write takes every connected member as a participant: past the bound receivers decode
    // (MAX_PARTICIPANTS), its gossip was dropped as invalid in a fleet of more than 64 (a review)
    this.gossip.publish({ chainId, height: covered.height, tipHash: covered.hash as Uint8Array<ArrayBuffer>, participants: participants.slice(0, MAX_PARTICIPANTS), table: signed.signed as Uint8Array<ArrayBuffer> })
    this.c.events.safeDispatchEvent('backup:table', { detail: { chainId, epoch, active: named, obsolete, height: covered.height } })
    if (!complete) this.log('only %d of %d backups for %s at epoch %d (%d older copies kept)', active.length, kBackups, chainId, epoch, kept.length)
    // a member ruled out by the room it advertises was not tried: not paused as one that failed (it said so on
    // /status, and a member that freed room waited out a pause doubled by every round short of k: a review)
    if (chainId === this.self) this.idleRounds.noteRound({ complete, failures: failures.filter(f => !skipped.some(s => s.peerId === f.peerId)), transfers })
    return { chainId, height: covered.height, epoch, active: named, obsolete, complete, failures, transfers }
  }

  private isConnected (peer: string): boolean {
    try {
      return this.c.libp2p.getConnections(peerIdFromString(peer)).length > 0
    } catch {
      return false
    }
  }

  private async replicateOne (peer: string, chainId: string, epoch: number, keepDiverged: boolean, onStarted: () => void): Promise<ReplicateResult> {
    const key = `${chainId}\n${peer}`
    let reached = { sentBytes: 0, height: 0 }
    try {
      const result = await withDeadline(REPLICATE_TIMEOUT, async (signal) => await this.replicate.replicateTo(peerIdFromString(peer), chainId, {
        epoch,
        signal,
        // a write committed while the round runs is covered by it, not by the next one (see afterCommit)
        topUp: true,
        keepDiverged,
        onProgress: (p) => {
          onStarted()
          reached = { sentBytes: p.sentBytes, height: p.height }
          this.transfers.set(key, p)
          this.c.events.safeDispatchEvent('replicate:progress', { detail: p })
        }
      }), 'replication unfinished', this.stopping.signal)
      this.c.events.safeDispatchEvent('replicate:finished', { detail: { chainId, peer, sentBytes: result.sentBytes, height: result.height } })
      return result
    } catch (err) {
      this.c.events.safeDispatchEvent('replicate:finished', { detail: { chainId, peer, ...reached, error: errorLabel(err) } })
      throw err
    } finally {
      this.transfers.delete(key)
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
    return this.transfers.size
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
      transfers: [...this.transfers.values()].filter(t => t.chainId === chainId)
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
    return this.offeredEpoch(chainId) > table.epoch ? 'unclaimed' : 'temporary'
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
