/**
 * Writing chains through consensus — what `node.append`, `node.put` and
 * `node.delete` do.
 *
 * Writes:
 * - this vehicle's own chain: batched into blocks by its own Paxos instance
 *   (concurrent writes share a block; that is where throughput comes from);
 * - the shared chain: proposed here when this node leads it, else forwarded
 *   to the leader over /vguard/write/1.0.0, following leadership changes
 *   until the deadline;
 * - another vehicle's chain: forwarded to that vehicle, its only proposer.
 * A write resolves once its block is decided and applied — for an own chain
 * also replicated to the k backups (VGuardDB's synchronous phase) unless
 * `waitForReplication: false` — with the block's height and hash. It
 * commits whole or not at all: one write is never split over blocks. The
 * write's timeout bounds the whole wait: a committed write whose replication
 * round has not ended by then is answered with `replication.state` pending
 * (committed, acknowledged; the round goes on), never with an error.
 *
 * Reads (`local`, `leader`, `quorum`) are chain-reads.ts; this file keeps
 * the gate a `leader` read of our chains passes (confirmLeader). A write's
 * checks are write-input.ts; a submission that commits once, submit-once.ts;
 * the shared chain's retries over leaders, shared-writes.ts; the forwarding
 * client, write-forwarding.ts; the words a failed write ends with,
 * write-failures.ts.
 */
