/**
 * @packageDocumentation
 *
 * A V-Guard vehicle node: libp2p networking, a persistent identity, and the
 * LevelDB store, composed behind one object.
 *
 * @example
 *
 * ```ts
 * import { createVGuardNode } from 'vguard-node'
 *
 * const node = await createVGuardNode({ dataDir: './vehicle-1', network: 'fleet' })
 * node.addEventListener('peer:connected', (e) => { console.log('met', e.detail.peerId) })
 * await node.start()
 * // ...
 * await node.stop()
 * ```
 */
import { TypedEventEmitter } from 'main-event'
import { defaultLogger } from '@libp2p/logger'
import type { PeerId, ComponentLogger, Logger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { checkExtras, resolveConfig } from './config.ts'
import type { VGuardNodeOptions, VGuardNodeConfig } from './config.ts'
import { loadOrCreateKey, readKey } from './identity.ts'
import { buildLibp2p } from './libp2p.ts'
import { HandshakeRoom } from './handshake-room.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import { Peering } from './peering.ts'
import type { CapacityNews } from './capacity-news.ts'
import { openDatabase } from '../storage/database.ts'
import type { NodeDatabase } from '../storage/database.ts'
import { detailCopy } from './events.ts'
import type { VGuardNodeEvents } from './events.ts'
import { listenErrorOf } from './listen-error.ts'
import { LevelChainStore } from '../storage/level.ts'
import type { ChainStore, Pin } from '../storage/index.ts'
import { prunedUnder } from '../storage/pruned-pins.ts'
import { boothsTopic } from './vguarddb.ts'
import type { VGuardDB } from './vguarddb.ts'
import { peersTopic } from '../protocols/peer-exchange/index.ts'
import type { EndOfBoothInput, ReplicationOutcome } from './vguarddb.ts'
import { NotStartedError } from '../protocols/errors.ts'
import { checkRuntime, NodeStoppedError } from './errors.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Sync } from '../protocols/sync/index.ts'
import type { StorageMaster } from '../storage/retention.ts'
import { diskFreeBytes } from '../storage/disk.ts'
import { valueLogBytes } from '../storage/paxos-values.ts'
import { checkDrainGrace } from './drain-grace.ts'
import { checkNotInsideNode } from '../storage/nested-dir.ts'
import type { StorageUsage } from '../storage/retention.ts'
import type { Consensus } from './consensus.ts'
import type { ReconcileOnConnect } from './reconcile-on-connect.ts'
import type { CommitResult, BlockRead, KeyRead, ReadOptions, WriteOptions } from './consensus.ts'
import type { TransactionInput } from '../chain/index.ts'
import { MemoryClock, MEMORY_CLOCK_SUBLEVEL } from './memory-clock.ts'
import type { Registry } from 'prom-client'
import { buildCapacityNews, buildConsensus, buildMetrics, buildReconciler, buildStorageMaster, buildSync, buildVGuardDB } from './node-parts.ts'
import type { NodeParts } from './node-parts.ts'
import { isCopy } from './chain-standing.ts'
import { appendAndTell } from './write-events.ts'
import { WritesUnderWay } from './writes-under-way.ts'
import { closeStorage, stopServices } from './node-lifecycle.ts'
import { checkPinnedChain } from './pin-chain.ts'
import { checkBlockRead, checkKeyRead } from './chain-reads.ts'
import { checkWrite } from './write-input.ts'

export type { VGuardNodeOptions, VGuardNodeConfig } from './config.ts'
export type {
  VGuardNodeEvents, PeerDetail, PeerInfoDetail, PeerRejectedDetail, PeerRejectedCode, BootstrapFailedDetail, ChainCommittedDetail, WriteSettledDetail, StoragePrunedDetail,
  ReplicateFinishedDetail, BackupTableDetail, ReplicateProgressDetail
} from './events.ts'
export { ConfigError } from './config.ts'
export { DataDirInUseError } from '../storage/database.ts'
export { DataDirError } from '../storage/dirs.ts'
export { InvalidPinError, DiskFullError, ChainNotFoundError, StoreClosedError } from '../storage/errors.ts'
export { PayloadPrunedError } from '../chain/errors.ts'
export type { Pin } from '../storage/index.ts'
export { NodeStoppedError, UnsupportedRuntimeError } from './errors.ts'
export { ListenError } from './listen-error.ts'
export { peerIdOf, InvalidKeyFileError } from './identity.ts'
export type { EndOfBoothInput, ReplicationOutcome } from './vguarddb.ts'
export type { OwnReplicationStatus } from './idle-rounds.ts'
export { InvalidBoothError, OwnChainConflictError, ReplicationFailedError, ReplicationStoppedError } from './vguarddb.ts'
export { InvalidTransactionError } from '../chain/errors.ts'
import { InvalidTransactionError } from '../chain/errors.ts'
import { isIdempotencyKey } from './idempotency.ts'
export type { TransactionInput } from '../chain/payload.ts'
export { NotStartedError } from '../protocols/errors.ts'
export { NoHolderReachableError } from '../protocols/read/errors.ts'
export { InvalidIdempotencyKeyError, checkIdempotencyKey } from './idempotency.ts'
export type { BlockRead, CommitResult, KeyRead, ReadOptions, WriteOptions, Consistency, ReplicaStatus, ReplicationSummary } from './consensus.ts'
export {
  NoQuorumError, CommitTimeoutError, NoLeaderError, ProposerUnreachableError, NotProposerError, QuorumReadError, ConsensusStoppedError, RefusedWriteError, InvalidReadError,
  ChainRecoveryError, OwnChainNotBackError
} from './consensus-errors.ts'

/** What `pin` did. */
export interface PinOutcome {
  /** False: those blocks were pinned already. */
  changed: boolean
  /**
   * Blocks the pin names whose payload retention pruned before (heights up
   * to the tip; for a key, the block that wrote its current value).
   */
  alreadyPruned: number
}

export interface ConnectedPeer {
  peerId: string
  addresses: string[]
  /** Storage the peer advertised (peer exchange): bytes it can still take, and bytes it holds for others. */
  storage?: { free: number, held: number }
}

export interface VGuardNode extends TypedEventEmitter<VGuardNodeEvents> {
  readonly peerId: PeerId
  /** The options as checked, with their defaults: frozen (a new node takes other ones). */
  readonly config: VGuardNodeConfig
  /**
   * The addresses peers are given (with /p2p/<peer id>): the announced ones
   * if any were set (`announce`), else the listening ones. After start().
   */
  readonly multiaddrs: Multiaddr[]
  /** The addresses the node listens on, as bound (with /p2p/<peer id>), announced or not. After start(). */
  readonly listenAddrs: Multiaddr[]
  /**
   * The open LevelDB database of this node. The parts below (store, chains, vguarddb, sync,
   * storageMaster, consensus) are the node's own components, exposed for reading and for tools:
   * what changes data through them (an append, a deleteChain) bypasses consensus, replication and
   * their checks. Write with put, delete, append and endOfBooth.
   */
  readonly store: NodeDatabase
  /** Every chain this node holds: its own, the shared one, and backup copies (read them here; see store on writing). */
  readonly chains: ChainStore
  /** The storage layer: replicate, backup tables, release, read with redirect. */
  readonly vguarddb: VGuardDB
  /** /vguard/sync/1.0.0: tips, block ranges, and reconcile after a restart. */
  readonly sync: Sync
  /** Temporary storage: retention τ and size bound for copies this node neither owns nor backs up. */
  readonly storageMaster: StorageMaster
  /** Booth consensus: /vguard/paxos/1.0.0, one replica per chain, the shared chain, forwarded writes. */
  readonly consensus: Consensus
  /** Prometheus metrics of this node (its own registry): `await node.metrics.metrics()` is the text format. */
  readonly metrics: Registry
  /**
   * Commits transactions as (part of) one block through consensus: this
   * vehicle's chain by default, `chainId: 'shared'` for the network's chain
   * (forwarded to its leader), another vehicle's id to forward to it.
   * Resolves once decided and applied, with the block's height and hash;
   * own chain: also once its replication round ended or the timeout came,
   * with what the round reached in `replication` (complete, partial, or
   * pending: committed, the round still running).
   *
   * @throws InvalidTransactionError, NoQuorumError (nothing written; a keyed write gets CommitTimeoutError
   * instead: an earlier attempt under its key may still commit), CommitTimeoutError, NoLeaderError, ProposerUnreachableError
   */
  append: (transactions: TransactionInput[], options?: WriteOptions) => Promise<CommitResult>
  /** `append([{ key, value }])`. */
  put: (key: string, value: Uint8Array, options?: WriteOptions) => Promise<CommitResult>
  /** `append([{ op: 'DELETE', key }])`. */
  delete: (key: string, options?: WriteOptions) => Promise<CommitResult>
  /** Reads a key of a chain: `local` (default), `leader` or `quorum` (Nr holders agree). */
  get: (chainId: string, key: string, options?: ReadOptions) => Promise<KeyRead>
  /**
   * Reads the block at a height of a chain: `local` (default), `leader` or
   * `quorum` (Nr holders hold the same block). `block` is undefined when the
   * chain has none at that height.
   *
   * @throws InvalidReadError, QuorumReadError, NoLeaderError, ProposerUnreachableError
   */
  getBlock: (chainId: string, height: number, options?: ReadOptions) => Promise<BlockRead>
  /**
   * Keeps blocks of a chain this node holds from retention: every block that
   * writes a key, or a range of heights (idempotent). `alreadyPruned` counts
   * the blocks it names whose payload was pruned before (a pin cannot bring
   * them back). Pinning a chain held for another vehicle lowers the room this
   * node advertises: it is announced at once.
   *
   * @throws InvalidPinError
   */
  pin: (chainId: string, pin: Pin) => Promise<PinOutcome>
  /** Lets retention prune those blocks again (they leave every pin that holds them; idempotent). @throws InvalidPinError */
  unpin: (chainId: string, pin: Pin) => Promise<{ changed: boolean }>
  /**
   * Capacity and bytes held. `free` is what this node can still take, the
   * figure /status shows and its peers are told (see StatusResponse.storage).
   */
  storageUsage: () => Promise<StorageUsage>
  /** Bytes still free on the data dir's disk (Infinity where the file system cannot tell). */
  diskFree: () => Promise<number>
  /** Bytes the consensus value logs take on disk (large values this node voted on as a booth member); not part of `used`. */
  consensusLogBytes: () => Promise<number>
  /**
   * VGuard's hook: append the block its consensus agreed on to this vehicle's
   * chain, bound to the participants, then replicate → table → release.
   */
  endOfBooth: (input: EndOfBoothInput) => Promise<ReplicationOutcome>
  /** The libp2p node, for protocols and tests. */
  readonly libp2p: VGuardLibp2p
  readonly status: 'stopped' | 'started'
  /** Connected peers of our network. */
  peers: () => ConnectedPeer[]
  start: () => Promise<void>
  /**
   * Before stop(): writes forwarded by peers are answered that this node is
   * stopping (not taken), and those being committed get their answer,
   * `graceMs` at most. During start() it waits for the start to end first;
   * a node not started has nothing to drain.
   */
  drain: (graceMs: number) => Promise<void>
  stop: () => Promise<void>
}

export interface CreateVGuardNodeExtras {
  logger?: ComponentLogger
}

class VGuardNodeImpl extends TypedEventEmitter<VGuardNodeEvents> implements VGuardNode {
  readonly peerId: PeerId
  readonly config: VGuardNodeConfig
  readonly store: NodeDatabase
  readonly chains: ChainStore
  readonly libp2p: VGuardLibp2p
  readonly vguarddb: VGuardDB
  readonly sync: Sync
  readonly storageMaster: StorageMaster
  readonly consensus: Consensus
  readonly metrics: Registry
  status: 'stopped' | 'started' = 'stopped'
  private readonly peering: Peering
  private readonly memoryClock: MemoryClock
  private readonly reconciler: ReconcileOnConnect
  private readonly capacityNews: CapacityNews
  private readonly log: Logger

  /** Listeners get a copy of each detail (detailCopy): none can edit the node's state through it. */
  override safeDispatchEvent<Detail> (type: keyof VGuardNodeEvents, init?: CustomEventInit<Detail>): boolean {
    if (init?.detail === undefined || this.listenerCount(type) === 0) return super.safeDispatchEvent(type, init)
    return super.safeDispatchEvent(type, { ...init, detail: detailCopy(init.detail) })
  }

  constructor (parts: NodeParts) {
    super()
    this.config = parts.config
    this.store = parts.store
    this.chains = parts.chains
    this.libp2p = parts.libp2p
    this.peerId = parts.libp2p.peerId
    this.peering = parts.peering
    this.memoryClock = parts.memoryClock
    this.peering.setEventTarget(this)
    // in this order (node-parts.ts): a part reads those built after it through the node, when called
    this.vguarddb = buildVGuardDB(this, parts)
    this.capacityNews = buildCapacityNews(this, parts)
    this.log = parts.logger.forComponent('vguard:node')
    this.sync = buildSync(this, parts)
    this.reconciler = buildReconciler(this, parts, this.log)
    this.storageMaster = buildStorageMaster(this, parts)
    this.consensus = buildConsensus(this, parts)
    this.metrics = buildMetrics(this, parts)
  }

  async append (transactions: TransactionInput[], options?: WriteOptions): Promise<CommitResult> {
    // before start(), what is wrong with the write first, as with a read's (a start would not help, and a keyed one
    // said an earlier attempt may commit: a probe, 2026-12-03); checked here only then, a write is encoded once
    if (this.status !== 'started' && !this.closed && this.stopping == null) checkWrite(transactions, options as WriteOptions, this.peerId.toString(), this.config.commitTimeout)
    this.checkWritable(options?.idempotencyKey)
    // node:stopped is the last event: stop() waits for the outcome of every write it finds under way
    return await this.writesUnderWay.track(appendAndTell(this.consensus, this, this.peerId.toString(), transactions, options))
  }

  async put (key: string, value: Uint8Array, options?: WriteOptions): Promise<CommitResult> {
    // from JavaScript: a value left undefined would be stored empty (append's { key } means that; put's value is required)
    if (value === undefined) throw new InvalidTransactionError('put(key, value): the value is required (bytes, a Uint8Array; an empty one stores an empty value, delete(key) removes the key)')
    return await this.append([{ key, value }], options)
  }

  async delete (key: string, options?: WriteOptions): Promise<CommitResult> {
    return await this.append([{ op: 'DELETE', key }], options)
  }

  /**
   * A write (or an end of booth) needs a started node. A keyed one refused
   * here ran nothing, but an earlier attempt under its key (through another
   * node, before a restart) may still commit: like every keyed write's 503
   * (keyedFailure, write-failures.ts), it says so (a review: a stopped node's said
   * nothing of it; a test: a keyed end of booth's said nothing either).
   */
  private checkWritable (idempotencyKey: unknown): void {
    try {
      this.checkOpen()
      if (this.status !== 'started') throw new NotStartedError('node is not started')
    } catch (err) {
      if (!isIdempotencyKey(idempotencyKey)) throw err
      const message = `${(err as Error).message}: this attempt ran nothing, and an earlier attempt under the same idempotency key (through another node, or before a restart) may still commit, whole or not at all: a retry with the key gets its outcome`
      throw err instanceof NotStartedError ? new NotStartedError(message, true) : new NodeStoppedError(message, true)
    }
  }

  /** Local reads work before start(); from stop() on, nothing does (the database is being closed). */
  private checkOpen (): void {
    if (this.closed) throw new NodeStoppedError('the node was stopped and its database closed')
    if (this.stopping != null) throw new NodeStoppedError('the node is stopping: its database is being closed')
  }

  async get (chainId: string, key: string, options?: ReadOptions): Promise<KeyRead> {
    this.checkOpen()
    // what is wrong with the read first: before start(), "not started" would say a start helps
    if (checkKeyRead(chainId, key, options) !== 'local') this.checkStarted()
    return await this.consensus.readKey(chainId, key, options)
  }

  async getBlock (chainId: string, height: number, options?: ReadOptions): Promise<BlockRead> {
    this.checkOpen()
    if (checkBlockRead(chainId, height, options) !== 'local') this.checkStarted()
    return await this.consensus.readBlock(chainId, height, options)
  }

  /** A read that asks other nodes needs a started node (a local one reads the disk). */
  private checkStarted (): void {
    if (this.status !== 'started') throw new NotStartedError('node is not started')
  }

  async pin (chainId: string, pin: Pin): Promise<PinOutcome> {
    // as every read and write: a closing store answered StoreClosedError (a review)
    this.checkOpen()
    checkPinnedChain(chainId)
    const changed = await this.chains.pin(chainId, pin)
    // a pinned copy is no longer room a size run can surely free (retention.ts, surelyPrunable)
    if (changed && isCopy(this.peerId.toString(), chainId)) this.peering.announceSoon()
    return { changed, alreadyPruned: await prunedUnder(this.chains, chainId, pin) }
  }

  async unpin (chainId: string, pin: Pin): Promise<{ changed: boolean }> {
    this.checkOpen()
    checkPinnedChain(chainId)
    const changed = await this.chains.unpin(chainId, pin)
    if (changed && isCopy(this.peerId.toString(), chainId)) this.peering.announceSoon()
    return { changed }
  }

  async storageUsage (): Promise<StorageUsage> {
    // free as /status and the peers have it: storageMaster's own figure (capacity less used) left out the
    // temporary payloads an offer would prune, the disk and the transfers in flight
    const [usage, free] = await Promise.all([this.storageMaster.usage(), this.vguarddb.offerableCapacity()])
    return { ...usage, free }
  }

  async diskFree (): Promise<number> {
    return await diskFreeBytes(this.config.dataDir)
  }

  async consensusLogBytes (): Promise<number> {
    return await valueLogBytes(this.config.dataDir)
  }

  /** A commit grew a chain held here: peers hear of its room if what they were told is now far off. */
  private readonly onCommitted = (): void => { void this.capacityNews.grew() }

  /**
   * Zombie catch-up (seed 003): whenever a member connects, ask it for its
   * tips of the chains held here and fetch what we lack. A node restarted
   * with data thus reconciles as its peers come back; one that held nothing
   * (a baby) asks for nothing. Reconnecting after a partition does the same.
   */
  private readonly onPeerConnected = (evt: CustomEvent<{ peerId: string }>): void => {
    if (this.status !== 'started') return
    this.reconciler.peer(peerIdFromString(evt.detail.peerId))
  }

  async endOfBooth (input: EndOfBoothInput): Promise<ReplicationOutcome> {
    // from JavaScript the input may be anything: checked by Consensus
    this.checkWritable((input as Partial<EndOfBoothInput> | null | undefined)?.idempotencyKey)
    // once our own consensus runs on this chain, VGuard's blocks go through it too (one order)
    const booth = this.consensus.endOfBooth(input, async (booth, id) => await this.vguarddb.appendEndOfBooth(booth, id))
    // a write like the others to stop(): node:stopped comes after its outcome (consensus waits for its block,
    // but its round may still be asked for past the services' stop: a test saw node:stopped first)
    return await this.writesUnderWay.track(booth)
  }

  get multiaddrs (): Multiaddr[] {
    return this.libp2p.getMultiaddrs()
  }

  get listenAddrs (): Multiaddr[] {
    const p2p = `/p2p/${this.peerId.toString()}`
    return this.libp2p.services.listenAddrs.addrs().map(a => a.encapsulate(p2p))
  }

  peers (): ConnectedPeer[] {
    return this.peering.connectedMembers().map(peerId => {
      const storage = this.peering.capacityOf(peerId.toString())
      return {
        peerId: peerId.toString(),
        addresses: this.libp2p.getConnections(peerId).map(c => c.remoteAddr.toString()),
        ...(storage != null ? { storage } : {})
      }
    })
  }

  /** stop() closed the database: this node does not start again (a new one does). */
  private closed = false
  private starting?: Promise<void>
  private stopping?: Promise<void>
  /** Writes taken and not yet settled (append, endOfBooth): stop() waits for their outcome before node:stopped. */
  private readonly writesUnderWay = new WritesUnderWay()

  async start (): Promise<void> {
    // checked first: a stop() under way leaves the status 'started' until it ends
    if (this.closed || this.stopping != null) {
      throw new NodeStoppedError('this node was stopped and its database closed: create a new one with createVGuardNode to start again')
    }
    if (this.status === 'started') return
    // a second call while the first runs waits for it (both registering the protocols would clash)
    if (this.starting != null) return await this.starting
    this.starting = this.startServices().finally(() => { this.starting = undefined })
    await this.starting
  }

  private async startServices (): Promise<void> {
    try {
      try {
        await this.libp2p.start()
      } catch (err) {
        throw listenErrorOf(err)
      }
      // who sent it, then what it holds: junk a member publishes goes no further than us (a review)
      const { topicValidators } = this.libp2p.services.pubsub
      topicValidators.set(boothsTopic(this.config.network), this.peering.validatorFor(this.vguarddb.judgeGossip))
      topicValidators.set(peersTopic(this.config.network), this.peering.viewValidator)
      await this.vguarddb.start()
      await this.sync.start()
      const held = await this.chains.chains()
      // the count goes only where the line has a place for it: "baby: no chains on disk 0" (a probe, 2026-12-03)
      if (held.length > 0) this.log('zombie: %d chains on disk, reconciling as peers connect', held.length)
      else this.log('baby: no chains on disk')
      this.addEventListener('peer:connected', this.onPeerConnected)
      this.addEventListener('chain:committed', this.onCommitted)
      this.storageMaster.start()
      this.memoryClock.start()
      // peering first: identify results that arrive before it listens are lost
      // (a peer would never count as a member), and consensus start awaits disk
      this.peering.start()
      await this.consensus.start()
      this.vguarddb.settleInterrupted()
    } catch (err) {
      // nothing half started stays behind (a listener would keep the process alive)
      await this.stopServices().catch(() => {})
      throw err
    }
    this.status = 'started'
    // members that connected while consensus read its state from disk were not
    // reconciled with (a zombie would stay behind until the next connection)
    this.reconciler.start()
    for (const peer of this.peering.connectedMembers()) this.reconciler.peer(peer)
  }

  /**
   * Before stop(): writes forwarded by peers are answered that this node is
   * stopping (not taken), and those being committed get their answer,
   * `graceMs` at most. The CLI drains its HTTP API and this together. From
   * now on the node seeks no new peers: only members it lost are dialled
   * again, and its bootstrap peers are dialled and reported no more.
   *
   * Called while start() runs, it waits for the start to end and drains the
   * node it started (it returned at once and drained nothing, so a drain then
   * stop() during a start stopped an undrained node: a probe, 2026-12-03); a
   * node not started, or whose start failed, has nothing to drain.
   *
   * @throws InvalidArgumentError for a grace that is not a number of ms from 0 (it drained nothing: a probe)
   */
  async drain (graceMs: number): Promise<void> {
    checkDrainGrace('drain', graceMs)
    // the start's own caller hears of its failure
    await this.starting?.catch(() => {})
    if (this.status !== 'started') return
    this.peering.leave()
    await this.consensus.drain(graceMs)
  }

  async stop (): Promise<void> {
    this.stopping ??= this.stopOnce()
    await this.stopping
  }

  private async stopOnce (): Promise<void> {
    // a start in progress ends first (stopping beside it would close the database under it)
    await this.starting?.catch(() => {})
    try {
      if (this.status === 'started') {
        this.status = 'stopped'
        try {
          await this.stopServices()
        } finally {
          // consensus stopped: every write under way has its outcome at once (bounded all the same: stop never hangs)
          await this.writesUnderWay.settled()
          this.safeDispatchEvent('node:stopped', { detail: { peerId: this.peerId.toString() } })
        }
      }
    } finally {
      this.closed = true
      await closeStorage({ memoryClock: this.memoryClock, consensus: this.consensus, chains: this.chains, store: this.store })
    }
  }

  /** Every service, in order (node-lifecycle.ts), the node's own listeners taken off first. */
  private async stopServices (): Promise<void> {
    const { peering, reconciler, capacityNews, vguarddb, consensus, storageMaster, sync, libp2p } = this
    await stopServices({ peering, reconciler, capacityNews, vguarddb, consensus, storageMaster, sync, libp2p }, () => {
      this.removeEventListener('peer:connected', this.onPeerConnected)
      this.removeEventListener('chain:committed', this.onCommitted)
    })
  }
}

/**
 * Creates a node: loads (or creates) its key and opens its database, so that a
 * second process on the same data dir fails here with DataDirInUseError.
 * Networking begins with start(); stop() closes connections and the database.
 */
export async function createVGuardNode (options: VGuardNodeOptions, extras: CreateVGuardNodeExtras = {}): Promise<VGuardNode> {
  checkRuntime()
  const config = resolveConfig(options)
  checkExtras(extras)
  // nothing is made inside another node's folders: it would delete a node's dir in its segments/
  await checkNotInsideNode(config.dataDir)
  // a key file that cannot be used refuses the dir before anything is made in it (a database was)
  await readKey(config.dataDir)
  // then the database: its lock is what tells us another node owns the dir
  const store = await openDatabase(config.dataDir)
  try {
    const privateKey = await loadOrCreateKey(config.dataDir)
    const logger = extras.logger ?? defaultLogger()
    // the gater needs the peering's deny list, and the peering needs libp2p
    const late: { peering?: Peering } = {}
    const handshakes = new HandshakeRoom({ logger })
    const libp2p = await buildLibp2p({
      config,
      privateKey,
      logger,
      handshakes,
      isDenied: (peerId) => late.peering?.gate(peerId) ?? false,
      dialDenied: (peerId) => late.peering?.isDenied(peerId) ?? false
    })
    const peering = late.peering = new Peering({
      libp2p,
      network: config.network,
      bootstrap: config.bootstrap,
      allowedPeers: config.allowedPeers,
      reconnectInterval: config.reconnectInterval,
      logger
    })
    const chains = await LevelChainStore.open(store)
    const memoryClock = await MemoryClock.open(store.sublevel(MEMORY_CLOCK_SUBLEVEL))
    return new VGuardNodeImpl({ config, store, chains, libp2p, peering, privateKey, logger, memoryClock, handshakes })
  } catch (err) {
    await store.close()
    throw err
  }
}
