/**
 * Temporary storage (V-Guard's storage master): a vehicle has a capacity in
 * bytes; the payloads of temporary chains' blocks older than the retention
 * time τ, or beyond a size bound (oldest first, across chains), are pruned.
 * Headers stay, so every chain still verifies end to end; pinned blocks (a
 * range, or every block that writes a pinned key) are never pruned.
 *
 * Time is passed in (`now`), so the policy is a pure function of the store's
 * contents and the clock the caller chooses. Age is the block's own
 * timestamp (when its proposer committed it), not when this node received it:
 * a backup that fetches an old chain holds old data.
 *
 * A copy that nobody has claimed yet (the node holds a vehicle's chain but no
 * backup table naming it active: a fresh backup whose table is still on its
 * way, or a push nobody asked for) is kept for a grace period — τ by
 * default — from the first run that saw it, then falls under the policy like
 * any temporary chain. Without the grace, a fresh copy of an old chain would
 * lose its payloads before its table arrived; without an end to it, any peer
 * could fill a node for good.
 */
import type { Logger } from '@libp2p/interface'
import type { ChainStore } from './index.ts'
import { StoreClosedError } from './errors.ts'

/**
 * What the policy may do with a chain: `true` temporary, `false` never
 * pruned, `'unclaimed'` temporary once unclaimed for the grace period.
 */
export type Temporariness = boolean | 'unclaimed'

export interface RetentionPolicy {
  /** τ in ms: payloads of blocks with timestamp < now − τ are pruned. @default undefined (no age limit) */
  retention?: number
  /** Size bound: temporary chains' payload bytes above this are pruned, oldest block first. @default undefined (no bound) */
  maxBytes?: number
  /**
   * The node's capacity: while every chain held (headers, the chains that are
   * never pruned, and temporary payloads) takes more bytes than this,
   * temporary payloads are pruned too, oldest block first. @default undefined (no bound)
   */
  capacity?: number
  /** Which chains are temporary storage; the others are never pruned. @default every chain */
  isTemporary?: (chainId: string) => Temporariness | Promise<Temporariness>
  /** How long an unclaimed chain is kept whole, in ms. @default retention (none: unclaimed chains are kept) */
  unclaimedGrace?: number
}

/**
 * When each chain was first seen unclaimed (kept across runs by the caller,
 * e.g. the StorageMaster), on the caller's monotonic clock: a step of the
 * wall clock must neither end a grace early nor stretch it.
 */
export type UnclaimedSince = Map<string, number>

export interface RetentionReport {
  /** Heights pruned, per chain. */
  pruned: Record<string, number[]>
  freedBytes: number
  /** Temporary payload bytes left afterwards. */
  payloadBytes: number
  /** Pins (or, for the capacity, the chains that are never pruned, or chains it could not read) keep the bytes above a bound. */
  overBound: boolean
  /**
   * Chains the run could not prune, and why (a block record it could not
   * read, say): it went on with the others and left these as they were,
   * but for what it had pruned of them before the failure.
   */
  failed: Record<string, string>
}

export interface StorageUsage {
  capacity: number
  /** Logical bytes held over all chains (headers + unpruned payloads). */
  used: number
  free: number
  payloadBytes: number
  chains: number
}

/** Blocks pruned per store call: bounds one batch. */
const PRUNE_CHUNK = 256

/**
 * A block dated further ahead of the clock than this does not end an age
 * scan (pruneByAge): a proposer's clock set wrong, or a chain pushed with a
 * block dated years ahead, would otherwise keep every older block after it
 * from being pruned by age until that date. Nor is it itself kept past an
 * old block after it: timestamps grow along a chain, so that block dates it
 * as older still (kept, it held the watermark, and with it the segment files
 * of every pruned block after it, on disk but counted as free). A size run
 * dates it so too (openCursor): taken at its own date, it held its chain's
 * older blocks after it back until every other chain was pruned to its
 * newest block (a review).
 */
