/**
 * The responder side: answers one TIP or BLOCKS request per stream.
 *
 * BLOCKS answers are frames of whole blocks (about frameBytes each, always at
 * least one block), sent only while the requester has granted credit; at zero
 * credit we wait (with the per-message timeout) for its CREDIT message. The
 * store's range iterator streams from disk, so a long chain is never loaded
 * whole. A request for headers gets the same frames without payloads (pruned
 * ones included: a header is all it asks for).
 *
 * Every frame also takes its size from the node's serve budget (ServeBudget)
 * until the requester credits it back: a requester's credit bounds one
 * stream, the budget bounds all of them together. A run of blocks takes it
 * before the store reads it, so the run the store reads ahead while the
 * current one waits to be sent is counted too (it was not: 32 streams of a
 * peer that never read held ~8 MiB each outside the budget). What the store
 * reads ahead of that run is not, so only a few streams of a peer read at
 * once (PEER_READERS); each keeps its turn and its room until its exchange
 * has ended.
 */
import type { Connection, Logger, MessageStream, PeerId } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { encodeBlock } from '../../chain/index.ts'
import type { ChainStore, RangeOptions, RecordRun, StoredRecord } from '../../storage/index.ts'
import { TimeoutError } from '../errors.ts'
import { NOT_A_MEMBER } from '../read/membership.ts'
import { Credits } from './credits.ts'
import { SyncRequest, SyncResponse, blocksFrame, decodeRequest, framedSize, requestProblem, response } from './messages.ts'
import { MAX_BLOCKS_PER_FRAME, MAX_WRITES, MAX_WRITES_PER_FRAME, MEMBERSHIP_WAIT, PEER_READERS, PEER_SERVE_BUDGET_BYTES, SERVE_BUDGET_BYTES } from './constants.ts'
import type { AppliedWriteId } from './index.ts'

/**
 * Bytes a responder has sent and not had credited back, over every stream it
 * serves, in total and per peer. The per-peer share keeps one peer (however
 * many streams it opens) from taking the room of the others. Waiters are
 * served first come, first served (one held back only by its own peer's share
 * does not hold up the others): a stream that waits is not overtaken by
 * streams that ask later, and every holder is either credited back (its
 * requester reads) or times out (it does not), so no stream waits forever.
 */
export class ServeBudget {
  readonly limit: number
  readonly peerLimit: number
  /** Streams of one peer that may read the store at once (see PEER_READERS). */
  readonly peerReaders: number
  private used = 0
  private readonly readers = new Map<string, number>()
  private readonly turnWaiters: Array<{ peer: string, grant: () => void }> = []
  private readonly byPeer = new Map<string, number>()
  /** The most ever in flight at once (for tests and status). */
  private highest = 0
  private readonly waiters: Array<{ bytes: number, peer: string, grant: () => void }> = []

  constructor (limit: number = SERVE_BUDGET_BYTES, peerLimit: number = PEER_SERVE_BUDGET_BYTES, peerReaders: number = PEER_READERS) {
    this.limit = limit
    this.peerLimit = Math.min(peerLimit, limit)
    this.peerReaders = Math.max(1, peerReaders)
  }

  /** Streams of `peer` reading the store now (of every peer, if none is named). */
  reading (peer?: string): number {
    if (peer != null) return this.readers.get(peer) ?? 0
    let n = 0
    for (const count of this.readers.values()) n += count
    return n
  }

  /** Streams waiting for their turn to read. */
  get waitingToRead (): number {
    return this.turnWaiters.length
  }

  /**
   * Resolves once a stream of `peer` may read the store (fewer than
   * peerReaders of its streams do), first come, first served; rejects if
   * `signal` aborts first. Each call that resolves is ended by endReading.
   */
  async beginReading (peer: string, signal: AbortSignal): Promise<void> {
    if (!this.turnWaiters.some(w => w.peer === peer) && this.reading(peer) < this.peerReaders) {
      this.readers.set(peer, this.reading(peer) + 1)
      return
    }
    await waitInLine(this.turnWaiters, { peer }, signal)
  }

