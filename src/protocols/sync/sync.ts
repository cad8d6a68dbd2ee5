/**
 * The sync service: responder (handler.ts) plus the requester side — tip,
 * fetch and reconcile. See index.ts for its guarantees.
 */
import { setMaxListeners } from 'node:events'
import { lpStream } from '../framing.ts'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { AbortOptions, Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import { blockFromBytes, bytesEqual, emptyTip, InvalidBlockError, MAX_CHAIN_ID_BYTES, tipOf, verifyHeader, verifyLink } from '../../chain/index.ts'
import type { Block, ChainTip } from '../../chain/index.ts'
import { blockBytes } from '../../storage/index.ts'
import { protocolId, PROTOCOL_PREFIX } from '../constants.ts'
import { InvalidMessageError, NotFoundError, NotStartedError, ProtocolError, TimeoutError } from '../errors.ts'
import { ChainGoneError, ChainMovedError, InvalidChainIdError, NoRoomError, NotVouchedError, SlowPeerError, SyncRefusedError } from './errors.ts'
import { asInvalidMessage, endOutbound, finishExchange, IdleTimeout, LinkedSignal, withDeadline } from '../stream.ts'
import { openStream, usableConnection } from '../open-stream.ts'
import { BatchQueue } from '../batch-queue.ts'
import { KeyedLock } from '../keyed-lock.ts'
import { untilAborted } from '../until-aborted.ts'
import { ProgressFloor } from '../progress.ts'
import { refusalOf, serve } from './handler.ts'
import type { SyncRefusal } from './handler.ts'
import { SyncRequest, SyncResponse, checkRefused, checkReportedTip, checkedWriteId, decodeResponse, refusal, request } from './messages.ts'
import {
  FRAME_BYTES, RESPONDER_READ_BUFFER_BYTES, MAX_INBOUND_STREAMS, MAX_MESSAGE_BYTES, MAX_OUTBOUND_STREAMS, MAX_REQUEST_BYTES, MAX_WRITES, MAX_WRITES_PER_FRAME, WRITES_INTERVAL,
  MAX_WINDOW_BYTES, MEMBERSHIP_WAIT, MIN_WINDOW_BYTES, PROGRESS_BYTES, PROTOCOL_NAME, PROTOCOL_VERSION, STALL_GRACE, TIMEOUT, TIP_TIMEOUT, WINDOW_BYTES
} from './constants.ts'
import { CreditWindow } from './credit-window.ts'
import { HashList } from './hash-list.ts'
import { StallWatch } from './stall-watch.ts'
import { ChainTurn } from './chain-turn.ts'
import { fetchFailure, FetchFlights } from './fetch-flights.ts'
import type { FetchOutcome, Flight } from './fetch-flights.ts'
import type { AppliedWriteId, FetchOptions, FetchResult, ReconcileOptions, ReconcileResult, Sync, SyncAuthority, SyncComponents, SyncInit, SyncRoom } from './index.ts'

/** The successor's link to a block: what vouches for a block received but not yet stored. */
function checkLink (next: Block, prev: Block): void {
  if (next.header.height !== prev.header.height + 1) {
    throw new InvalidBlockError('WrongHeight', `Invalid block: WrongHeight: block ${next.header.height} follows ${prev.header.height}`)
  }
  if (!bytesEqual(next.header.prevHash, prev.hash)) {
    throw new InvalidBlockError('WrongPrevHash', `Invalid block: WrongPrevHash: block ${next.header.height} does not point to block ${prev.header.height}`)
  }
}

/** A block a peer sent for `chainId` must be of that chain. */
function checkChain (block: Block, chainId: string, peer: PeerId): void {
  if (block.header.chainId !== chainId) {
    throw new InvalidBlockError('WrongChain', `Invalid block: WrongChain: ${peer.toString()} sent a block of ${block.header.chainId} for ${chainId}`)
  }
}

/** A block of a vouched fetch must be the one the verified headers named at its height. */
function checkVouched (block: Block, startHeight: number, expected: HashList): void {
  const hash = expected.at(block.header.height - startHeight - 1)
  if (hash == null || !bytesEqual(block.hash, hash)) {
    throw new InvalidBlockError('Unvouched', `Invalid block: Unvouched: block ${block.header.height} is not on the signed chain`)
  }
}

/** A chain id a request can carry, before anything is sent. @throws InvalidChainIdError */
function checkChainId (chainId: string): void {
  const bytes = typeof chainId === 'string' ? new TextEncoder().encode(chainId).byteLength : undefined
  if (bytes == null || bytes === 0 || bytes > MAX_CHAIN_ID_BYTES) {
    throw new InvalidChainIdError(`a chain id is 1 to ${MAX_CHAIN_ID_BYTES} bytes of UTF-8, got ${bytes == null ? typeof chainId : `${bytes} bytes`}`)
  }
}

/** Without an authority, the hash chain alone vouches for what a peer serves. */
const TRUST_PEER: SyncAuthority = { trust: 'peer' }

/** The tip a vouched fetch must end on. */
interface Vouch { height: number, hash: Uint8Array }

/** Fetches from one peer restarted because another writer moved the chain on. */
const MAX_MOVED_RETRIES = 3

/**
 * The bytes of blocks (headers and payloads) a frame carries: what moves a
 * fetch on. A frame's other fields (a long `message`) do not: padding counted
 * let a peer meet the progress floor with a header a frame (found in review).
 */
function blockBytesOf (res: SyncResponse): number {
  let n = 0
  for (const b of res.blocks) n += b.header.byteLength + (b.payload?.byteLength ?? 0)
  return n
}

/** libp2p's errors of a stream or connection that ended under an exchange. */
const BROKEN_OFF = new Set(['StreamResetError', 'StreamStateError', 'StreamAbortedError', 'ConnectionClosedError', 'ConnectionClosingError', 'MuxerClosedError'])

function isAbort (err: unknown): boolean {
  const name = (err as Error)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

export class SyncService implements Sync {
  readonly protocol: string
  private readonly components: SyncComponents
  private readonly timeout: number
  private readonly tipTimeout: number
  private readonly frameBytes: number
  private readonly windowBytes: number
  private readonly progressBytes: number
  private readonly writesInterval: number
  private readonly membershipWait: number
  private readonly stallGrace: number
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private readonly log: Logger
  private started = false
  /** Aborted on stop(): ends every exchange in flight. */
  private shutdown = new AbortController()
  /**
   * One reconcile per chain at a time; a second waits for the first and then
   * looks again, or until the first one's fetch stalls (stallGrace) and it
   * hands its turn over.
   */
  private readonly chainLocks = new KeyedLock()
  /** The fetches reconciles run now: one per chain and peer (fetch-flights.ts). */
  private readonly flights = new FetchFlights()
  /**
   * When a dial to each peer last failed (a stream opened to it clears it):
   * a reconcile does not dial a peer again for its other chains once a dial
   * failed during it (undialled).
   */
  private readonly dialFailures = new Map<string, number>()
  /** When each peer last had a WRITES answer (mayAskWrites). */
  private readonly writesAsked = new Map<string, number>()

  constructor (components: SyncComponents, init: SyncInit = {}) {
    this.components = components
    this.protocol = protocolId(PROTOCOL_NAME, PROTOCOL_VERSION, init.protocolPrefix ?? PROTOCOL_PREFIX)
    this.timeout = init.timeout ?? TIMEOUT
    this.tipTimeout = init.tipTimeout ?? TIP_TIMEOUT
    this.frameBytes = Math.min(init.frameBytes ?? FRAME_BYTES, MAX_MESSAGE_BYTES)
    // no more than the responder grants (credits.ts): above it, this side counted credit the responder
    // did not hold, stopped granting as throughput fell, and both waited out the timeout (a review)
    this.windowBytes = Math.min(init.windowBytes ?? WINDOW_BYTES, MAX_WINDOW_BYTES)
    this.progressBytes = init.progressBytes ?? PROGRESS_BYTES
    this.writesInterval = init.writesInterval ?? WRITES_INTERVAL
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
    this.stallGrace = init.stallGrace ?? STALL_GRACE
    this.maxInboundStreams = init.maxInboundStreams ?? MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? MAX_OUTBOUND_STREAMS
    this.log = components.logger.forComponent('vguard:sync')
  }

  async start (): Promise<void> {
    if (this.started) return
    this.shutdown = new AbortController()
    setMaxListeners(Infinity, this.shutdown.signal)
    await this.components.libp2p.handle(this.protocol, this.onStream, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams
    })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.shutdown.abort(new NotStartedError('sync service stopped'))
    await this.components.libp2p.unhandle(this.protocol)
  }

  // ---- responder -------------------------------------------------------

  private readonly onStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const log = stream.log.newScope('sync')
    const { allowPeer, refusal } = this.components
    const refused = allowPeer != null || refusal != null ? await refusalOf(allowPeer ?? (() => true), connection, this.membershipWait, refusal) : undefined
    if (refused != null) {
      log('refusing sync from %p: %s', connection.remotePeer, refused.reason)
      await this.refuse(stream, refused, log)
      return
    }
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES, maxBufferSize: RESPONDER_READ_BUFFER_BYTES })
    try {
      // ends as every other protocol's exchange does (handleProtocol): sync's streams stayed half-open for good
      const finish = async (): Promise<void> => { await finishExchange(stream) }
      await serve(lp, { store: this.components.store, timeout: this.timeout, frameBytes: this.frameBytes, log, peer: connection.remotePeer, writes: this.components.writes, mayAskWrites: () => this.mayAskWrites(connection.remotePeer), stream, finish })
    } catch (err) {
      log('sync with %p ended: %e', connection.remotePeer, err)
      stream.abort(err as Error)
    }
  }

  /**
   * Answers a refused peer why, before its request is read (nothing of it is
   * looked at), and ends the exchange. An ERROR with `refused` (sync.proto):
   * the asker throws SyncRefusedError with the reason and whether it lasts
   * (`lasting`: it asks again or not); a peer that predates
   * the field reads an ERROR with it. The stream was reset unanswered, and
   * the asker saw only that it broke off: only our log said why.
   */
  private async refuse (stream: Stream, { reason, lasting }: SyncRefusal, log: Logger): Promise<void> {
    try {
      await withDeadline(this.timeout, async (signal) => { await lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES }).write(refusal(reason, lasting), { signal }) }, 'sync refusal not taken')
      await finishExchange(stream)
    } catch (err) {
      log('refusal not delivered: %e', err)
      stream.abort(err as Error)
    }
  }

  /**
   * One WRITES answer a second per peer: it walks the write memory (16k ids
   * at most, ~50 ms), and an honest member asks once per snapshot it installs.
   */
  private mayAskWrites (peer: PeerId): boolean {
    const now = performance.now()
    const key = peer.toString()
    const last = this.writesAsked.get(key)
    if (last != null && now - last < this.writesInterval) return false
    if (this.writesAsked.size >= 1024) {
      for (const [p, at] of this.writesAsked) if (now - at >= this.writesInterval) this.writesAsked.delete(p)
    }
    this.writesAsked.set(key, now)
    return true
  }

  // ---- requester -------------------------------------------------------

  /** The exchange's scope (our stop, the caller's signal) and a fresh timeout, combined. */
  private signal (ms: number, scope: AbortSignal): AbortSignal {
    // both short-lived: AbortSignal.any keeps an entry per call for as long as each source lives
    const combined = AbortSignal.any([scope, AbortSignal.timeout(ms)])
    setMaxListeners(Infinity, combined)
    return combined
  }

  /**
   * Opens a stream, runs fn, closes it; aborts it on any failure. `scope`
   * aborts when the service stops or the caller's signal does, and is
   * unlinked from both when the exchange ends.
   */
  private async exchange<T> (peer: PeerId, options: AbortOptions, fn: (lp: LengthPrefixedStream<Stream>, scope: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.started) throw new NotStartedError('sync service not started')
    const scope = new LinkedSignal([this.shutdown.signal, options.signal])
    let stream: Stream | undefined
    try {
      const { libp2p } = this.components
      // no connection that can carry a stream: openStream dials
      const dials = libp2p.getConnections != null && usableConnection(libp2p.getConnections(peer)) == null
      stream = await openStream(libp2p, peer, this.protocol, { signal: this.signal(this.timeout, scope.signal) }).catch((err: unknown) => {
        if (dials) this.dialFailed(peer)
        throw err
      })
      this.dialFailures.delete(peer.toString())
      // room for the whole window plus the frame being read
      const lp = lpStream(stream, { maxDataLength: MAX_MESSAGE_BYTES, maxBufferSize: this.windowBytes + 2 * MAX_MESSAGE_BYTES })
      const result = await fn(lp, scope.signal)
      // what the peer sends after its answer is dropped, and a peer that keeps its end open is reset:
      // the reader buffered it all, ~16 MiB on each of the 64 streams it may be opened (found in review)
      await endOutbound(stream, peer, this.protocol, this.signal(this.timeout, scope.signal), (why) => { this.log(why) })
      return result
    } catch (err) {
      stream?.abort(err as Error)
      if (isAbort(err)) throw new TimeoutError(`sync with ${peer.toString()} timed out or was aborted`)
      // the peer reset the stream or the connection closed mid-exchange: a ProtocolError as fetch documents, not libp2p's own
      if (BROKEN_OFF.has((err as Error).name)) throw new ProtocolError(`sync with ${peer.toString()} broke off: ${(err as Error).name}: ${(err as Error).message}`)
      throw asInvalidMessage(err as Error, this.protocol, peer)
    } finally {
      scope.clear()
    }
  }

  async tip (peer: PeerId, chainId: string, options: AbortOptions = {}): Promise<ChainTip> {
    checkChainId(chainId)
    return await this.exchange(peer, options, async (lp, scope) => {
      const signal = this.signal(this.tipTimeout, scope)
      await lp.write(request({ type: SyncRequest.Type.TIP, chainId }), { signal })
      const res = decodeResponse(await lp.read({ signal }))
      checkRefused(res, peer.toString())
      if (res.status === SyncResponse.Status.NOT_FOUND) return emptyTip(chainId)
      if (res.status !== SyncResponse.Status.OK) throw new ProtocolError(`tip of ${chainId}: ${res.status} ${res.message}`)
      checkReportedTip(res)
      return res.height === 0 ? emptyTip(chainId) : { chainId, height: res.height, hash: res.tipHash }
    })
  }

  /** Notes that `peer` had no connection and a dial to it failed (see dialFailures). */
  private dialFailed (peer: PeerId): void {
    const key = peer.toString()
    this.dialFailures.delete(key)
    this.dialFailures.set(key, performance.now())
    // the oldest first: a node meets a few hundred peers at most
    if (this.dialFailures.size > 1024) this.dialFailures.delete(this.dialFailures.keys().next().value as string)
  }

  /** Whether a dial to `peer` failed at or after `since` and it has no connection that could carry a stream now. */
  private undialled (peer: PeerId, since: number): boolean {
    const at = this.dialFailures.get(peer.toString())
    const { libp2p } = this.components
    return at != null && at >= since && libp2p.getConnections != null && usableConnection(libp2p.getConnections(peer)) == null
  }

  async writeIds (peer: PeerId, chainId: string, from: number, to: number, options: AbortOptions = {}): Promise<AppliedWriteId[]> {
    checkChainId(chainId)
    return await this.exchange(peer, options, async (lp, scope) => {
      await lp.write(request({ type: SyncRequest.Type.WRITES, chainId, from, to }), { signal: this.signal(this.timeout, scope) })
      const out: AppliedWriteId[] = []
      // a peer that never says done, or drips empty frames, must not hold us: every frame but the last is full
      for (let frame = 0; frame <= MAX_WRITES / MAX_WRITES_PER_FRAME; frame++) {
        const res = decodeResponse(await lp.read({ signal: this.signal(this.timeout, scope) }))
        checkRefused(res, peer.toString())
        if (res.status === SyncResponse.Status.NOT_FOUND) return []
        if (res.status !== SyncResponse.Status.OK) throw new ProtocolError(`write ids of ${chainId}: ${res.status} ${res.message}`)
        if (res.blocks.length > 0) throw new ProtocolError(`write ids of ${chainId}: the peer answered with blocks`)
        for (const w of res.writes) out.push(checkedWriteId(w, chainId, from, to))
        if (out.length > MAX_WRITES) throw new InvalidMessageError(`write ids of ${chainId}: more than ${MAX_WRITES}`)
        if (res.done) return out
        if (res.writes.length < MAX_WRITES_PER_FRAME) throw new InvalidMessageError(`write ids of ${chainId}: a frame of ${res.writes.length} that is not the last`)
      }
      throw new InvalidMessageError(`write ids of ${chainId}: more frames than ${MAX_WRITES} ids take`)
    })
  }

  /** Who vouches for blocks of `chainId` from `peer` (see SyncComponents.authority). */
  authority (chainId: string, peer: PeerId): SyncAuthority {
    return this.components.authority?.(chainId, peer) ?? TRUST_PEER
  }

  async fetch (peer: PeerId, chainId: string, options: FetchOptions = {}): Promise<FetchResult> {
    checkChainId(chainId)
    // one fetch of a chain from a peer at a time (FetchFlights): the one running brings what it
    // brings, and this one asks for the rest, if any, once it ended, whatever it came to
    for (let running = this.flights.get(chainId, peer); running != null; running = this.flights.get(chainId, peer)) {
      this.log('a fetch of %s from %p waits for the one running', chainId, peer)
      if (options.signal == null) await running.ended
      else {
        await untilAborted(running.ended, options.signal).catch((err: unknown) => {
          throw isAbort(err) ? new TimeoutError(`sync with ${peer.toString()} timed out or was aborted`) : err
        })
      }
    }
    const outcome = await this.flights.run(chainId, peer, async (onMoved) => await this.fetchFrom(peer, chainId, options, onMoved), 'fetch')
    if (outcome.error != null) throw outcome.error
    return outcome.result
  }

  /** fetch, telling `onMoved` of every frame received and every append done (a reconcile's StallWatch). */
  private async fetchFrom (peer: PeerId, chainId: string, options: FetchOptions, onMoved?: () => void): Promise<FetchResult> {
    checkChainId(chainId)
    const { store } = this.components
    const start = await store.tip(chainId)
    const result: FetchResult = { chainId, peer: peer.toString(), fetched: 0, tip: start, remoteHeight: 0, complete: true }
    if (options.onlyIfHeld === true && start.height === 0) throw new ChainGoneError(`${chainId} is not held here (released?): not fetched from nothing`)
    const authority: SyncAuthority = options.vouch != null ? { trust: 'tip', ...options.vouch } : this.authority(chainId, peer)
    if (authority.trust === 'none') throw new NotVouchedError(`blocks of ${chainId} from ${peer.toString()}: ${authority.reason}`)
    let to = options.to
    if (authority.trust === 'tip') to = Math.min(to ?? authority.height, authority.height)
    if (to != null && to <= start.height) return result
    // a vouched fetch first checks the headers up to the signed tip: then every
    // block it stores is on the chain the owner signed, not merely linked to
    // the blocks before it (a forger can link as many blocks as it likes)
    const expected = authority.trust === 'tip' ? await this.vouchedHashes(peer, chainId, start, authority, options, onMoved) : undefined
    const room = this.components.room?.(chainId)
    try {
      return await this.exchange(peer, options, async (lp, scope) => {
        // the timeout restarts with every frame: a long sync is fine while it moves
        const idle = new IdleTimeout(this.timeout, scope)
        try {
          return await this.receiveBlocks(lp, idle, { chainId, peer, start, to, expected, result, onlyIfHeld: options.onlyIfHeld === true, room, onMoved })
        } finally {
          idle.clear()
        }
      })
    } finally {
      room?.release()
    }
  }

  /** The BLOCKS exchange of a fetch: request, then frames until done, each verified and appended. */
  private async receiveBlocks (lp: LengthPrefixedStream<Stream>, idle: IdleTimeout, f: { chainId: string, peer: PeerId, start: ChainTip, to?: number, expected?: HashList, result: FetchResult, onlyIfHeld: boolean, room?: SyncRoom, onMoved?: () => void }): Promise<FetchResult> {
    const { store } = this.components
    const { chainId, peer, start, to, expected, result, onlyIfHeld, room, onMoved } = f
    const credit = new CreditWindow(MIN_WINDOW_BYTES, this.windowBytes)
    await lp.write(request({
      type: SyncRequest.Type.BLOCKS, chainId, from: start.height + 1, to: to ?? 0, credit: credit.initial
    }), { signal: idle.signal })
    // The last block received is held back until its successor arrives and
    // links to it: a forged block that is consistent in itself (payload,
    // payloadHash and hash all rewritten) is caught by the next block's
    // prevHash, and never stored. Only the final block of the range has no
    // successor to vouch for it: a fetch trusted to the peer (the chain's
    // owner) takes it as the peer's word; a vouched fetch knows its hash.
    let pending: Block | undefined
    // the copy this fetch extends: one deleted and taken again meanwhile (a
    // replicate reset) fails its next append, and that is nobody's fault
    let copy = store.copyId(chainId)
    // Frames are group-committed: while one append runs, the frames that
    // arrive meanwhile queue, and the next append takes them all (one segment
    // write and one LevelDB batch). Appends do not sync; the final one does,
    // which makes every earlier append of the chain durable with it (LevelDB's
    // log and the chain's payload segments, see storage/level.ts). A crash
    // mid-fetch loses at most blocks that were never acknowledged to anyone,
    // and the next fetch gets them again.
    const append = async (blocks: Block[], sync: boolean): Promise<void> => {
      if (blocks.length === 0) return
      const bytes = room != null ? blocks.reduce((n, b) => n + blockBytes(b), 0) : 0
      if (room != null && !await room.claim(bytes)) {
        // what was appended before stays: it extends the chain validly
        throw new NoRoomError(`no room for ${bytes} more bytes of ${chainId} (blocks ${blocks[0].header.height}..${blocks[blocks.length - 1].header.height})`)
      }
      try {
        result.tip = await store.appendMany(blocks, { sync })
        result.fetched += blocks.length
        // a fetch waiting on its own disk has not stalled: it keeps its chain's turn
        onMoved?.()
        copy ??= store.copyId(chainId)
      } catch (err) {
        if (copy != null && store.copyId(chainId) !== copy) {
          // released: nothing more to fetch (a reconcile by name would else fetch the copy back)
          if (store.copyId(chainId) == null) throw new ChainGoneError(`${chainId} was deleted here during the fetch`)
          throw new ChainMovedError(`${chainId} was replaced here (deleted and taken again) during the fetch`)
        }
        // another writer (replication, consensus) appended the same blocks meanwhile: not the peer's fault
        if (await this.overtaken(chainId, blocks[0], err)) throw new ChainMovedError(`${chainId} moved past ${blocks[0].header.height} during the fetch`)
        // the copy was released (deleted) meanwhile: not the peer's fault either
        if (onlyIfHeld && (await store.info(chainId)) == null) throw new ChainGoneError(`${chainId} was deleted here during the fetch`)
        // InvalidBlockError (bad hash, payload, link) propagates: the peer is dropped, nothing of this batch is stored
        throw err
      } finally {
        room?.written(bytes)
      }
    }
    // a failed append ends the wait for the next frame: a peer that sent a block the store rejects
    // and then went silent was dropped by the timeout alone (TimeoutError, 10 s later), its bad
    // block unnamed, and asked again as one that had only been slow (found in review)
    const reading = new LinkedSignal([idle.signal])
    // set before the read is aborted (the queue records its failure a tick later)
    let failed: Error | undefined
    const appends = new BatchQueue<Block[]>(async (batches) => {
      try {
        await append(batches.flat(), false)
      } catch (err) {
        failed = err as Error
        reading.abort(err)
        throw err
      }
    })
    const progress = this.progressFloor(peer, chainId)
    let next = start.height + 1
    try {
      while (true) {
        const bytes = await progress.wait(async () => await lp.read({ signal: reading.signal }).catch((err: unknown) => { throw failed ?? err }))
        idle.touch()
        onMoved?.()
        if (appends.failure != null) throw appends.failure
        const res = decodeResponse(bytes)
        checkRefused(res, peer.toString())
        progress.moved(blockBytesOf(res))
        if (res.status === SyncResponse.Status.NOT_FOUND) throw new NotFoundError(`${peer.toString()} does not hold ${chainId}`)
        if (res.status === SyncResponse.Status.PRUNED) result.complete = false
        else if (res.status !== SyncResponse.Status.OK) throw new ProtocolError(`blocks of ${chainId}: ${res.status} ${res.message}`)
        if (res.done) {
          if (res.blocks.length > 0) throw new InvalidMessageError('blocks in the final frame')
          checkReportedTip(res)
          await appends.idle()
          if (appends.failure != null) throw appends.failure
          await append(pending != null ? [pending] : [], true)
          result.remoteHeight = res.height
          return result
        }
        if (res.blocks.length === 0) throw new InvalidMessageError('an empty frame')
        // the frame left the stream's buffer: the responder may send that much more, or more or less
        // as the throughput says (credit-window.ts). At most the window is buffered, plus what waits
        // for the appender (below).
        const grant = credit.frame(bytes.byteLength)
        if (grant > 0) await lp.write(request({ type: SyncRequest.Type.CREDIT, chainId, credit: grant }), { signal: idle.signal })
        const blocks: Block[] = res.blocks.map(b => blockFromBytes(b.header, b.payload))
        // the answer runs on from the height asked for, block after block: anything else (blocks below
        // the range, which the store would take for another writer's, a gap, a repeat) is the peer's error
        for (const b of blocks) {
          // the store appends a block to the chain its header names: a block of another chain this node
          // holds at that height (its own, say) would land there (found in review)
          checkChain(b, chainId, peer)
          // a lie about blocks, typed as a vouched fetch's header check types it (verifyLink): until
          // 2026-12-03 it was an InvalidMessageError here and an InvalidBlockError there (found in review)
          if (b.header.height !== next) throw new InvalidBlockError('WrongHeight', `Invalid block: WrongHeight: ${peer.toString()} sent block ${b.header.height} of ${chainId} where ${next} comes next`)
          next++
        }
        if (expected != null) for (const b of blocks) checkVouched(b, start.height, expected)
        const batch = pending != null ? [pending, ...blocks] : blocks
        pending = batch.pop()
        // the held-back block must be vouched for by its successor before it is stored
        if (pending != null && batch.length > 0) checkLink(pending, batch[batch.length - 1])
        if (batch.length > 0) appends.push(batch, bytes.byteLength)
        progress.check()
        // what waits for the disk is bounded like what the network has in flight (not the peer's time)
        await appends.below(this.windowBytes)
      }
    } finally {
      // appends still queued when the exchange fails must land (or fail)
      // before the fetch ends: a reconcile holds its chain's lock until then,
      // and what it would still write must not follow a later writer's change
      await appends.idle()
      reading.clear()
    }
  }

  /**
   * The hashes of the blocks after `start` up to the vouched tip, from the
   * peer's headers: each header verified and linked to the one before, and
   * the last one the vouched tip itself. Only 32 bytes per block are kept.
   *
   * @throws InvalidBlockError (reason Unvouched) if the headers do not end on the vouched tip
   */
  private async vouchedHashes (peer: PeerId, chainId: string, start: ChainTip, vouch: Vouch, options: AbortOptions, onMoved?: () => void): Promise<HashList> {
    return await this.exchange(peer, options, async (lp, scope) => {
      await lp.write(request({
        type: SyncRequest.Type.BLOCKS, chainId, from: start.height + 1, to: vouch.height, credit: this.windowBytes, headers: true
      }), { signal: this.signal(this.timeout, scope) })
      const hashes = new HashList()
      let prev = start
      const progress = this.progressFloor(peer, chainId)
      while (true) {
        const bytes = await progress.wait(async () => await lp.read({ signal: this.signal(this.timeout, scope) }))
        onMoved?.()
        const res = decodeResponse(bytes)
        checkRefused(res, peer.toString())
        progress.moved(blockBytesOf(res))
        if (res.status === SyncResponse.Status.NOT_FOUND) throw new NotFoundError(`${peer.toString()} does not hold ${chainId}`)
        // PRUNED comes only from a responder that ignored `headers` and sent payloads: what it sent still counts
        if (res.status !== SyncResponse.Status.OK && res.status !== SyncResponse.Status.PRUNED) throw new ProtocolError(`headers of ${chainId}: ${res.status} ${res.message}`)
        if (res.done) break
        // a frame moves the fetch on by a header at least: empty ones (padded with a message to pass the
        // progress floor) held a vouched fetch, and its chain's lock, as long as the peer liked (found in review)
        if (res.blocks.length === 0) throw new InvalidMessageError('an empty frame')
        await lp.write(request({ type: SyncRequest.Type.CREDIT, chainId, credit: bytes.byteLength }), { signal: this.signal(this.timeout, scope) })
        for (const b of res.blocks) {
          if (prev.height >= vouch.height) throw new InvalidMessageError(`headers of ${chainId} beyond the ${vouch.height} asked for`)
          const header = blockFromBytes(b.header)
          checkChain(header, chainId, peer)
          verifyHeader(header)
          verifyLink(header, prev)
          hashes.push(header.hash)
          prev = tipOf(header)
        }
        progress.check()
      }
      if (prev.height !== vouch.height || !bytesEqual(prev.hash, vouch.hash)) {
        throw new InvalidBlockError('Unvouched', `Invalid block: Unvouched: ${peer.toString()}'s chain ${chainId} does not lead to the signed tip ${vouch.height} (its headers end at ${prev.height})`)
      }
      return hashes
    })
  }

  private progressFloor (peer: PeerId, chainId: string): ProgressFloor {
    return new ProgressFloor(this.progressBytes, this.timeout, (bytes, waited) =>
      new SlowPeerError(`${peer.toString()} sent ${bytes} bytes of ${chainId} in ${waited} ms of waiting (at least ${this.progressBytes} per ${this.timeout} ms): asking another peer`))
  }

  /** Did a link error come from someone else extending the chain with this very block? */
  private async overtaken (chainId: string, first: Block, err: unknown): Promise<boolean> {
    const reason = (err as InvalidBlockError).reason
    if ((err as Error).name !== 'InvalidBlockError' || (reason !== 'WrongHeight' && reason !== 'WrongPrevHash')) return false
    const stored = await this.components.store.getBlock(chainId, first.header.height)
    return stored != null && bytesEqual(stored.hash, first.hash)
  }

  async reconcile (chainId?: string, options: ReconcileOptions = {}): Promise<ReconcileResult[]> {
    if (chainId != null) checkChainId(chainId)
    const chainIds = chainId != null
      ? [chainId]
      : (await this.components.store.chains()).map(c => c.chainId).filter(id => options.include?.(id) ?? true)
    const results: ReconcileResult[] = []
    // A peer a dial failed to since this reconcile began, and still without a connection, is not
    // dialled again for its other chains (reported unreachable): a peer that went away cost one
    // dial, and its timeout, per chain held (found in review).
    const began = performance.now()
    // a chain released (deleted) since the list was taken is not fetched back
    // again: only a reconcile asked for by name starts from nothing
    const onlyIfHeld = chainId == null
    for (const id of chainIds) {
      // The peers' tips are asked before the chain's lock is taken: asked under it, a peer that
      // does not answer (loaded, or broken with its connection up) held every other reconcile of
      // the chain for the tip timeout, so one such member slowed the catch-up from all the others
      // to 5 s a chain (found in review). A tip read before the wait is a floor: tips only grow.
      const asked = await this.askTips(id, options, onlyIfHeld, began)
      // An abort ends the wait for the chain's turn: until 2026-12-03 a reconcile its caller gave up
      // waited on behind the one holding the turn for as long as that one's fetch kept moving (a probe)
      const turn = new ChainTurn(this.chainLocks, id)
      try {
        const taken = await turn.retake(options.signal).then(() => true, (err: unknown) => {
          if (options.signal?.aborted !== true) throw err
          return false
        })
        results.push(taken ? await this.reconcileChain(id, asked, options, onlyIfHeld, turn) : await this.untaken(id, asked))
      } finally {
        turn.end()
      }
    }
    return results
  }

  /** The result of a chain's reconcile whose caller gave up before its turn came: only what its tips said. */
  private async untaken (chainId: string, asked: AskedTips): Promise<ReconcileResult> {
    const after = (await this.components.store.tip(chainId)).height
    return { chainId, before: asked.before, after, sources: [], dropped: asked.dropped, unreachable: asked.unreachable, refused: asked.refused, noRoom: false }
  }

  /**
   * One fetch of `chainId` from `peer` up to `target` for a reconcile: the one running from that peer
   * already, if a reconcile that handed its turn over left one (FetchFlights), else a new one under
   * the chain's turn. Undefined when nothing was fetched and the caller should look again (the chain
   * got to `target`, or a fetch from the peer began, while this one waited for its turn).
   */
  private async fetchOnce (chainId: string, peer: PeerId, target: number, options: ReconcileOptions, onlyIfHeld: boolean, turn: ChainTurn): Promise<FetchOutcome | undefined> {
    const running = this.flights.get(chainId, peer)
    if (running?.owner === 'fetch') {
      // a caller's fetch (consensus's): its target and vouch are its own, and so is its failure (a
      // vouch the peer's chain does not reach is no lie of the peer's). Once it ended, look again
      this.log('the reconcile of %s waits for a fetch from %p that runs beside it', chainId, peer)
      const outcome = await this.waitOut(running, turn, options.signal)
      return options.signal?.aborted === true ? outcome : undefined
    }
    if (running != null) {
      this.log('the reconcile of %s waits for the fetch from %p handed over earlier', chainId, peer)
      return await this.waitOut(running, turn, options.signal)
    }
    if (!turn.held) {
      this.log('the reconcile of %s waits for its turn again, to fetch from %p', chainId, peer)
      // an abort ends the wait as it ends a wait for another reconcile's fetch (waitOut)
      try {
        await turn.retake(options.signal)
      } catch (err) {
        return fetchFailure(err)
      }
      if ((await this.components.store.tip(chainId)).height >= target || this.flights.get(chainId, peer) != null) return undefined
    }
    // A fetch that receives nothing for stallGrace hands the chain's turn over, and runs on beside
    // the next reconcile: a peer that answered its tip and then stalled its blocks held every other
    // reconcile of the chain (an honest peer's catch-up) until the 10 s timeout dropped it (found in
    // review). Appends stay serialised and verified (the store's); a block both fetches bring is
    // taken once, and the other fetch is told the chain moved on (ChainMovedError).
    const watch = new StallWatch(this.stallGrace, () => {
      this.log('fetch of %s from %p stalled: the next reconcile of it goes ahead', chainId, peer)
      turn.handOver()
    })
    try {
      return await this.flights.run(chainId, peer, async (onMoved) => await this.fetchFrom(peer, chainId, { to: target, signal: options.signal, onlyIfHeld }, () => {
        watch.touch()
        onMoved()
      }))
    } finally {
      watch.clear()
    }
  }

  /** The outcome of another reconcile's fetch; the turn is handed over while it receives nothing, as with a fetch of our own. */
  private async waitOut (flight: Flight, turn: ChainTurn, signal?: AbortSignal): Promise<FetchOutcome> {
    const watch = new StallWatch(this.stallGrace, () => { turn.handOver() })
    const unwatch = flight.watch(() => { watch.touch() })
    try {
      // the fetch is the other reconcile's: an abort of ours ends our wait, not it
      return signal == null ? await flight.ended : await untilAborted(flight.ended, signal).catch(fetchFailure)
    } finally {
      unwatch()
      watch.clear()
    }
  }

  /** The peers' tips of `chainId`; those that could not be read, or refused, noted in the result's fields. */
  private async askTips (chainId: string, options: ReconcileOptions, onlyIfHeld: boolean, began: number): Promise<AskedTips> {
    const asked: AskedTips = { before: (await this.components.store.tip(chainId)).height, tips: [], unreachable: [], refused: [], dropped: [] }
    if (onlyIfHeld && (await this.components.store.info(chainId)) == null) return asked
    const peers = options.peers ?? this.components.peers()
    const tips = await Promise.all(peers.map(async (peer) => {
      if (this.undialled(peer, began)) {
        asked.unreachable.push(peer.toString())
        return undefined
      }
      try {
        return { peer, tip: await this.tip(peer, chainId, { signal: options.signal }) }
      } catch (err) {
        if (err instanceof SyncRefusedError) refusedBy(asked, peer, err)
        else if (isTipLie(err)) {
          // it answered, wrongly: a lie it would tell again, not a peer out of reach (until 2026-12-03 listed
          // as unreachable, so reconcile-on-connect asked it again every 30 s for as long as it stayed connected)
          const reason = `${err.name}: ${err.message}`
          asked.dropped.push({ peer: peer.toString(), error: err.name, reason })
          this.log.error('dropped %p from the sync of %s: its tip answer: %s', peer, chainId, reason)
          return undefined
        } else asked.unreachable.push(peer.toString())
        this.log('no tip of %s from %p: %e', chainId, peer, err)
        return undefined
      }
    }))
    // in the order the peers were given
    for (const t of tips) if (t != null) asked.tips.push(t)
    return asked
  }

  /** `turn` is the reconcile's turn at the chain: handed over once a fetch stalls (fetchOnce). */
  private async reconcileChain (chainId: string, asked: AskedTips, options: ReconcileOptions, onlyIfHeld: boolean, turn: ChainTurn): Promise<ReconcileResult> {
    const { store } = this.components
    const { before } = asked
    const result: ReconcileResult = { chainId, before, after: before, sources: [], dropped: asked.dropped, unreachable: asked.unreachable, refused: asked.refused, noRoom: false }
    // the height now: another reconcile of the chain may have run while this one waited for it
    const held = (await store.tip(chainId)).height
    result.after = held
    if (onlyIfHeld && (await store.info(chainId)) == null) return result
    const { tips } = asked
    // what each peer may give us: its tip, or the signed tip if only that vouches for its blocks
    const candidates: Array<{ peer: PeerId, target: number, offered: number }> = []
    for (const t of tips) {
      if (t.tip.height <= held) continue
      const authority = this.authority(chainId, t.peer)
      if (authority.trust === 'none') {
        this.log('not fetching %s from %p: %s', chainId, t.peer, authority.reason)
        continue
      }
      if (authority.trust === 'peer') {
        candidates.push({ peer: t.peer, target: t.tip.height, offered: t.tip.height })
        continue
      }
      // headers that stop short of the signed tip cannot be checked against it
      if (t.tip.height < authority.height) {
        this.log('not fetching %s from %p: its tip %d is behind the signed tip %d', chainId, t.peer, t.tip.height, authority.height)
        continue
      }
      if (authority.height > held) candidates.push({ peer: t.peer, target: authority.height, offered: t.tip.height })
    }
    // the peer with the most first; if it fails or stops short, the next. A peer whose fetch of the
    // chain runs on from a reconcile that handed its turn over comes last: that fetch stalled
    const running = (c: { peer: PeerId }): number => this.flights.get(chainId, c.peer) != null ? 1 : 0
    candidates.sort((a, b) => running(a) - running(b) || b.target - a.target || b.offered - a.offered)
    let finished = false
    for (const { peer, target } of candidates) {
      // another writer moving the chain on is not the peer's fault: try it again, a few times
      let moved = 0
      while (moved < MAX_MOVED_RETRIES) {
        const at = (await store.tip(chainId)).height
        if (at >= target) break
        const outcome = await this.fetchOnce(chainId, peer, target, options, onlyIfHeld, turn)
        if (outcome == null) continue
        if (outcome.result != null) {
          if (outcome.result.fetched > 0) result.sources.push(peer.toString())
          break
        }
        const err = outcome.error
        if (err.name === 'ChainMovedError') {
          this.log('%s moved on while fetching from %p', chainId, peer)
          moved++
          continue
        }
        if (err.name === 'ChainGoneError') {
          // released while we fetched: nothing more to do for this chain
          this.log('%s was deleted here while fetching from %p', chainId, peer)
          finished = true
          break
        }
        if (err.name === 'NoRoomError') {
          // every other peer would fill the same room: the chain stays where it got to
          this.log.error('stopped the sync of %s from %p: %s', chainId, peer, err.message)
          if ((await store.tip(chainId)).height > at) result.sources.push(peer.toString())
          result.noRoom = finished = true
          break
        }
        if (err instanceof SyncRefusedError) {
          // it served our tip a moment ago: its view of us changed since (a clone confirmed meanwhile)
          refusedBy(result, peer, err)
          this.log('%p refused the sync of %s: %s', peer, chainId, err.reason)
          break
        }
        const e = err as Error & { reason?: string }
        const reason = `${e.name}${e.reason != null ? ` (${e.reason})` : ''}: ${e.message}`
        result.dropped.push({ peer: peer.toString(), error: e.name, reason })
        this.log.error('dropped %p from the sync of %s: %s', peer, chainId, reason)
        break
      }
      if (finished || options.signal?.aborted === true || !this.started) break
    }
    result.after = (await store.tip(chainId)).height
    if (result.after > before) this.log('reconciled %s from %d to %d via %s', chainId, before, result.after, result.sources.join(', '))
    return result
  }
}

