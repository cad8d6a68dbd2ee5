/**
 * Applying a chain's decided values to its chain store: each DATA slot
 * becomes the next block (noops and booth changes move only the cursor), the
 * write ids the blocks carry are remembered, and the writers are answered —
 * after the replication round, where they wait for it. The replica's loop
 * hands values over in slot order and goes on with its next round while a
 * run is written (persist → send → apply: the loop never waits for it but
 * where it says so).
 */
import type { Decided } from '../consensus/index.ts'
import { bytesEqual } from '../chain/index.ts'
import type { Block, ChainTip } from '../chain/index.ts'
import type { RememberedWrite } from '../storage/paxos-store.ts'
import { decodeBatch } from './batch.ts'
import { WRITE_MEMORY } from './recent-writes.ts'
import { PAXOS_TIMING } from './paxos-constants.ts'
import { storeDecidedBlock, storeDecidedRun } from './decided-blocks.ts'
import { pendingReplication, settle } from './write-ledger.ts'
import type { PendingWrite, WriteLedger } from './write-ledger.ts'
import type { LeaderReadWaiters } from './leader-reads.ts'
import type { ReplicaPosition } from './replica-position.ts'
import type { AppliedRun, CommitResult, ReplicaDeps, ReplicationSummary } from './replica-types.ts'

/**
 * How often (ms) the writes remembered longer ago than WRITE_MEMORY.ttl are
 * deleted from disk while the replica runs: a shared chain's every write is
 * remembered on every replica.
 */
const FORGET_WRITES_INTERVAL = 60_000

type ApplyDeps = Pick<ReplicaDeps, 'chainId' | 'kind' | 'self' | 'store' | 'storage' | 'log' | 'onApplied' | 'afterCommit'>

/** What the applier asks of its replica. */
export interface ApplyHooks {
  /** What remembered writes are stamped and aged by (ReplicaDeps.memoryNow). */
  memoryNow: () => number
  /** Whether the cursor is due to be written (the replica writes it at most every so often). */
  metaDue: () => boolean
  saveMeta: (sync: boolean) => Promise<void>
  closed: () => boolean
  broken: () => boolean
  /** Stops the replica: the writes of what could not be stored must not be acknowledged. */
  halt: (err: Error) => void
}

/** A block decided and stored: the proposal it came from, where it went, and the booth that decided it. */
interface Committed {
  id: string
  result: CommitResult
  booth: string[]
}

export class DecidedApplier {
  /** Decided values waiting to be applied, in slot order. */
  private readonly queue: Decided[] = []
  /** The run applying them. */
  private run?: Promise<void>
  /** When remembered writes past their time were last deleted from disk (open() deletes them too). */
  private writesForgottenAt: number

  constructor (
    private readonly d: ApplyDeps,
    private readonly position: ReplicaPosition,
    private readonly writes: WriteLedger,
    private readonly reads: LeaderReadWaiters,
    private readonly hooks: ApplyHooks
  ) {
    this.writesForgottenAt = hooks.memoryNow()
  }

  /** The run under way, if any: settles once what was queued is applied (or failed). */
  get running (): Promise<void> | undefined {
    return this.run
  }

  /** Queues decided values (in slot order) for the run under way, or starts one. */
  enqueue (decided: Decided[]): void {
    if (this.d.kind === 'member') return
    this.queue.push(...decided)
    if (this.run != null) return
    this.run = (async () => {
      while (this.queue.length > 0 && !this.hooks.broken()) {
        const batch = this.queue.splice(0)
        await this.apply(batch)
      }
    })()
      .catch((err: Error) => {
        // the writes of what could not be stored must not be acknowledged: they fail with why
        this.hooks.halt(err)
      })
      .finally(() => { this.run = undefined })
  }

  private async apply (decided: Decided[]): Promise<void> {
    if (this.d.kind === 'member') return
    const committed: Committed[] = []
    try {
      await this.applyInto(decided, committed)
    } catch (err) {
      if ((err as Error).name !== 'ChainDivergedError') throw err
      // the blocks of this run that did reach the store are committed: their writes are answered so
      const stored: typeof committed = []
      for (const c of committed) {
        const held = await this.d.store.getBlock(this.d.chainId, c.result.height).catch(() => undefined)
        if (held != null && bytesEqual(held.hash, c.result.hash)) stored.push(c)
      }
      this.resolve(stored)
      throw err
    }
  }

