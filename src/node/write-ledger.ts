/**
 * What a chain's replica knows of each write it was given, and of the write
 * ids it applied: waiting for a batch (`buffer`), proposed and not decided
 * (`outstanding`, by proposal id), committed and waiting for its
 * replication round, applied (the block it went into, remembered by write id
 * so that a retry is answered with it, not committed twice), or of a fate
 * this node cannot learn (`uncertain`: its slot came through a snapshot).
 * Each writer is answered once (settle); the replica's drive loop decides
 * when, this keeps the books.
 */
import { MAX_PAYLOAD_BYTES, MAX_TXS_PER_BLOCK, toHex, ZERO_HASH } from '../chain/index.ts'
import type { RememberedWrite } from '../storage/paxos-store.ts'
import type { AppliedWriteId } from '../protocols/sync/index.ts'
import type { EncodedWrite, WriteRef } from './batch.ts'
import { AppliedWrites, memoryOwner, WRITE_MEMORY, writeKey } from './recent-writes.ts'
import { CommitTimeoutError, retryAdvice } from './consensus-errors.ts'
import type { CommitResult, Landing, ReplicationSummary } from './replica-types.ts'

export interface PendingWrite {
  write: EncodedWrite
  /** On the replica's monotonic clock. */
  deadline: number
  waitForReplication: boolean
  replicate: boolean
  settled: boolean
  resolve: (r: CommitResult) => void
  reject: (err: Error) => void
}

/** A proposal in flight: the writes its batch carries. */
export interface Outstanding {
  writes: PendingWrite[]
}

/** A committed write waiting for the replication round after its commit. */
interface Replicating {
  w: PendingWrite
  result: CommitResult
}

/** The height a remembered write is kept at when its fate is unknown here (forgetUncertain): no block has height 0. */
const UNCERTAIN_HEIGHT = 0

/** A committed write whose replication round had not ended when it was answered. */
export const pendingReplication = (): ReplicationSummary => ({ state: 'pending', backups: [] })

/** Answers a writer, once: later outcomes (a deadline after the commit, say) are dropped. */
export function settle (w: PendingWrite, outcome: Error | CommitResult): void {
  if (w.settled) return
  w.settled = true
  if (outcome instanceof Error) w.reject(outcome)
  else w.resolve(outcome)
}

export class WriteLedger {
  /** Writes waiting for a batch, in order. */
  readonly buffer: PendingWrite[] = []
  /** Proposals in flight, by proposal id. */
  readonly outstanding = new Map<string, Outstanding>()
  /** Committed writes waiting for their replication round: answered `pending` at their deadline. */
  private readonly replicating = new Set<Replicating>()
  /** Retries waiting for an earlier attempt's proposal to leave flight (landed): true once it has, false at the deadline. */
  private landWaiters: Array<{ key: string, deadline: number, resolve: (landing: Landing) => void }> = []
  /**
   * Writes of proposals whose fate this node cannot learn (see
   * forgetUncertain), by key: a retry is refused for them as long as write
   * ids are remembered anywhere.
   */
  private readonly uncertain = new AppliedWrites<true>()
  /** Keys just put in `uncertain`, for the drive loop to keep on disk. */
  private uncertainMarks: RememberedWrite[] = []
  /** Writes with an id that this replica applied, and the block each went into. */
  private readonly applied = new AppliedWrites<CommitResult>()
  /**
   * Writes with an id given to this replica and neither answered nor
   * decided (waiting in the buffer, or proposed), by key: a retry waits for
   * them (landed). The buffer is not searched: a booth that stalls holds
   * thousands there, and each keyed write asks.
   */
  private readonly queued = new Map<string, Set<PendingWrite>>()
  /**
   * Attempts of writes with an id under way here, by key (attempt): `tail` settles once the last
   * one and those before it did; `applied`, once the write is applied here.
   */
  private readonly attempts = new Map<string, { tail: Promise<void>, applied: PromiseWithResolvers<void> }>()

  constructor (private readonly chainId: string) {}