export const FUTURE_SKEW = 10 * 60_000

export async function storageUsage (store: ChainStore, capacity: number): Promise<StorageUsage> {
  const chains = await store.chains()
  const used = chains.reduce((n, c) => n + c.bytes, 0)
  return {
    capacity,
    used,
    free: Math.max(0, capacity - used),
    payloadBytes: chains.reduce((n, c) => n + c.payloadBytes, 0),
    chains: chains.length
  }
}

function record (report: RetentionReport, chainId: string, heights: number[], freed: number): void {
  if (heights.length === 0) return
  report.pruned[chainId] = [...(report.pruned[chainId] ?? []), ...heights]
  report.freedBytes += freed
}

/**
 * One chain's failure is that chain's: a run that ended at a record it could
 * not read left every other chain unpruned and the size bound unenforced,
 * run after run (a probe, 2026-12-03). A closed store fails every chain, so
 * it ends the run.
 */
function chainFailed (report: RetentionReport, chainId: string, err: unknown): void {
  if (err instanceof StoreClosedError) throw err
  report.failed[chainId] ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}

async function pruneByAge (store: ChainStore, chainId: string, cutoff: number, now: number, report: RetentionReport): Promise<void> {
  let scannedFrom = store.pruneFrom(chainId)
  let watermark = scannedFrom
  // the copy scanned: one taken meanwhile (deleted and fetched again, an active backup perhaps) is not pruned by this scan
  const copy = store.copyId(chainId)
  // blocks dated ahead of the clock since the last old block: they hold the watermark below them, and the scan
  // goes on past them; an old block after them dates them as old too
  let ahead: number[] = []
  let heights: number[] = []
  const flush = async (): Promise<void> => {
    const result = await store.prune(chainId, heights, { watermark, scannedFrom, copy })
    record(report, chainId, result.pruned, result.freed)
    heights = []
    // the next flush goes on from where this one left the watermark (an unpin after it moves it back, and then
    // that flush is not taken for a scan of the freed blocks)
    scannedFrom = Math.max(scannedFrom, result.pruneFrom)
  }
  for await (const { block, pruned } of store.headers(chainId, { from: watermark })) {
    const { timestamp, height } = block.header
    if (timestamp >= cutoff) {
      if (timestamp > now + FUTURE_SKEW) {
        if (!pruned) ahead.push(height)
        continue
      }
      // timestamps grow along a chain as its proposer's clock runs: the first young block ends the scan
      break
    }
    for (const h of ahead) {
      heights.push(h)
      // a long run of them: pruned in chunks, the watermark still below them (flush takes it as it is)
      if (heights.length >= PRUNE_CHUNK) await flush()
    }
    ahead = []
    if (!pruned) heights.push(height)
    watermark = height + 1
    if (heights.length >= PRUNE_CHUNK) await flush()
  }
  await flush()
}

interface Cursor {
  chainId: string
  copy?: number
  iterator: AsyncIterator<{ height: number, timestamp: number, payloadBytes: number }>
  next?: { height: number, timestamp: number, payloadBytes: number }
  heights: number[]
  watermark: number
  scannedFrom: number
}

/**
 * Heights a size run's cursor reads at once. It runs one cursor per
 * temporary chain at the same time: read whole (the store reads ahead in
 * batches of 1,000 headers), each held some 1.5 MB, and a run that pruned
 * two blocks over 600 chains peaked near 1.2 GB (a review).
 */
const CURSOR_WINDOW = 64