  private async applyInto (decided: Decided[], committed: Committed[]): Promise<void> {
    const remembered: RememberedWrite[] = []
    let applied: AppliedRun | undefined
    const run: Block[] = []
    let storeTip: ChainTip | undefined
    for (const d of decided) {
      if (d.slot <= this.position.cursor.slot) continue
      if (d.value.kind !== 'data') {
        this.position.cursor = { ...this.position.cursor, slot: d.slot }
        continue
      }
      const prev: ChainTip = { chainId: this.d.chainId, height: this.position.cursor.height, hash: this.position.cursor.hash }
      const decoded = decodeBatch(d.value.data, prev, d.booth)
      if (decoded == null) {
        this.d.log.error('%s: slot %d holds a malformed batch: no block', this.d.chainId, d.slot)
        this.position.cursor = { ...this.position.cursor, slot: d.slot }
        continue
      }
      const { block } = decoded
      if (run.length > 0) {
        run.push(block)
      } else {
        storeTip ??= await this.d.store.tip(this.d.chainId)
        if (storeTip.height === prev.height && bytesEqual(storeTip.hash, prev.hash)) run.push(block)
        else await storeDecidedBlock(this.d.store, block, storeTip)
      }
      this.position.cursor = { slot: d.slot, height: block.header.height, hash: block.hash }
      this.position.history.push(this.position.cursor)
      const result = { chainId: this.d.chainId, height: block.header.height, hash: block.hash }
      for (const ref of decoded.writes) remembered.push(this.writes.noteApplied(ref, result, this.hooks.memoryNow()))
      committed.push({ id: d.value.id, result, booth: d.booth })
      applied = {
        tip: { chainId: this.d.chainId, height: block.header.height, hash: block.hash },
        blocks: (applied?.blocks ?? 0) + 1,
        transactions: (applied?.transactions ?? 0) + block.header.txCount,
        booth: d.booth
      }
    }
    await storeDecidedRun(this.d.store, run)
    this.position.storedSlot = this.position.cursor.slot
    if (applied != null) this.d.onApplied?.(applied)
    await this.d.storage.rememberWrites(remembered)
    if (this.hooks.memoryNow() - this.writesForgottenAt >= FORGET_WRITES_INTERVAL) {
      this.writesForgottenAt = this.hooks.memoryNow()
      await this.d.storage.forgetWrites(this.writesForgottenAt - WRITE_MEMORY.ttl)
    }
    this.reads.release(this.position.cursor.slot)
    if (this.position.history.length > 2 * PAXOS_TIMING.compactEvery) this.position.history = this.position.history.slice(-PAXOS_TIMING.compactEvery)
    if (this.hooks.metaDue()) await this.hooks.saveMeta(false)
    this.resolve(committed)
  }

  private resolve (committed: Committed[]): void {
    if (committed.length === 0) return
    const done: Array<{ w: PendingWrite, result: CommitResult }> = []
    for (const c of committed) {
      for (const w of this.writes.decided(c.id)) done.push({ w, result: c.result })
    }
    const now = done.filter(x => !x.w.waitForReplication || this.d.afterCommit == null)
    for (const x of now) settle(x.w, x.result)
    const later = done.filter(x => x.w.waitForReplication && this.d.afterCommit != null)
    if (this.hooks.closed()) {
      // decided while stopping: no replication round starts now (the next run's first one covers it)
      for (const x of later) settle(x.w, { ...x.result, replication: pendingReplication() })
      return
    }
    if (later.length === 0 && this.d.kind !== 'own') return
    if (this.d.afterCommit == null) return
    // every write of it runs its own round (endOfBooth): a second one here would sign a second table
    if (done.length > 0 && done.every(x => !x.w.replicate)) return
    // replication is synchronous at the end of each booth: the writers hear back after it
    const booth = committed[committed.length - 1].booth.filter(m => m !== this.d.self)
    const waiting = later.map(x => this.writes.awaitReplication(x.w, x.result))
    const height = Math.max(...committed.map(c => c.result.height))
    void this.d.afterCommit(booth, height)
      .catch((err: Error): ReplicationSummary => {
        this.d.log('%s: replication after commit failed: %s', this.d.chainId, err.message)
        return { state: 'partial', backups: [], problem: `the replication round failed: ${err.message}` }
      })
      .then(summary => { for (const x of waiting) this.writes.replicated(x, summary) })
  }
}