  /**
   * Queues a write for a batch. One with an id holds its key until it is
   * answered or decided: the node's write memory (RecentWrites) forgets
   * the oldest attempt past 4,096 a carrier, also one still waiting here,
   * and a retry that found nothing proposed queued the write again: both
   * committed (a review).
   */
  enqueue (w: PendingWrite): void {
    this.buffer.push(w)
    const ref = w.write.ref
    if (ref == null) return
    const key = this.keyOf(ref)
    const held = this.queued.get(key) ?? new Set<PendingWrite>()
    this.queued.set(key, held)
    held.add(w)
    const { resolve, reject } = w
    w.resolve = (r) => { this.release(key, w); resolve(r) }
    w.reject = (err) => { this.release(key, w); reject(err) }
  }

  /**
   * Runs `run`, an attempt of the write `ref` names, once the attempts of it
   * that came before it here settled, or the write is applied (an earlier
   * one may wait for its replication round: the block is the answer); `wait`
   * bounds that wait (it rejects to give up). An attempt looks for the write
   * (landed, rememberedWrite) before it queues it: two side by side both
   * found nothing and both queued it, so it committed twice. The node joins
   * attempts in memory (RecentWrites.once), but that memory forgets past its
   * bound, also an attempt still under way (a test: a retry after one other
   * write through the carrier, with the memory holding one).
   */
  async attempt<T> (ref: WriteRef, wait: (earlier: Promise<void>) => Promise<void>, run: () => Promise<T>): Promise<T> {
    const key = this.keyOf(ref)
    const earlier = this.attempts.get(key)
    const mine = Promise.withResolvers<void>()
    // one that gave up waiting leaves the next waiting for those before it too
    const tail = earlier == null ? mine.promise : Promise.all([earlier.tail, mine.promise]).then(() => {})
    const applied = earlier?.applied ?? Promise.withResolvers<void>()
    this.attempts.set(key, { tail, applied })
    void tail.then(() => { if (this.attempts.get(key)?.tail === tail) this.attempts.delete(key) })
    try {
      if (earlier != null) await wait(Promise.race([earlier.tail, applied.promise]))
      return await run()
    } finally {
      mine.resolve()
    }
  }

  /** The write `w` no longer holds `key` (answered, or decided): retries waiting on it (landed) go on once nothing else does. */
  private release (key: string, w: PendingWrite): void {
    const held = this.queued.get(key)
    if (held?.delete(w) !== true) return
    if (held.size > 0) return
    this.queued.delete(key)
    this.wakeLanded()
  }

  /**
   * The writes of the next batch, from the front of the buffer (those
   * answered already are dropped): as many as a block holds, and no more
   * than `target` bytes unless the first alone is bigger.
   */
  takeBatch (target: number): { writes: PendingWrite[], bytes: number } {
    const writes: PendingWrite[] = []
    let bytes = 0
    let count = 0
    while (this.buffer.length > 0) {
      const w = this.buffer[0]
      if (w.settled) {
        this.buffer.shift()
        continue
      }
      const size = w.write.payload.byteLength
      if (writes.length > 0 && (bytes + size > MAX_PAYLOAD_BYTES || count + w.write.count > MAX_TXS_PER_BLOCK || bytes + size > target)) break
      this.buffer.shift()
      writes.push(w)
      bytes += size
      count += w.write.count
    }
    return { writes, bytes }
  }

  /** The writes remembered on disk (a restart): applied ones, then those of unknown fate not applied since. */
  restore (remembered: RememberedWrite[], now: number): void {
    for (const w of remembered) {
      if (w.height !== UNCERTAIN_HEIGHT) this.applied.set(w.key, { chainId: this.chainId, height: w.height, hash: w.hash }, Math.max(0, now - w.at), w.owner)
    }
    // a write whose fate was unknown here and that this node learned applied since (whenever it was applied) is known
    for (const w of remembered) {
      if (w.height === UNCERTAIN_HEIGHT && this.applied.get(w.key) == null) this.uncertain.set(w.key, true, Math.max(0, now - w.at), w.owner)
    }
  }

  /** The key the write `ref` names is remembered under, in memory and on disk. */
  keyOf (ref: WriteRef): string {
    return writeKey(ref.from, this.chainId, toHex(ref.id))
  }