/** The unpruned blocks of a chain from its watermark on, in height order, dated for a size run (see FUTURE_SKEW). */
async function openCursor (store: ChainStore, chainId: string, now: number): Promise<Cursor> {
  const from = store.pruneFrom(chainId)
  const copy = store.copyId(chainId)
  async function * candidates (): AsyncGenerator<{ height: number, timestamp: number, payloadBytes: number }> {
    // dated ahead of the clock: held until a block after them dates them, else last at their own date
    let ahead: Array<{ height: number, timestamp: number, payloadBytes: number }> = []
    for (let start = from; ; start += CURSOR_WINDOW) {
      let read = 0
      for await (const { block, pruned } of store.headers(chainId, { from: start, to: start + CURSOR_WINDOW - 1 })) {
        read++
        if (pruned) continue
        const candidate = { height: block.header.height, timestamp: block.header.timestamp, payloadBytes: block.header.payloadBytes }
        if (candidate.timestamp > now + FUTURE_SKEW) {
          ahead.push(candidate)
          continue
        }
        for (const a of ahead) yield { ...a, timestamp: candidate.timestamp }
        ahead = []
        yield candidate
      }
      // heights run without gaps up to the tip: a window short of its size reached it
      if (read < CURSOR_WINDOW) break
    }
    yield * ahead
  }
  const iterator = candidates()
  const first = await iterator.next()
  return { chainId, copy, iterator, next: first.done === true ? undefined : first.value, heights: [], watermark: from, scannedFrom: from }
}

/** The chain's cursor, or undefined (the failure reported) if the run cannot read the chain. */
async function openCursorOf (store: ChainStore, chainId: string, now: number, report: RetentionReport): Promise<Cursor | undefined> {
  try {
    return await openCursor(store, chainId, now)
  } catch (err) {
    chainFailed(report, chainId, err)
  }
}

/** Moves the cursor to its chain's next candidate; a chain that fails to read has none left, and keeps what was planned of it. */
async function advance (cursor: Cursor, report: RetentionReport): Promise<void> {
  try {
    const step = await cursor.iterator.next()
    cursor.next = step.done === true ? undefined : step.value
  } catch (err) {
    chainFailed(report, cursor.chainId, err)
    cursor.next = undefined
    cursor.heights = []
  }
}

async function pruneBySize (store: ChainStore, chainIds: string[], excess: number, now: number, report: RetentionReport): Promise<number> {
  const opened = await Promise.all(chainIds.map(async id => await openCursorOf(store, id, now, report)))
  const cursors = opened.filter((c): c is Cursor => c != null)
  try {
    let planned = 0
    const flush = async (): Promise<void> => {
      for (const c of cursors) {
        if (c.heights.length === 0) continue
        try {
          const result = await store.prune(c.chainId, c.heights, { watermark: c.watermark, scannedFrom: c.scannedFrom, copy: c.copy })
          c.scannedFrom = Math.max(c.scannedFrom, result.pruneFrom)
          record(report, c.chainId, result.pruned, result.freed)
          excess -= result.freed
        } catch (err) {
          chainFailed(report, c.chainId, err)
          c.next = undefined
        }
        c.heights = []
      }
      planned = 0
    }
    // flush() lowers excess as it frees bytes
    while (true) {
      if (excess <= 0) break
      // the oldest candidate over all temporary chains (ties: chain id order)
      let oldest: Cursor | undefined
      for (const c of cursors) {
        if (c.next != null && (oldest?.next == null || c.next.timestamp < oldest.next.timestamp)) oldest = c
      }
      if (oldest?.next == null) break
      oldest.heights.push(oldest.next.height)
      oldest.watermark = oldest.next.height + 1
      planned += oldest.next.payloadBytes
      await advance(oldest, report)
      // prune once the plan covers the excess; pinned blocks free nothing, so plan again
      if (planned >= excess || oldest.heights.length >= PRUNE_CHUNK) await flush()
    }
    await flush()
    return excess
  } finally {
    // a generator that threw is done already: return() resolves
    await Promise.all(cursors.map(async c => { await c.iterator.return?.() }))
  }
}

/** Which chains the policy may prune now, and which of them are unclaimed. */
interface Classified { temporary: string[], unclaimed: Set<string> }

/**
 * Sorts the chains held by what the policy may do with them. With `record`,
 * a chain seen unclaimed for the first time starts its grace now (a run);
 * without, one not seen before counts as within its grace (a look).
 */