  /** A stream of `peer` is done reading: the next of its waiting streams takes its turn. */
  endReading (peer: string): void {
    const left = this.reading(peer) - 1
    const next = this.turnWaiters.findIndex(w => w.peer === peer)
    if (next >= 0) {
      // the turn passes on: the count stays
      this.turnWaiters.splice(next, 1)[0].grant()
      return
    }
    if (left > 0) this.readers.set(peer, left)
    else this.readers.delete(peer)
  }

  /** Bytes sent and not yet credited back (of one peer, if named). */
  inFlight (peer?: string): number {
    return peer == null ? this.used : this.byPeer.get(peer) ?? 0
  }

  get peak (): number {
    return this.highest
  }

  /** Streams waiting for room. */
  get waiting (): number {
    return this.waiters.length
  }

  /**
   * Resolves once `bytes` fit (a request above a limit waits for nothing to be
   * in flight there, so one frame always gets through). Rejects if `signal`
   * aborts first.
   */
  async acquire (bytes: number, peer: string, signal: AbortSignal): Promise<void> {
    if (this.tryAcquire(bytes, peer)) return
    // an abandoned wait may have held up the ones behind it
    await waitInLine(this.waiters, { bytes, peer }, signal, () => { this.grant() }, () => { this.grant() })
  }

  /** Takes `bytes` if they fit now, with nobody waiting ahead. */
  tryAcquire (bytes: number, peer: string): boolean {
    if (this.waiters.length > 0 || !this.fitsTotal(bytes) || !this.fitsPeer(bytes, peer)) return false
    this.take(bytes, peer)
    return true
  }

  release (bytes: number, peer: string): void {
    if (bytes <= 0) return
    this.used = Math.max(0, this.used - bytes)
    const left = (this.byPeer.get(peer) ?? 0) - bytes
    if (left > 0) this.byPeer.set(peer, left)
    else this.byPeer.delete(peer)
    this.grant()
  }

  private fitsTotal (bytes: number): boolean {
    return this.used + bytes <= this.limit || this.used === 0
  }

  private fitsPeer (bytes: number, peer: string): boolean {
    const held = this.byPeer.get(peer) ?? 0
    return held + bytes <= this.peerLimit || held === 0
  }

  private take (bytes: number, peer: string): void {
    this.used += bytes
    this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + bytes)
    this.highest = Math.max(this.highest, this.used)
  }

  private grant (): void {
    for (let i = 0; i < this.waiters.length;) {
      const waiter = this.waiters[i]
      // the shared room goes in order: nobody overtakes a waiter it would not fit
      if (!this.fitsTotal(waiter.bytes)) return
      if (!this.fitsPeer(waiter.bytes, waiter.peer)) {
        i++
        continue
      }
      this.waiters.splice(i, 1)
      this.take(waiter.bytes, waiter.peer)
      waiter.grant()
    }
  }
}

/**
 * Joins `line` as `fields` and resolves once granted (the line's owner takes
 * the waiter out and calls its grant); rejects if `signal` aborts first (the
 * waiter leaves the line, then `onLeave` runs). `joined` runs once the waiter
 * is in line.
 */
async function waitInLine<T extends object> (line: Array<T & { grant: () => void }>, fields: T, signal: AbortSignal, onLeave?: () => void, joined?: () => void): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const waiter = {
      ...fields,
      grant: () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
    }
    const onAbort = (): void => {
      const i = line.indexOf(waiter)
      if (i >= 0) line.splice(i, 1)
      onLeave?.()
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    line.push(waiter)
    joined?.()
  })
}

/** One budget per node: everything a node serves comes from its one chain store. */
const budgets = new WeakMap<ChainStore, ServeBudget>()

/** The serve budget of the node whose chains `store` holds. */
export function serveBudget (store: ChainStore): ServeBudget {
  let budget = budgets.get(store)
  if (budget == null) {
    budget = new ServeBudget()
    budgets.set(store, budget)
  }
  return budget
}

/** Why a peer may not sync, and whether that lasts (the asker's SyncRefusedError.lasting). */
export interface SyncRefusal {
  reason: string
  lasting: boolean
}

/**
 * Why the connection's peer may not sync (undefined: `allow` admits it;
 * NOT_A_MEMBER, passing: it did not within the wait, as the other services
 * say). A peer not admitted yet is waited for a little: a member may open its
 * stream the moment its identify of us finished, before ours of it told us it
 * runs our network. One `refusal` names (kept out for a lasting reason: two
 * processes run its identity) is not: waiting would not change it.
 */