  /**
   * What the disk remembers of a write (ChainReplica.rememberedWrite) as its
   * outcome: the block it went into, 'unknown' if its fate could not be
   * learned here, or undefined if nothing is remembered within the ttl.
   */
  outcomeOf (remembered: RememberedWrite | undefined, now: number): CommitResult | 'unknown' | undefined {
    if (remembered == null || remembered.at < now - WRITE_MEMORY.ttl) return undefined
    return remembered.height === UNCERTAIN_HEIGHT ? 'unknown' : { chainId: this.chainId, height: remembered.height, hash: remembered.hash }
  }

  /** See ChainReplica.landed: resolves when no proposal holds the write `ref` names any more, or at `deadline`. */
  async landed (ref: WriteRef, deadline: number): Promise<Landing> {
    const key = this.keyOf(ref)
    if (this.isUncertain(key)) return 'unknown'
    if (!this.holding(key)) return 'landed'
    return await new Promise<Landing>((resolve) => {
      this.landWaiters.push({ key, deadline, resolve })
    })
  }

  /** See ChainReplica.mayStillCommit. */
  mayStillCommit (ref: WriteRef): boolean {
    const key = this.keyOf(ref)
    return this.isUncertain(key) || this.holding(key)
  }

  /** The block the write `ref` names went into, if this replica applied it (or learned it with a snapshot). */
  appliedWrite (ref: WriteRef): CommitResult | undefined {
    return this.applied.get(this.keyOf(ref))
  }

  /** The write ids applied in blocks `from`..`to` and remembered, oldest first. */
  writeIdsBetween (from: number, to: number): AppliedWriteId[] {
    const out: AppliedWriteId[] = []
    for (const { key, value, age, owner } of this.applied.entries()) {
      if (value.height < from || value.height > to) continue
      out.push({ key, ...(key.startsWith(`${owner}\n`) ? {} : { owner }), age: Math.round(age), height: value.height, hash: value.hash })
    }
    return out.sort((a, b) => b.age - a.age)
  }

  /** A write applied in `result`'s block: its outcome is known now (a retry gets it). Returns the record to keep on disk. */
  noteApplied (ref: WriteRef, result: CommitResult, now: number): RememberedWrite {
    const key = this.keyOf(ref)
    const owner = memoryOwner(ref)
    this.applied.set(key, result, 0, owner)
    // another leader committed a retry of it, say
    this.uncertain.delete(key)
    // attempts waiting for an earlier one (attempt) find it applied now
    this.attempts.get(key)?.applied.resolve()
    return { key, owner, at: now, height: result.height, hash: result.hash }
  }

  /** A write id a snapshot's sender applied in a block this node's copy holds (learnWriteIds, snapshot-write-ids.ts). */
  learnApplied (key: string, result: CommitResult, age: number, owner?: string): void {
    this.applied.set(key, result, age, owner)
    this.uncertain.delete(key)
    this.attempts.get(key)?.applied.resolve()
  }

  /** The keys of unknown fate noted since the last call, for the drive loop to keep on disk. */
  takeUncertainMarks (): RememberedWrite[] {
    const marks = this.uncertainMarks
    this.uncertainMarks = []
    return marks
  }

  /** Whether a write `key` names may still be proposed or chosen here: queued and not answered, or carried by a proposal in flight. */
  private holding (key: string): boolean {
    if (this.queued.has(key)) return true
    for (const o of this.outstanding.values()) {
      if (o.writes.some(w => w.write.ref != null && this.keyOf(w.write.ref) === key)) return true
    }
    return false
  }

  private isUncertain (key: string): boolean {
    return this.uncertain.get(key) === true
  }

  /** Proposals out of flight: decided, dropped or lost; retries waiting on them (landed) go on. */
  forgetOutstanding (ids: string[]): void {
    for (const id of ids) this.outstanding.delete(id)
    this.wakeLanded()
  }