async function classify (store: ChainStore, policy: RetentionPolicy, unclaimed: UnclaimedSince, elapsed: number, record: boolean): Promise<Classified> {
  const isTemporary = policy.isTemporary ?? (() => true)
  const grace = policy.unclaimedGrace ?? policy.retention
  const result: Classified = { temporary: [], unclaimed: new Set() }
  for (const { chainId } of await store.chains()) {
    const verdict = await isTemporary(chainId)
    if (verdict === 'unclaimed') {
      result.unclaimed.add(chainId)
      const since = unclaimed.get(chainId) ?? elapsed
      if (record) unclaimed.set(chainId, since)
      if (grace != null && elapsed - since >= grace) result.temporary.push(chainId)
    } else if (verdict) {
      result.temporary.push(chainId)
    }
  }
  return result
}

/** What a run may also do: free `room` bytes below the capacity for new duty, leaving the chain `except` alone. */
export interface RoomRequest {
  room: number
  except?: string
  /** Chains a run could not read lately: not counted as room they would free (see surelyPrunable). */
  unreadable?: ReadonlySet<string>
}

/**
 * Applies the policy once at time `now` (wall clock, ms since the epoch: what
 * block timestamps are compared with). `unclaimed` carries when each
 * unclaimed chain was first seen from one run to the next, on the monotonic
 * clock `elapsed` reads (updated here: a chain seen for the first time starts
 * its grace now; one claimed or gone since is forgotten). Without `elapsed`,
 * the grace runs on `now` too.
 *
 * With `request`, temporary payloads are pruned (oldest first) until `room`
 * bytes are free below the capacity, but only if the temporary chains without
 * pins can free that much by themselves: pruning for an offer that would
 * still not fit loses them for nothing.
 */
export async function applyRetention (store: ChainStore, policy: RetentionPolicy, now: number, unclaimed: UnclaimedSince = new Map(), elapsed = now, request?: RoomRequest): Promise<RetentionReport> {
  const report: RetentionReport = { pruned: {}, freedBytes: 0, payloadBytes: 0, overBound: false, failed: {} }
  const classified = await classify(store, policy, unclaimed, elapsed, true)
  for (const chainId of unclaimed.keys()) {
    if (!classified.unclaimed.has(chainId)) unclaimed.delete(chainId)
  }
  const temporary = classified.temporary.filter(id => id !== request?.except)
  const temporarySet = new Set(temporary)
  if (policy.retention != null) {
    for (const chainId of temporary) {
      try {
        await pruneByAge(store, chainId, now - policy.retention, now, report)
      } catch (err) {
        chainFailed(report, chainId, err)
      }
    }
  }
  const payloadBytes = async (): Promise<number> =>
    (await store.chains()).filter(c => temporarySet.has(c.chainId)).reduce((n, c) => n + c.payloadBytes, 0)
  if (policy.maxBytes != null || policy.capacity != null) {
    const chains = await store.chains()
    const used = chains.reduce((n, c) => n + c.bytes, 0)
    const temporaryPayload = chains.filter(c => temporarySet.has(c.chainId)).reduce((n, c) => n + c.payloadBytes, 0)
    const roomExcess = request != null && policy.capacity != null ? used + request.room - policy.capacity : 0
    const excess = Math.max(
      policy.maxBytes != null ? temporaryPayload - policy.maxBytes : 0,
      policy.capacity != null ? used - policy.capacity : 0,
      roomExcess <= surelyPrunable(store, chains, temporarySet, request?.unreadable) ? roomExcess : 0
    )
    if (excess > 0) report.overBound = await pruneBySize(store, temporary, excess, now, report) > 0
  }
  report.payloadBytes = await payloadBytes()
  return report
}

/**
 * Payload bytes the policy can surely prune now (temporary chains without
 * pins, unclaimed ones past their grace): room that new backup duty can have
 * on demand (StorageMaster.makeRoom).
 */