/** What a reconcile learned of the peers before it took the chain's lock. */
interface AskedTips {
  /** The chain's height when its reconcile began. */
  before: number
  tips: Array<{ peer: PeerId, tip: ChainTip }>
  unreachable: string[]
  refused: ReconcileResult['refused']
  /** Peers whose tip answer was a lie (see isTipLie). */
  dropped: ReconcileResult['dropped']
}

/**
 * Whether a failed tip ask is the peer's lie rather than a fault of the way
 * to it: an answer that arrived whole and does not decode, is over the size
 * limit, or reports an impossible tip (checkReportedTip) is an
 * InvalidMessageError; one cut off (AnswerCutOffError, though an
 * InvalidMessageError too) is what a peer that died mid-answer leaves, as
 * a timeout, a reset (ProtocolError) or a failed dial are. An error status
 * is a ProtocolError too, not told apart from a reset by name: left as
 * unreachable, asked again either way.
 */
function isTipLie (err: unknown): err is InvalidMessageError {
  return err instanceof InvalidMessageError && err.name !== 'AnswerCutOffError'
}

function refusedBy (result: Pick<ReconcileResult, 'refused'>, peer: PeerId, err: SyncRefusedError): void {
  result.refused.push({ peer: peer.toString(), reason: err.reason, lasting: err.lasting })
}