import { randomBytes } from 'node:crypto'
import type { ComponentLogger, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'
import { fromHex, toHex } from '../chain/index.ts'
import type { TransactionInput } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import type { NodeDatabase } from '../storage/database.ts'
import { MAX_WRITE_TIMEOUT, WriteService } from '../protocols/write/index.ts'
import type { ForwardedWrite, WriteCommitted } from '../protocols/write/index.ts'
import { withinMs } from '../protocols/time-limit.ts'
import { stopController } from '../protocols/stream.ts'
import { NodeStoppedError } from './errors.ts'
import type { LeaderCheck } from '../protocols/read/index.ts'
import type { Sync } from '../protocols/sync/index.ts'
import type { VGuardLibp2p } from './libp2p.ts'
import type { VGuardNodeEvents } from './events.ts'
import { checkBoothInput, InvalidBoothError } from './booth-input.ts'
import type { CheckedBooth, EndOfBoothInput } from './booth-input.ts'
import type { VGuardDB, ReplicationOutcome } from './vguarddb.ts'
import type { VGuardNodeConfig } from './config.ts'
import { shownNumber } from './config.ts'
import { PaxosDriver } from './paxos-driver.ts'
import type { CommitResult, ReplicaStatus, ReplicationSummary } from './replica-types.ts'
import { encodeWrite } from './batch.ts'
import type { EncodedWrite, WriteRef } from './batch.ts'
import { ChainReads } from './chain-reads.ts'
import type { BlockRead, KeyRead, ReadOptions } from './chain-reads.ts'
import { RecentWrites, memoryOwner, writeKey } from './recent-writes.ts'
import { checkIdempotencyKey, idempotentRef, isIdempotencyKey } from './idempotency.ts'
import { LEADER_READ_TIMEOUT, SHARED_CHAIN } from './paxos-constants.ts'
import { OwnChainReturn } from './own-chain-return.ts'
import { BackoffTask } from './backoff-task.ts'
import { heldPoint } from '../backup/index.ts'
import { OwnChainMarker } from './own-chain-marker.ts'
import { remainingUntil, submitOnce } from './submit-once.ts'
import { forwardWrite, WRITE_ID_BYTES } from './write-forwarding.ts'
import type { ForwardingDeps } from './write-forwarding.ts'
import { appendShared } from './shared-writes.ts'
import type { SharedWritesDeps } from './shared-writes.ts'
import { checkWrite } from './write-input.ts'
import type { WriteOptions } from './write-input.ts'
import { keyedFailure, roundFailure, unkeyedBoothFailure, unkeyedFailure } from './write-failures.ts'
import type { BoothProgress, WriteProgress } from './write-failures.ts'
import type { ConsensusRecord } from './own-chain-marker.ts'
import { ConsensusStoppedError, NoQuorumError, NotProposerError, RefusedWriteError } from './consensus-errors.ts'

export type { CommitResult, ReplicaStatus, ReplicationSummary } from './replica-types.ts'
export type { BlockRead, Consistency, KeyRead, ReadOptions } from './chain-reads.ts'
export type { WriteOptions } from './write-input.ts'

export interface ConsensusComponents {
  libp2p: VGuardLibp2p
  privateKey: PrivateKey
  chains: ChainStore
  database: NodeDatabase
  logger: ComponentLogger
  events: TypedEventEmitter<VGuardNodeEvents>
  connectedMembers: () => PeerId[]
  isMember: (peer: PeerId) => boolean
  vguarddb: VGuardDB
  sync: Pick<Sync, 'fetch' | 'writeIds'>
  config: VGuardNodeConfig
  /** What remembered writes are stamped and aged by (MemoryClock). @default Date.now */
  memoryNow?: () => number
}

export class Consensus {
  readonly driver: PaxosDriver
  readonly writes: WriteService
  readonly reads: ChainReads
  /** How a write reaches the proposer of a chain this node does not write. */
  private readonly forwarding: ForwardingDeps
  /** What a shared-chain write leans on (shared-writes.ts). */
  private readonly sharedWrites: SharedWritesDeps
  private readonly c: ConsensusComponents
  private readonly log: Logger
  private readonly self: string
  /** Writes with an id taken here (forwarded ones, and those a client keyed), by their key: a retry gets the first outcome. */
  private readonly forwarded = new RecentWrites<CommitResult>()
  /** Serializes the choice between VGuard's direct endOfBooth and our consensus on our own chain. */
  private ownGate: Promise<unknown> = Promise.resolve()
  /**
   * Ends of booth under way, until their block is appended or committed (not their round, which
   * VGuardDB's stop cuts and awaits): stop() waits for them, so the stores are not closed under
   * them (a test: the database closed under a direct append, which failed, block lost).
   */
  private readonly boothsUnderWay = new Set<Promise<number>>()
  /** Whether our own chain is back after a database loss, or behind what its backups hold (own-chain-return.ts). */
  private readonly ownReturn: OwnChainReturn
  /** Gets our own chain back after our database was lost, without waiting for a write. */
  private readonly ownRecall: BackoffTask
  private readonly onMemberConnected = (): void => { this.ownRecall.poke() }
  /** Which database wrote our own chain: tells a lost database from a new vehicle (set by start()). */
  private ownMarker?: OwnChainMarker
  /** Resolves to the marker once start() opened it: our replica, reopened before that, records its booth through it. */
  private ownMarkerOpened = Promise.withResolvers<OwnChainMarker>()
  /** A table of our chain signed or adopted: its epoch goes in the marker (what a lost database must be brought back to). */
  private readonly onTable = (evt: CustomEvent<{ chainId: string, epoch: number }>): void => {
    if (evt.detail.chainId === this.self) this.ownMarker?.noteEpoch(evt.detail.epoch)
  }

  private running = false
  /** Aborted by stop(): the questions to holders in flight end at once (a quorum read waited out its timeout on a frozen holder after stop: a probe). */
  private stopping = stopController()

  constructor (components: ConsensusComponents) {
    this.c = components
    this.log = components.logger.forComponent('vguard:consensus')
    this.self = components.libp2p.peerId.toString()
    this.driver = new PaxosDriver({
      libp2p: components.libp2p,
      privateKey: components.privateKey,
      chains: components.chains,
      database: components.database,
      logger: components.logger,
      events: components.events,
      connectedMembers: components.connectedMembers,
      isMember: components.isMember,
      afterCommit: async (chainId, participants, height) => await components.vguarddb.afterCommit(chainId, participants, { covering: height }),
      sync: components.sync,
      ownChainHolders: async () => await components.vguarddb.ownChainHolders(),
      ownTableConflict: async () => await this.ownReturn.againstTables(),
      ownHeldHeight: () => {
        const table = components.vguarddb.tables.get(this.self)?.table
        return table == null ? undefined : heldPoint(table).height
      },
      boothSize: components.config.boothSize,
      priority: components.config.priority,
      kBackups: components.config.kBackups,
      allowedPeers: components.config.allowedPeers,
      memberChains: components.config.memberChains,
      memberUndecidedBytes: components.config.memberUndecidedBytes,
      memberIdle: components.config.memberIdle,
      ...(components.memoryNow != null ? { memoryNow: components.memoryNow } : {})
    })
    // the chain that recorded its booth went another way than its backups': the recovery keeps the file
    components.vguarddb.onOwnConflict = async () => { await this.ownMarker?.clearConsensus() }
    components.vguarddb.ownEpochFloor = () => this.ownMarker?.lostEpoch ?? 0
    this.ownReturn = new OwnChainReturn({
      self: this.self,
      log: this.log,
      chains: components.chains,
      vguarddb: components.vguarddb,
      driver: this.driver,
      marker: () => this.ownMarker,
      throughOwnGate: async (step) => await this.throughOwnGate(step)
    })
    this.ownRecall = new BackoffTask({ attempt: async () => await this.recallOwnChain(), what: 'own chain back after the database was lost', log: this.log })
    this.reads = new ChainReads({
      chains: components.chains,
      vguarddb: components.vguarddb,
      driver: this.driver,
      self: this.self,
      readQuorum: components.config.readQuorum,
      running: () => this.running,
      stopSignal: () => this.stopping.signal,
      ownChainLost: async () => await this.ownReturn.lost()
    })
    this.writes = new WriteService({
      libp2p: components.libp2p,
      logger: components.logger,
      // as replicate, read, release and sync (src/node/index.ts): a peer held as two processes of one identity
      // forwards no write here (a confirmed clone's was taken and committed), and one held for certain is told so
      // at once. The driver keeps the plain membership: its transport watches the clones' streams itself
      isMember: (peer) => components.isMember(peer) && !this.driver.isClone(peer.toString()),
      refusal: (peer) => this.driver.cloneRefusal(peer.toString()),
      onWrite: async (w) => await this.onForwardedWrite(w)
    })
    this.forwarding = { writes: this.writes, running: () => this.running }
    this.sharedWrites = {
      ...this.forwarding,
      self: this.self,
      driver: this.driver,
      forwarded: this.forwarded,
      connectedMembers: () => this.c.connectedMembers(),
      stopSignal: () => this.stopping.signal
    }
  }

  async start (): Promise<void> {
    if (this.running) return
    try {
      await this.startParts()
    } catch (err) {
      // undo what started (a driver left running made a retried start a no-op, its writes hung for good),
      // but leave the value logs' files open for that retry
      this.running = true
      await this.stopParts({ retry: true }).catch(() => {})
      throw err
    }
  }

  private async startParts (): Promise<void> {
    this.stopping = stopController()
    this.ownReturn.reset()
    const opened = this.ownMarkerOpened = Promise.withResolvers<OwnChainMarker>()
    // a stop before the marker opened: a booth record waiting for it fails (its replica stops anyway)
    opened.promise.catch(() => {})
    this.driver.ownConsensusRecord = {
      get: () => this.ownMarker?.consensus,
      note: async (record: ConsensusRecord) => { await (await opened.promise).noteConsensus(record) },
      clear: async () => { await this.ownMarker?.clearConsensus() }
    }
    await this.driver.start()
    this.ownMarker = await OwnChainMarker.open({
      dataDir: this.c.config.dataDir,
      chainId: this.self,
      database: this.driver.incarnation(),
      ownHeight: (await this.c.chains.tip(this.self)).height,
      onWriteError: (err) => { this.log.error('could not record which database writes our chain: %s', err.message) }
    })
    opened.resolve(this.ownMarker)
    if (this.ownMarker.lost) {
      this.log.error('this node lost its database (%s): its own chain is written again only once it is back from its holders', this.ownMarker.describe())
      this.c.events.addEventListener('peer:connected', this.onMemberConnected)
    }
    this.ownMarker.noteEpoch(this.c.vguarddb.tables.get(this.self)?.table.epoch ?? 0)
    this.c.events.addEventListener('backup:table', this.onTable)
    await this.writes.start()
    this.running = true
    if (this.ownMarker.lost) this.ownRecall.start()
  }

  /** Before a stop: writes forwarded by peers are no longer taken, those being committed get their answer (WriteService.drain). */
  async drain (graceMs: number): Promise<void> {
    await this.writes.drain(graceMs)
  }

  async stop (): Promise<void> {
    await this.stopParts({ retry: false })
  }

  private async stopParts ({ retry }: { retry: boolean }): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopping.abort(new NodeStoppedError('the node is stopping'))
    this.ownMarkerOpened.reject(new NodeStoppedError('the node is stopping'))
    this.c.events.removeEventListener('backup:table', this.onTable)
    this.c.events.removeEventListener('peer:connected', this.onMemberConnected)
    // no new try; one under way (a fetch from the holders) ends once the driver stopped its fetches, and
    // before the record of which database writes the chain is settled (a review: it claimed it after)
    const recalling = this.ownRecall.stop()
    await this.writes.stop()
    await (retry ? this.driver.pause() : this.driver.stop())
    await recalling
    // after the driver: the replicas it closed answered a block waiting on consensus, and its fetches ended
    await Promise.allSettled([...this.boothsUnderWay])
    await this.ownMarker?.settled()
  }

  status (): ReplicaStatus[] {
    return this.driver.status()
  }

  /**
   * Commits transactions as (part of) one block of a chain.
   *
   * @throws InvalidTransactionError, InvalidIdempotencyKeyError (nothing happens), NoQuorumError (nothing written;
   * never for a keyed write, see keyedFailure), CommitTimeoutError (proposed, or handed to the shared chain's leader
   * that did not answer in time: may still commit whole; also an error of no kind of ours once the write may have been
   * proposed, see unkeyedFailure), NoLeaderError, ProposerUnreachableError
   */
  async append (transactions: TransactionInput[], options: WriteOptions = {}): Promise<CommitResult> {
    if (!this.running) {
      const stopped = new ConsensusStoppedError('consensus is not running')
      // before the checks below, as keyedFailure says of every keyed write (a review: this one said nothing of it)
      throw isIdempotencyKey(options?.idempotencyKey) ? keyedFailure(stopped) : stopped
    }
    const { write, chainId, timeout, wait, key } = checkWrite(transactions, options, this.self, this.c.config.commitTimeout)
    if (key == null) {
      const progress: WriteProgress = { mayBeProposed: false }
      try {
        if (chainId === this.self) return await this.appendOwn(write, timeout, wait, undefined, true, progress)
        if (chainId === SHARED_CHAIN) return await appendShared(this.sharedWrites, write, timeout, wait, undefined, progress)
        progress.mayBeProposed = true
        return await forwardWrite(this.forwarding, chainId, chainId, write, timeout, wait, randomBytes(WRITE_ID_BYTES))
      } catch (err) {
        throw unkeyedFailure(err, progress.mayBeProposed)
      }
    }
    try {
      if (chainId === this.self) return await this.appendOwnKeyed(write, timeout, wait, idempotentRef(chainId, key, write.payload, this.self))
      if (chainId === SHARED_CHAIN) return await appendShared(this.sharedWrites, write, timeout, wait, key)
      return await forwardWrite(this.forwarding, chainId, chainId, write, timeout, wait, randomBytes(WRITE_ID_BYTES), key)
    } catch (err) {
      throw keyedFailure(err)
    }
  }

  /** A keyed write to our own chain: attempts made meanwhile (here, or forwarded) join it. */
  private async appendOwnKeyed (write: EncodedWrite, timeout: number, wait: boolean, ref: WriteRef, replicate = true): Promise<CommitResult> {
    return await this.forwarded.once(writeKey(ref.from, this.self, toHex(ref.id)), async () => await this.appendOwn(write, timeout, wait, ref, replicate), memoryOwner(ref))
  }

  private async appendOwn (write: EncodedWrite, timeout: number, wait: boolean, ref?: WriteRef, replicate = true, progress?: WriteProgress): Promise<CommitResult> {
    const deadline = performance.now() + timeout
    await this.c.vguarddb.checkOwnConflict()
    // opening our replica (first write) must not interleave with a direct endOfBooth append; the wait for it
    // counts against the write's timeout (a write waited out a whole end of booth's round past it: a probe)
    const gate = this.throughOwnGate(async () => {
      if (!await this.driver.ownStarted()) await this.ownReturn.caughtUp()
      return await this.driver.own()
    })
    const own = await withinMs(gate, remainingUntil(deadline), () => new NoQuorumError(`this vehicle's chain was not ready for the write within ${timeout} ms (an end of booth ahead of it, or its catch-up from its backups): nothing written, it may be retried`))
    // a keyed end of booth appended directly (before consensus ran, so never after the gate) is the same write
    // as a keyed one of its transactions: answered with its block (it was appended a second time: a review)
    const booth = ref == null ? undefined : await this.c.vguarddb.boothAppended(ref.id)
    if (booth != null) return { chainId: this.self, height: booth.height, hash: booth.hash }
    if (progress != null) progress.mayBeProposed = true
    const committed = await submitOnce(own, write, ref, remainingUntil(deadline), wait, replicate)
    await this.ownMarker?.claim()
    return committed
  }

  private async onForwardedWrite (w: ForwardedWrite): Promise<WriteCommitted> {
    // a client's key names the write whoever carries it; else the forwarding node's id does
    const ref = w.idempotencyKey !== ''
      ? idempotentRef(w.chainId, w.idempotencyKey, w.payload, w.from)
      : w.writeId !== '' ? { from: w.from, id: fromHex(w.writeId) } : undefined
    if (ref == null) return await this.commitForwarded(w)
    return await this.forwarded.once(writeKey(ref.from, w.chainId, toHex(ref.id)), async () => await this.commitForwarded(w, ref), memoryOwner(ref))
  }

  private async commitForwarded (w: ForwardedWrite, ref?: WriteRef): Promise<CommitResult> {
    const write: EncodedWrite = { payload: w.payload, count: w.count }
    const timeout = Math.min(w.timeout, this.c.config.commitTimeout)
    if (w.chainId === this.self) return await this.appendOwn(write, timeout, w.waitForReplication, ref)
    if (w.chainId === SHARED_CHAIN) {
      const shared = this.driver.shared()
      if (shared == null) throw new NotProposerError('no shared chain here yet')
      return await submitOnce(shared, write, ref, timeout, w.waitForReplication)
    }
    throw new RefusedWriteError(`${this.self} does not write chain ${w.chainId}`)
  }

  /**
   * VGuard's hook. Before our consensus runs on our own chain, VGuard's
   * block is appended directly (VGuard agreed on it); once it does, the
   * block goes through consensus like any write, so the chain keeps one
   * order. Either way the replication round uses the given participants.
   */
  async endOfBooth (input: EndOfBoothInput, direct: (booth: CheckedBooth, id?: Uint8Array) => Promise<number>): Promise<ReplicationOutcome> {
    // before the input, as append does: a stopped consensus takes nothing, and a bad booth sent to it was told
    // what was wrong with it instead (a review)
    if (!this.running) {
      const stopped = new ConsensusStoppedError('consensus is not running')
      throw isIdempotencyKey((input as Partial<EndOfBoothInput> | null | undefined)?.idempotencyKey) ? keyedFailure(stopped, 'before a restart, or still running') : stopped
    }
    // checked before either path: a bad booth appends nothing and releases no one; the direct path
    // appends what was checked (it read the caller's objects again after awaits: a review)
    const booth = checkBoothInput(input, this.self, this.c.config.allowedPeers)
    const { participants, transactions } = booth
    const append = async (id?: Uint8Array): Promise<number> => await direct(booth, id)
    const timeout = input.timeout ?? this.c.config.commitTimeout
    if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_WRITE_TIMEOUT) {
      throw new InvalidBoothError(`timeout: a whole number of ms from 1 to ${MAX_WRITE_TIMEOUT}, got ${shownNumber(timeout)}`)
    }
    const write = encodeWrite(transactions)
    if (input.idempotencyKey == null) return await this.endOfBoothOnce(participants, write, timeout, append)
    const ref = idempotentRef(this.self, checkIdempotencyKey(input.idempotencyKey), write.payload, this.self)
    try {
      return await this.endOfBoothOnce(participants, write, timeout, append, ref)
    } catch (err) {
      // an earlier attempt under the key (its answer lost) may have appended the block
      throw keyedFailure(err, 'before a restart, or still running')
    }
  }

  private async endOfBoothOnce (participants: string[], write: EncodedWrite, timeout: number, direct: (id?: Uint8Array) => Promise<number>, ref?: WriteRef): Promise<ReplicationOutcome> {
    const progress: BoothProgress = { mayBeAppended: false, mayBeProposed: false }
    const block = this.boothBlock(write, timeout, direct, progress, ref)
    this.boothsUnderWay.add(block)
    let height: number
    try {
      height = await block
    } catch (err) {
      // a keyed one's is keyedFailure's (endOfBooth)
      throw ref == null ? unkeyedBoothFailure(err, progress) : err
    } finally {
      this.boothsUnderWay.delete(block)
    }
    // the round below is the block's: its participants choose the backups (the commit runs no round of its
    // own), so it is a round of its own, never one a put() queued with the booth as participants
    let round: ReplicationOutcome
    try {
      round = await this.c.vguarddb.afterCommit(this.self, participants, { own: true })
    } catch (err) {
      throw roundFailure(err as Error, height, ref != null)
    }
    // the round's table covers this block and maybe later ones: the answer names this block
    return { ...round, height }
  }

  /** An end of booth's block on our chain: appended directly before our consensus runs on it, else committed through it. Its height. */
  private async boothBlock (write: EncodedWrite, timeout: number, direct: (id?: Uint8Array) => Promise<number>, progress: BoothProgress, ref?: WriteRef): Promise<number> {
    await this.c.vguarddb.checkOwnConflict()
    // only the append goes through the gate: the round after it (minutes, with a backup frozen) held up every
    // write and first read of our chain behind it
    const appended = await this.throughOwnGate(async () => {
      if (await this.driver.ownStarted()) return undefined
      await this.ownReturn.caughtUp()
      // consensus ran on it before this node lost that state: the block goes through it again
      if (await this.ownReturn.consensusRan()) return undefined
      // a stop that began meanwhile would close the stores under the append: nothing is appended
      if (!this.running) throw new ConsensusStoppedError('consensus stopped before the end of booth\'s block was appended: nothing written')
      // stop() waits for this append (boothsUnderWay): a failure is the append's own, never the stop's closing
      // the store under it, and is not called "nothing written" (it said so, and the block may have reached the store)
      // from here an error may come after the block reached the store (unkeyedBoothFailure)
      progress.mayBeAppended = true
      const height = await direct(ref?.id)
      await this.ownMarker?.claim()
      return height
    })
    if (appended != null) return appended
    if (!this.running) throw new ConsensusStoppedError('consensus is not running')
    // a keyed booth appended directly before our chain ran consensus is answered with its block
    const earlier = ref == null ? undefined : await this.c.vguarddb.boothAppended(ref.id)
    const committed = earlier ?? (ref == null
      ? await this.appendOwn(write, timeout, false, undefined, false, progress)
      : await this.appendOwnKeyed(write, timeout, false, ref, false))
    return committed.height
  }

  /**
   * Runs `step` once the steps queued before it are done: opening our
   * replica (a first write), a direct endOfBooth append and the check of a
   * first leader read must not interleave.
   */
  private async throughOwnGate<T> (step: () => Promise<T>): Promise<T> {
    const done = this.ownGate.then(async () => {
      // a stop() while this waited for the gate has closed the stores
      if (!this.running) throw new ConsensusStoppedError('consensus is not running')
      return await step()
    })
    this.ownGate = done.catch(() => {})
    return await done
  }

  /**
   * One try at getting our own chain back after our database was lost (ownRecall): what a first
   * write does before it proposes, without the write. True once it is back.
   */
  private async recallOwnChain (): Promise<boolean> {
    if (!this.running || await this.ownReturn.lost() == null) return true
    // nobody to ask: a member that connects pokes the next try
    if (this.c.connectedMembers().length === 0) return false
    // owed before the fetch: its booth hands it back (or its backups did, which the check after the gate tells)
    const owed = await this.ownReturn.owedByBooth()
    const replica = await this.throughOwnGate(async () => {
      if (!await this.driver.ownStarted()) await this.ownReturn.caughtUp()
      // what no backup took comes back through the booth that decided it (its phase 1)
      return await this.ownReturn.consensusRan() ? await this.driver.own() : undefined
    })
    if (replica != null && owed && await this.ownReturn.owedByBooth()) {
      // led, and what its phase 1 recovered applied (a fixed proposer's read index): until then, with no
      // backup table to say the chain holds more, our store's "no value" was taken for the chain's (a review)
      await replica.confirmLeader(LEADER_READ_TIMEOUT, 'own chain back from its booth')
      await this.ownReturn.ledAgain()
    }
    const back = await this.ownReturn.lost() == null
    if (back) this.log('own chain back after the database was lost: height %d', (await this.c.chains.tip(this.self)).height)
    return back
  }

  /** @see OwnChainReturn.behind */
  async ownChainBehind (): Promise<string | undefined> {
    return await this.ownReturn.behind()
  }

  /** @see OwnChainReturn.lost */
  async ownChainLost (): Promise<string | undefined> {
    return await this.ownReturn.lost()
  }

  // ------------------------------------------------------------ reads

  /** @see ChainReads.readKey */
  async readKey (chainId: string, key: string, options?: ReadOptions): Promise<KeyRead> {
    return await this.reads.readKey(chainId, key, options)
  }

  /** @see ChainReads.checkHeld */
  async checkHeldLocally (chainId: string): Promise<void> {
    await this.reads.checkHeld(chainId)
  }

  /** @see ChainReads.readBlock */
  async readBlock (chainId: string, height: number, options?: ReadOptions): Promise<BlockRead> {
    return await this.reads.readBlock(chainId, height, options)
  }

  /**
   * Serves the gate of a `leader` read of one of our chains: this node must
   * lead it, confirmed by a majority of its booth, and have applied what
   * was chosen before. A vehicle whose chain has no consensus state answers
   * from its store (nothing was decided that it lacks) once its backups
   * hold no more than it does: a data dir that lost its database (a probe:
   * "no value" for keys committed before) or was restored from an older
   * copy must not answer for the chain (the check a first write makes).
   */
  async confirmLeader (chainId: string): Promise<LeaderCheck> {
    let replica
    if (chainId === SHARED_CHAIN) {
      replica = this.driver.shared()
      if (replica == null) return { leads: false, reason: 'this node has no shared chain' }
    } else if (chainId === this.self) {
      // our chain went another way than our backups': what it answers is not what was acknowledged before
      const conflict = await this.c.vguarddb.checkOwnConflict().then(() => undefined, (err: Error) => err.message)
      if (conflict != null) return { leads: false, reason: conflict }
      if (!this.driver.hasOwn() && !await this.ownReturn.started()) {
        const behind = await this.ownChainBehind()
        return behind == null ? { leads: true } : { leads: false, reason: behind }
      }
      replica = await this.driver.own()
    } else {
      return { leads: false, leader: chainId, reason: `chain ${chainId} is led by its vehicle` }
    }
    try {
      await replica.confirmLeader(LEADER_READ_TIMEOUT)
      return { leads: true }
    } catch (err) {
      const e = err as Error & { leader?: string }
      return { leads: false, reason: e.message, ...(e.leader != null && e.leader !== this.self ? { leader: e.leader } : {}) }
    }
  }

  /** Who holds a chain's data: the vehicle and its active backups; the shared chain's booth and leader. */
  holders (chainId: string): string[] {
    return this.reads.holders(chainId)
  }
}

/** Hex of a commit's hash, for JSON. */
export function commitJson (r: CommitResult): { chainId: string, height: number, hash: string, replication?: ReplicationSummary } {
  return { chainId: r.chainId, height: r.height, hash: toHex(r.hash), ...(r.replication != null ? { replication: r.replication } : {}) }
}