export async function reclaimableBytes (store: ChainStore, policy: RetentionPolicy, unclaimed: UnclaimedSince, elapsed: number, unreadable?: ReadonlySet<string>): Promise<number> {
  const { temporary } = await classify(store, policy, unclaimed, elapsed, false)
  return surelyPrunable(store, await store.chains(), new Set(temporary), unreadable)
}

/**
 * Payload bytes of the temporary chains that have no pin at all, nor a read
 * that failed lately (`unreadable`): what a size run can surely free. Blocks
 * of a chain with pins may be pinned (a key pin covers every block that
 * writes the key, known only by reading them), and a chain a run could not
 * read frees nothing past the record it failed at, so none of them is
 * counted: room advertised or planned on is room there is.
 */
function surelyPrunable (store: ChainStore, chains: Array<{ chainId: string, payloadBytes: number }>, temporary: ReadonlySet<string>, unreadable: ReadonlySet<string> = new Set()): number {
  return chains
    .filter(c => temporary.has(c.chainId) && store.pins(c.chainId).length === 0 && !unreadable.has(c.chainId))
    .reduce((n, c) => n + c.payloadBytes, 0)
}

export interface StorageMasterInit {
  store: ChainStore
  policy: RetentionPolicy
  capacity: number
  /** How often to apply the policy, in ms. @default 60000 */
  interval?: number
  /** The wall clock (block ages). @default Date.now */
  now?: () => number
  /** A monotonic clock in ms (unclaimed graces). @default performance.now */
  elapsed?: () => number
  log?: Logger
  /** Told of every run's report, and whether it made room for an offer (makeRoom). */
  onReport?: (report: RetentionReport, forRoom: boolean) => void
}

/**
 * Applies the retention policy now and then, one run at a time: runs go in
 * the order they were asked for, each after the one before has ended.
 */
export class StorageMaster {
  private readonly init: StorageMasterInit
  private timer?: ReturnType<typeof setInterval>
  /**
   * Settles once every run asked for so far has ended. A run is queued on it
   * in the same step that asks for it: two callers that each waited for "no
   * run going" and then started one both saw none, and ran beside each other
   * (a review: a room run pruned what another had already freed, and a copy
   * was pruned after restartGrace had let its offer read it whole).
   */
  private tail: Promise<void> = Promise.resolve()
  /** The periodic run asked for and not yet ended, which run() joins. */
  private periodic?: Promise<RetentionReport>
  /** In memory: a restart starts every grace again (keeps copies longer, never shorter). */
  private readonly unclaimed: UnclaimedSince = new Map()
  /**
   * Chains a run could not read, with the copy it failed on (copyId), until a
   * later run prunes some of it without failing or the copy is taken again:
   * counted as room, a chain with a corrupt record was advertised free, and a
   * room run pruned the readable chains for an offer that still did not fit
   * (a probe, 2026-12-03). In memory: after a restart, the first run that
   * reads it finds it again.
   */
  private readonly unreadable = new Map<string, number | undefined>()
  private last?: RetentionReport

  constructor (init: StorageMasterInit) {
    this.init = init
  }