  /** Retries waiting (landed) whose write nothing holds any more go on. */
  private wakeLanded (): void {
    if (this.landWaiters.length === 0) return
    this.landWaiters = this.landWaiters.filter(w => {
      if (this.holding(w.key)) return true
      w.resolve(this.isUncertain(w.key) ? 'unknown' : 'landed')
      return false
    })
  }

  /** A proposal decided: its writes (none if it was not ours, or was forgotten). Applied already (noteApplied): a retry finds them there. */
  decided (id: string): PendingWrite[] {
    const o = this.outstanding.get(id)
    if (o == null) return []
    for (const w of o.writes) if (w.write.ref != null) this.release(this.keyOf(w.write.ref), w)
    this.forgetOutstanding([id])
    return o.writes
  }

  /** The replica stopped with proposals in flight: retries waiting on them learn that theirs may still commit. */
  private stopOutstanding (): void {
    for (const w of this.landWaiters.splice(0)) w.resolve('stopped')
    this.outstanding.clear()
  }

  /**
   * A proposal whose slot this node learned only through a snapshot (see
   * ProposalPump.onDropped): writes the snapshot's write ids name are
   * answered with their block; the others hear `err`, and their keys are
   * kept as of unknown fate (on disk too: takeUncertainMarks), so that a
   * retry is not proposed again.
   */
  forgetUncertain (id: string, o: Outstanding, err: Error, now: number): void {
    const outcomes = o.writes.map((w): Error | CommitResult => {
      const ref = w.write.ref
      if (ref == null) return err
      const key = this.keyOf(ref)
      const landed = this.applied.get(key)
      if (landed != null) return landed
      const owner = memoryOwner(ref)
      this.uncertain.set(key, true, 0, owner)
      this.uncertainMarks.push({ key, owner, at: now, height: UNCERTAIN_HEIGHT, hash: ZERO_HASH })
      return err
    })
    // after `uncertain` is filled: retries waiting on this proposal (landed()) read it
    this.forgetOutstanding([id])
    o.writes.forEach((w, i) => { settle(w, outcomes[i]) })
  }

  /** Writes not proposed yet fail with `err` (nothing of them was written). */
  failWaiting (err: Error): void {
    for (const w of this.buffer.splice(0)) settle(w, err)
  }

  /** Proposed writes fail with what `err` says of each: their proposals may still be chosen. */
  failProposed (err: (w: PendingWrite) => Error): void {
    for (const o of this.outstanding.values()) o.writes.forEach(w => { settle(w, err(w)) })
    this.stopOutstanding()
  }

  /** A committed write waits for the replication round after its commit (answered by replicated, or `pending` at its deadline). */
  awaitReplication (w: PendingWrite, result: CommitResult): Replicating {
    const x = { w, result }
    this.replicating.add(x)
    return x
  }

  replicated (x: Replicating, replication: ReplicationSummary): void {
    this.replicating.delete(x)
    settle(x.w, { ...x.result, replication })
  }

  /** Committed writes stop waiting for their round (the replica stops): answered `pending`. */
  endReplicationWaits (): void {
    for (const x of [...this.replicating]) this.replicated(x, pendingReplication())
  }

  /**
   * Deadlines of what was proposed or committed: retries waiting on a
   * proposal hear 'in flight'; proposed writes CommitTimeoutError (naming
   * the booth in force); committed ones stop waiting for a slow replication
   * round.
   */
  expire (now: number, booth: () => string[]): void {
    this.landWaiters = this.landWaiters.filter(w => {
      if (now < w.deadline) return true
      w.resolve('in flight')
      return false
    })
    for (const o of this.outstanding.values()) {
      for (const w of o.writes) {
        if (!w.settled && now >= w.deadline) {
          // what a retry does, as every other "may still commit" says (it said neither: a writer without a key
          // was not told a retry may commit it twice); a client's key names a carrier (idempotentRef)
          settle(w, new CommitTimeoutError(`write to ${this.chainId} proposed but not decided in time (booth ${booth().join(',')}); ` +
            `it may still commit, whole or not at all ${retryAdvice(w.write.ref?.carrier != null)}`))
        }
      }
    }
    for (const x of this.replicating) {
      if (now >= x.w.deadline) this.replicated(x, pendingReplication())
    }
  }
}