export async function refusalOf (allow: (peer: PeerId) => boolean, connection: Connection, wait: number = MEMBERSHIP_WAIT, refusal?: (peer: PeerId) => string | undefined): Promise<SyncRefusal | undefined> {
  const until = performance.now() + wait
  while (true) {
    const lasting = refusal?.(connection.remotePeer)
    if (lasting != null) return { reason: lasting, lasting: true }
    if (allow(connection.remotePeer)) return undefined
    if (connection.status !== 'open' || performance.now() >= until) return { reason: NOT_A_MEMBER, lasting: false }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export interface ServeOptions {
  store: ChainStore
  timeout: number
  frameBytes: number
  log: Logger
  /** @default serveBudget(store) */
  budget?: ServeBudget
  /** Who asks: the budget's per-peer share. @default one unnamed peer */
  peer?: PeerId | string
  /** See SyncComponents.writes. */
  writes?: (chainId: string, from: number, to: number) => AppliedWriteId[] | undefined
  /** Whether the asker may have a WRITES answer now (a rate limit). @default always */
  mayAskWrites?: () => boolean
  /**
   * Ends the exchange once the answer is out (finishExchange: the stream
   * closed, what its buffer held delivered). A BLOCKS answer keeps its turn
   * to read and its share of the budget until this returns: a stream whose
   * requester never takes what it was sent holds it in our buffer until then.
   */
  finish?: () => Promise<void>
  /** The stream `lp` reads and writes: watched for a reset once the requester closed its write side (see Credits); what its buffer holds is not credited back. */
  stream?: Pick<MessageStream, 'status' | 'addEventListener' | 'removeEventListener' | 'writeBufferLength'>
}

/** A fresh per-message timeout signal (reset for every message). */
function timeout (ms: number): AbortSignal {
  return AbortSignal.timeout(ms)
}

export async function serve (lp: LengthPrefixedStream, options: ServeOptions): Promise<void> {
  const req = decodeRequest(await lp.read({ signal: timeout(options.timeout) }))
  if (await answeredAtOnce(lp, req, options)) {
    await options.finish?.()
    return
  }
  // it ends the exchange itself, within its turn to read (see ServeOptions.finish)
  await serveBlocks(lp, req, options)
}

/** Answers a request that is not for blocks (or cannot be served): whether it did. */
async function answeredAtOnce (lp: LengthPrefixedStream, req: SyncRequest, options: ServeOptions): Promise<boolean> {
  const problem = requestProblem(req)
  if (problem != null) {
    options.log('bad request: %s', problem)
    await lp.write(response({ status: SyncResponse.Status.BAD_REQUEST, message: problem, done: true }), { signal: timeout(options.timeout) })
    return true
  }
  const info = await options.store.info(req.chainId)
  if (info == null) {
    await lp.write(response({ status: SyncResponse.Status.NOT_FOUND, message: `chain ${req.chainId} not held`, done: true }), { signal: timeout(options.timeout) })
    return true
  }
  if (req.type === SyncRequest.Type.TIP) {
    await lp.write(response({ height: info.height, tipHash: info.tipHash as Uint8Array<ArrayBuffer>, done: true }), { signal: timeout(options.timeout) })
    return true
  }
  if (req.type === SyncRequest.Type.WRITES) {
    await serveWrites(lp, req, options)
    return true
  }
  return false
}

/** The write ids asked for, in frames of MAX_WRITES_PER_FRAME, the last one done (at most MAX_WRITES: what a node remembers). */
async function serveWrites (lp: LengthPrefixedStream, req: SyncRequest, options: ServeOptions): Promise<void> {
  if (options.mayAskWrites?.() === false) {
    await lp.write(response({ status: SyncResponse.Status.ERROR, message: 'one write-id request a second', done: true }), { signal: timeout(options.timeout) })
    return
  }
  const writes = options.writes?.(req.chainId, req.from, req.to)
  if (writes == null) {
    await lp.write(response({ status: SyncResponse.Status.NOT_FOUND, message: `no write ids of ${req.chainId} kept here`, done: true }), { signal: timeout(options.timeout) })
    return
  }
  const wire = writes.slice(-MAX_WRITES).map(w => ({ key: w.key, owner: w.owner ?? '', age: w.age, height: w.height, hash: w.hash as Uint8Array<ArrayBuffer> }))
  for (let i = 0; ; i += MAX_WRITES_PER_FRAME) {
    const done = i + MAX_WRITES_PER_FRAME >= wire.length
    await lp.write(response({ writes: wire.slice(i, i + MAX_WRITES_PER_FRAME), done }), { signal: timeout(options.timeout) })
    if (done) break
  }
  options.log.trace('served %d write ids of %s in %d..%d', wire.length, req.chainId, req.from, req.to)
}

async function serveBlocks (lp: LengthPrefixedStream, req: SyncRequest, options: ServeOptions): Promise<void> {
  const { store, log } = options
  const budget = options.budget ?? serveBudget(store)
  const peer = options.peer?.toString() ?? ''
  // Our share of the budget: taken for runs read (or being read) and not sent yet; of the frame being written (its
  // write waits while the stream's buffer is full: the frame is still in our memory); and written, not credited back.
  // A CREDIT gives back bytes that left the stream only: a requester that credits what it never read (a probe:
  // 16 MiB every 300 ms on 32 streams) had its frames' room released while they sat in the write buffer (+130 MiB
  // of RSS). A write resolves once the stream took the frame into its buffer, not once the frame left it (a
  // session's relay test: 16 MiB buffered on four streams, 8 MiB of it counted), so what the buffer still holds of
  // written frames is not given back either. Credit that comes for bytes not out yet (an honest requester may read a
  // frame before its write resolves here) waits for them: it is settled after each write, when the buffer drains,
  // and before a wait for room.
  let reserved = 0
  let writing = 0
  let early = 0
  let unacked = 0
  // the exchange is over and its share given back: a CREDIT read just before gives back nothing more
  let finished = false
  /** Written bytes, not credited back, that left the stream's buffer (the buffer holds the frame being written first). */
  const outOfBuffer = (): number => Math.max(0, unacked - Math.max(0, (options.stream?.writeBufferLength ?? 0) - writing))
  /** Gives back the credit held for bytes that have left by now. */
  const settleCredit = (): void => {
    const acked = Math.min(early, outOfBuffer())
    if (acked <= 0) return
    early -= acked
    unacked -= acked
    budget.release(acked, peer)
  }
  const credits = new Credits(lp, req.credit, credited => {
    if (finished) return
    // more than is out (the frame being written, and what was written) is credit for nothing: not kept
    early = Math.min(early + credited, unacked + writing)
    settleCredit()
  }, options.stream)
  // what the buffer held leaves it: the credit held for it is given back then, not at the next write (the
  // buffer counts each frame's few length-prefix bytes too, so some credit may wait for it)
  options.stream?.addEventListener('drain', settleCredit)
  // ends a wait for room of a run read ahead when the exchange ends (else closing the runs waits out its timeout)
  const ended = new AbortController()
  let frame: Uint8Array[] = []
  let frameSize = 0
  let sent = 0

  /** Room in the budget for a frame (reserved until it is sent). */
  const take = async (bytes: number): Promise<void> => {
    // our own credit held for bytes that have left by now is room too; room free now needs no timer and no signal
    settleCredit()
    if (takeNow(bytes)) return
    try {
      // a requester that reset the stream gives its room back now, not after the timeout
      await budget.acquire(bytes, peer, AbortSignal.any([ended.signal, credits.broken, AbortSignal.timeout(options.timeout)]))
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new TimeoutError(`no room to send within ${options.timeout} ms`)
      throw err
    }
    reserved += bytes
  }
  /** Takes room for `bytes` if the budget has it now, without waiting. */
  const takeNow = (bytes: number): boolean => {
    if (!budget.tryAcquire(bytes, peer)) return false
    reserved += bytes
    return true
  }
  /** Sends a frame whose room in the budget is taken (see take). */
  const sendTaken = async (bytes: Uint8Array): Promise<void> => {
    const size = bytes.byteLength
    await credits.available(options.timeout)
    reserved -= size
    writing += size
    credits.spend(size)
    await lp.write(bytes, { signal: timeout(options.timeout) })
    writing -= size
    unacked += size
    settleCredit()
  }
  const send = async (bytes: Uint8Array): Promise<void> => {
    await credits.available(options.timeout)
    await take(bytes.byteLength)
    await sendTaken(bytes)
  }
  /** Sends the frame of headers, whose room each header took. */
  const flushTaken = async (): Promise<void> => {
    if (frame.length === 0) return
    await sendTaken(blocksFrame(frame, frameSize))
    sent += frame.length
    frame = []
    frameSize = 0
  }

  /** Ends the exchange, our turn and share still held: until then what the stream's buffer holds is ours. */
  const finish = async (): Promise<void> => {
    // a CREDIT now gives back nothing: all of it is given back once the exchange is over
    credits.close()
    await options.finish?.()
  }

  const range = { from: req.from, to: req.to === 0 ? undefined : req.to }
  let runs: AsyncIterator<RecordRun> | undefined
  let turn = false
  try {
    // what the store reads ahead is held outside the budget while a stream waits for room: only a few streams of
    // a peer read at once (see PEER_READERS); a requester that resets gives its place in the line up at once
    try {
      await budget.beginReading(peer, AbortSignal.any([credits.broken, AbortSignal.timeout(options.timeout)]))
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new TimeoutError(`no turn to read within ${options.timeout} ms (${budget.peerReaders} streams of this peer read at once)`)
      throw err
    }
    turn = true
    if (req.headers) {
      for await (const { record } of headerRecords(store, req.chainId, range)) {
        const size = framedSize(record)
        if (frame.length > 0 && (frameSize + size > options.frameBytes || frame.length >= MAX_BLOCKS_PER_FRAME)) await flushTaken()
        // each header takes its room before the frame holds it: a stream waiting for room held a whole frame
        // (a MiB) outside the budget, and a peer's streams as many. One that must wait sends what it has first:
        // streams each holding room for a frame not full yet, none sent, waited on each other for good (a review)
        if (!takeNow(size)) {
          await flushTaken()
          await take(size)
        }
        frame.push(record)
        frameSize += size
      }
      await flushTaken()
    } else {
      // a run of stored entries is a frame of blocks as it stands (see RecordRun): sent as read. It takes its
      // room in the budget before it is read, so what the store reads ahead is counted too
      runs = store.runs(req.chainId, {
        ...range,
        maxBytes: options.frameBytes,
        maxBlocks: MAX_BLOCKS_PER_FRAME,
        beforeRead: take
      })[Symbol.asyncIterator]()
      for (let next = await runs.next(); next.done !== true; next = await runs.next()) {
        const run = next.value
        if (run.pruned) {
          reserved -= run.bytes.byteLength
          budget.release(run.bytes.byteLength, peer)
          // we pruned it: the requester cannot verify or apply a block without payload
          const info = await store.info(req.chainId)
          await send(response({ status: SyncResponse.Status.PRUNED, height: info?.height ?? 0, tipHash: info?.tipHash as Uint8Array<ArrayBuffer>, message: `payload of block ${run.from} pruned`, done: true }))
          log('served %d blocks of %s, stopped at pruned block %d', sent, req.chainId, run.from)
          await finish()
          return
        }
        await sendTaken(run.bytes)
        sent += run.to - run.from + 1
      }
    }
    const info = await store.info(req.chainId)
    await send(response({ height: info?.height ?? 0, tipHash: info?.tipHash as Uint8Array<ArrayBuffer>, done: true }))
    log.trace('served %d blocks of %s from %d', sent, req.chainId, req.from)
    await finish()
  } finally {
    // the exchange is over (done, failed or timed out): nothing of it is in flight any more
    ended.abort()
    credits.close()
    await runs?.return?.(undefined).catch(() => {})
    if (turn) budget.endReading(peer)
    finished = true
    options.stream?.removeEventListener('drain', settleCredit)
    budget.release(reserved + writing + unacked, peer)
  }
}

/** Headers as records without payload (a SyncBlock with only its header). */
async function * headerRecords (store: ChainStore, chainId: string, range: RangeOptions): AsyncGenerator<StoredRecord> {
  for await (const { block } of store.headers(chainId, range)) {
    yield { height: block.header.height, record: encodeBlock(block), pruned: false }
  }
}