  start (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => {
      this.run().catch((err: Error) => { this.init.log?.error('retention run failed: %e', err) })
    }, this.init.interval ?? 60_000)
    this.timer.unref?.()
  }

  /** Resolves once no run is going, also none asked for while it waited. */
  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    let tail: Promise<void>
    do {
      tail = this.tail
      await tail
    } while (tail !== this.tail)
  }

  /**
   * Runs the policy now, after any run asked for before; joins a periodic run
   * asked for and not yet ended (a run for room is no substitute: its report
   * says nothing of the bounds).
   */
  async run (): Promise<RetentionReport> {
    if (this.periodic == null) {
      const run = this.queue()
      this.periodic = run
      const done = (): void => { if (this.periodic === run) this.periodic = undefined }
      run.then(done, done)
    }
    return await this.periodic
  }

  /**
   * Temporary storage yields to backup duty: prunes temporary payloads,
   * oldest first, until `room` bytes are free below the capacity — if they
   * can free that much (else nothing). The chain `except` (the one offered)
   * is left alone. Runs after every run asked for before it, never beside
   * one: a second offer finds the room the first made.
   */
  async makeRoom (room: number, except?: string): Promise<RetentionReport> {
    return await this.queue({ room, except })
  }

  /**
   * The chain's owner is sending it again: an unclaimed copy's grace starts
   * over (its table follows the transfer), so room made for another offer
   * does not prune a copy while it is being brought up to date. Resolves once
   * every run asked for before the restart (any of which may have chosen to
   * prune it) has ended: the offer reads how whole its copy is only then.
   * Runs asked for later see the grace restarted.
   */
  async restartGrace (chainId: string): Promise<void> {
    this.unclaimed.delete(chainId)
    await this.tail
  }

  /** Payload bytes that temporary storage could give up now (see reclaimableBytes). */
  async reclaimable (): Promise<number> {
    return await reclaimableBytes(this.init.store, this.init.policy, this.unclaimed, this.init.elapsed?.() ?? performance.now(), this.unreadableNow())
  }

  /** The chains a run could not read, still the copy it failed on. */
  private unreadableNow (): Set<string> {
    for (const [chainId, copy] of this.unreadable) {
      if (this.init.store.copyId(chainId) !== copy) this.unreadable.delete(chainId)
    }
    return new Set(this.unreadable.keys())
  }

  private noteUnreadable (report: RetentionReport): void {
    for (const chainId of Object.keys(report.pruned)) {
      if (report.failed[chainId] == null) this.unreadable.delete(chainId)
    }
    for (const chainId of Object.keys(report.failed)) this.unreadable.set(chainId, this.init.store.copyId(chainId))
  }

  /** Asks for a run: it starts once the runs asked for before have ended. */
  private async queue (request?: RoomRequest): Promise<RetentionReport> {
    // no await before the tail is moved: the next caller queues behind this run
    const run = this.tail.then(async () => await this.runOnce(request))
    this.tail = run.then(() => {}, () => {})
    return await run
  }

  private async runOnce (request?: RoomRequest): Promise<RetentionReport> {
    const now = (this.init.now ?? Date.now)()
    const elapsed = this.init.elapsed?.() ?? performance.now()
    // taken now, not when the run was asked for: a run before it may have found a chain unreadable
    const room = request != null ? { ...request, unreadable: this.unreadableNow() } : undefined
    const report = await applyRetention(this.init.store, this.init.policy, now, this.unclaimed, elapsed, room)
    this.noteUnreadable(report)
    if (report.freedBytes > 0) this.init.log?.('retention pruned %d bytes%s', report.freedBytes, request != null ? ' to make room for backup duty' : '')
    // said each run while it lasts: a chain retention cannot read is one whose blocks may not read either
    for (const [chainId, why] of Object.entries(report.failed)) this.init.log?.error('retention could not prune chain %s and left it as it is: %s', chainId, why)
    // a run for room says nothing of the bounds: it prunes below them, or not at all
    if (request == null) this.last = report
    this.init.onReport?.(report, request != null)
    return report
  }

  /**
   * The chains a run could not prune, periodic or for room, until a later run
   * prunes some of each without failing or the copy is taken again (the
   * chains not counted as room). Only the last periodic run's were counted: a
   * chain a room run found went uncounted until a periodic run met it (a
   * review, 2026-12-03).
   */
  get failedChains (): string[] {
    return [...this.unreadableNow()]
  }

  /** Whether the last periodic run found pins keeping the bytes above a bound (false before the first). */
  get overBound (): boolean {
    return this.last?.overBound ?? false
  }

  async usage (): Promise<StorageUsage> {
    return await storageUsage(this.init.store, this.init.capacity)
  }
}
