import { pbStream } from '../framing.ts'
import { Uint8ArrayList } from 'uint8arraylist'
import type { ComponentLogger, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { bytesEqual } from '../../chain/index.ts'
import type { ChainTip } from '../../chain/index.ts'
import { entryOffsets } from '../../storage/index.ts'
import type { ChainStore, RecordRun } from '../../storage/index.ts'
import { InvalidMessageError, NotStartedError, ProtocolError } from '../errors.ts'
import { MAX_PEER_TEXT } from '../../text/peer-text.ts'
import { LinkedSignal, decoderOf, handleProtocol, withDeadline, withStream } from '../stream.ts'
import { ReplicateRequest, ReplicateResponse } from './pb/replicate.ts'
import { MembershipCheck } from '../read/membership.ts'
import { OwnerTransfers, serveReplicate } from './server.ts'
import { Reservations } from './reservations.ts'
import type { Reservation } from './reservations.ts'
import {
  MAX_INBOUND_STREAMS, MAX_MESSAGE_BYTES, MAX_OUTBOUND_STREAMS, MAX_WINDOW_BYTES, MEMBERSHIP_WAIT, MESSAGE_TIMEOUT, PROGRESS_BYTES, REPLICATE_PROTOCOL, TARGET_FRAME_BYTES,
  TRANSFER_TIMEOUT, WINDOW_BYTES, MIN_WINDOW_BYTES, OFFER_BUDGET, TOP_UP_BYTES, TOP_UP_PASSES
} from './constants.ts'
import { InboundBudget } from '../inbound-budget.ts'
import { DivergedCopyError, NoCapacityError, ReplicateRefusedError } from './errors.ts'
import { TransferWindow } from './window.ts'

// the backup's words go into errors, logs and a write's replication report: escaped and bounded
const RESPONSE = decoderOf(ReplicateResponse, 'replicate answer', { message: MAX_PEER_TEXT })

/** A refusal's status by its name (ReplicateRefusedError.status), or as it came when not known here. */
function statusName (status: ReplicateResponse.Status): string {
  return String(ReplicateResponse.Status[status] ?? status)
}

export interface ReplicateComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId' | 'peerStore'>
  store: ChainStore
  logger: ComponentLogger
  /**
   * Bytes this node can still take for other vehicles' chains. Transfers in
   * flight are not to be taken off: the service reserves their room itself.
   */
  freeCapacity: () => Promise<number>
  /**
   * Backup side: connected members of our network (the peering's view). Given,
   * only they may push a chain: a peer identify showed to run another network
   * is refused at once, one not identified yet is waited for (membershipWait).
   * @default every peer may (the protocol's own tests)
   */
  isMember?: (peer: PeerId) => boolean
  /**
   * Backup side: why a peer of our network is kept out for a lasting reason
   * (two processes run its identity); such a peer is refused FORBIDDEN at
   * once with that reason, not waited for. @default none
   */
  refusal?: (peer: PeerId) => string | undefined
  /**
   * Backup side: the copy of `chainId` is complete up to `tip` and durable
   * (the store's flush() ran); called before DONE is answered.
   */
  onStored: (chainId: string, tip: ChainTip) => Promise<void>
  /**
   * Backup side: the owner opened a transfer for this epoch, whether or not
   * it is accepted; the offer is measured once this resolves.
   */
  onOffer?: (chainId: string, epoch: number) => void | Promise<void>
  /**
   * Backup side: the offer of this epoch was accepted (its room reserved). A
   * release of an older epoch must not delete what this transfer brings: the
   * transfer reads what it holds of the chain only once this resolves (a
   * release's delete under way finishes first, see
   * ReleaseComponents.exclusive). Not called for an offer refused: the
   * owner's release still pending for the copy must go through then. Whatever
   * this writes unsynced is durable before DONE is answered (the store's
   * flush is a synced write of the same database).
   */
  onAccepted?: (chainId: string, epoch: number) => void | Promise<void>
  /**
   * Backup side: an offer does not fit. Frees room for it if the node can
   * (temporary copies yield to backup duty): `bytes` free in all, the chain
   * offered left alone. The offer is measured again after it.
   */
  makeRoom?: (bytes: number, chainId: string) => Promise<void>
}

export interface ReplicateInit {
  /** @default '/vguard/replicate/1.0.0' */
  protocol?: string
  /** @default 6 MiB */
  maxMessageBytes?: number
  /** @default 512 KiB (TARGET_FRAME_BYTES) */
  targetFrameBytes?: number
  /** @default 8 MiB, at most MAX_WINDOW_BYTES */
  windowBytes?: number
  /** @default 10 s */
  messageTimeout?: number
  /** Bytes of new blocks a transfer must bring per messageTimeout waited on the proposer. @default 1 MiB */
  progressBytes?: number
  /** @default 5 s */
  membershipWait?: number
  /** Bytes of offers partly received at once, over every inbound stream. @default 16 MiB (OFFER_BUDGET) */
  offerBudget?: number
}

export interface ReplicateProgress {
  chainId: string
  peer: string
  /** Height the backup has appended so far. */
  height: number
  /** Height it will hold when done (raised when the transfer tops up: ReplicateOptions.topUp). */
  target: number
  /**
   * Bytes of blocks sent when the backup acknowledged `height`: frames in
   * flight then included (up to the window past `height`), those sent after
   * it not (told at the next acknowledgement; onSent tells each frame).
   */
  sentBytes: number
}

export interface ReplicateResult {
  peer: string
  height: number
  tipHash: Uint8Array
  /** The backup's height before the transfer (what was not resent). */
  resumedFrom: number
  sentBlocks: number
  sentBytes: number
}

export interface ReplicateOptions {
  epoch?: number
  signal?: AbortSignal
  onProgress?: (progress: ReplicateProgress) => void
  /**
   * Told the bytes of blocks sent so far each time a frame is written,
   * acknowledged or not: what a transfer that fails midway sent (progress
   * tells it only as of the last acknowledgement).
   */
  onSent?: (sentBytes: number) => void
  /**
   * Also send the blocks committed while the transfer runs, before DONE
   * (bounded: TOP_UP_PASSES, TOP_UP_BYTES, and the room the backup said it
   * had): the result's height says how far the backup holds the chain.
   * @default false (up to the tip read when the transfer starts)
   */
  topUp?: boolean
  /**
   * A backup whose copy went another way than our chain keeps it: the
   * transfer fails with DivergedCopyError before it sends a block, instead
   * of replacing the copy from height 1. @default false (replaced)
   */
  keepDiverged?: boolean
}

interface Frame { last: number, bytes: number }

/** What sendBlocks needs of replicateTo. */
interface Sending {
  writeFrame: (frame: Uint8ArrayList) => Promise<void>
  head: (first: boolean) => Uint8Array
  read: () => Promise<ReplicateResponse>
  /** Writes DONE for the tip sent: after the last frame, before its acknowledgements are read. */
  finish: (tip: ChainTip) => Promise<void>
  /** Given the tip sent so far, the tip to go on to (see ReplicateService.topUps). */
  extend?: (sent: ChainTip) => Promise<ChainTip | undefined>
  chainId: string
  /** First height to send (the backup holds those below). */
  from: number
  /** The tip read at the start: sent up to it at least. */
  tip: ChainTip
  signal: AbortSignal
  /** Ends the writes under way: the backup failed (see sendBlocks). */
  halt: (err: Error) => void
  /** The backup's height after a frame, the bytes sent, and the tip the transfer goes to now. */
  progress: (height: number, sentBytes: number, target: number) => void
  /** The bytes sent so far, after each frame written (ReplicateOptions.onSent). */
  sent: (sentBytes: number) => void
}

/** ReplicateRequest.blocks: field 8, length-delimited. */
const TAG_BLOCKS = (8 << 3) | 2
/** Blocks per BLOCKS frame: what a backup's decoder accepts (see server.ts). */
const MAX_BLOCKS_PER_FRAME = 65_536

/**
 * A BLOCKS frame from a run of stored entries: the message's other fields,
 * then the run's entries, whose tag byte becomes field 8's (they are
 * SyncResponse's field 4 as stored). The run is the caller's buffer, changed
 * in place and sent as it is: no block is copied into the frame.
 */
function blocksFrame (head: Uint8Array, run: RecordRun): Uint8ArrayList {
  for (const at of entryOffsets(run.bytes)) run.bytes[at] = TAG_BLOCKS
  return new Uint8ArrayList(head, run.bytes)
}

/** Writes frames already encoded (lpStream prefixes their length and sends the list without joining it). */
const ENCODED = { encode: (frame: Uint8ArrayList): Uint8Array => frame as unknown as Uint8Array }

export class ReplicateService {
  readonly protocol: string
  private readonly components: ReplicateComponents
  private readonly log: Logger
  private readonly maxMessageBytes: number
  private readonly targetFrameBytes: number
  private readonly windowBytes: number
  private readonly messageTimeout: number
  private readonly progressBytes: number
  private readonly membershipWait: number
  private readonly membership?: MembershipCheck
  private readonly reservations: Reservations
  private readonly owners = new OwnerTransfers()
  /** Offers partly received over every inbound stream (see InboundBudget). */
  readonly offers: InboundBudget
  /** Inbound transfers in flight (backup side): stop() cuts them. */
  private readonly inbound = new Set<Stream>()

  constructor (components: ReplicateComponents, init: ReplicateInit = {}) {
    this.components = components
    this.protocol = init.protocol ?? REPLICATE_PROTOCOL
    this.maxMessageBytes = init.maxMessageBytes ?? MAX_MESSAGE_BYTES
    this.targetFrameBytes = init.targetFrameBytes ?? TARGET_FRAME_BYTES
    // a backup buffers for at most MAX_WINDOW_BYTES of unacknowledged frames
    this.windowBytes = Math.min(init.windowBytes ?? WINDOW_BYTES, MAX_WINDOW_BYTES)
    this.messageTimeout = init.messageTimeout ?? MESSAGE_TIMEOUT
    this.progressBytes = init.progressBytes ?? PROGRESS_BYTES
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
    if (components.isMember != null || components.refusal != null) this.membership = new MembershipCheck({ libp2p: components.libp2p, isMember: components.isMember, refusal: components.refusal })
    this.reservations = new Reservations(components.freeCapacity)
    this.offers = new InboundBudget(init.offerBudget ?? OFFER_BUDGET, 'replication offers')
    this.log = components.logger.forComponent('vguard:replicate')
  }

  async start (): Promise<void> {
    await handleProtocol(this.components.libp2p, this.protocol, async (stream, connection) => {
      this.inbound.add(stream)
      try {
        await serveReplicate(stream, connection, this.components, {
          maxMessageBytes: this.maxMessageBytes,
          messageTimeout: this.messageTimeout,
          progressBytes: this.progressBytes,
          membership: this.membership,
          membershipWait: this.membershipWait,
          reservations: this.reservations,
          owners: this.owners,
          offers: this.offers,
          log: this.log
        })
      } finally {
        this.inbound.delete(stream)
      }
    }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    }, (err, connection) => { this.log.error('replicate from %p failed: %e', connection.remotePeer, err) })
  }

  /**
   * Takes no more copies, and cuts the transfers coming in: a vehicle that is
   * leaving would otherwise finish them while it stops and be counted an
   * active backup just as it goes; cut, the proposer takes another candidate
   * and lists this one obsolete (it may keep a partial copy).
   */
  async stop (): Promise<void> {
    await this.components.libp2p.unhandle(this.protocol)
    for (const stream of this.inbound) stream.abort(new NotStartedError('the backup is stopping'))
    this.inbound.clear()
  }

  /** Backup side: bytes reserved by inbound transfers in flight and not yet written. */
  get reservedBytes (): number {
    return this.reservations.reserved
  }

  /**
   * Room, claimed frame by frame, for blocks of a copy that arrive another
   * way (a sync fetch): counted against the same free capacity as transfers,
   * so the two together never overfill the node.
   */
  openRoom (): Reservation {
    return this.reservations.open()
  }

  /**
   * Brings `peer`'s copy of our chain up to our tip and waits until it is
   * durable there.
   *
   * @throws NoCapacityError, ReplicateRefusedError, DivergedCopyError (keepDiverged), TimeoutError, InvalidMessageError
   */
  async replicateTo (peer: PeerId, chainId: string, options: ReplicateOptions = {}): Promise<ReplicateResult> {
    const signal = options.signal
    if (signal == null) return await withDeadline(TRANSFER_TIMEOUT, async (s) => await this.replicateTo(peer, chainId, { ...options, signal: s }), 'replication unfinished')
    const { store } = this.components
    const tip = await store.tip(chainId)
    const info = await store.info(chainId)
    // the backup's answer to DONE, read last, is the outcome (the copy is durable there): returned as soon as it
    // is in, the stream reset if it still holds part of what we sent (withStream's answerLast; until 2026-12-03
    // a backup that answered DONE before it took every frame held the transfer until its deadline, 10 min without the caller's)
    return await withStream(this.components.libp2p, peer, this.protocol, async (stream) => {
      // a backup cut off without a reset stops taking bytes too: the write waiting for room ends with its failure
      const writes = new LinkedSignal([signal])
      try {
        return await this.transfer(stream, peer, { chainId, tip, chainBytes: info?.bytes ?? 0, writes }, { ...options, signal })
      } finally {
        writes.clear()
      }
    }, { signal, answerLast: true })
  }

  private async transfer (stream: Stream, peer: PeerId, t: { chainId: string, tip: ChainTip, chainBytes: number, writes: LinkedSignal }, options: ReplicateOptions & { signal: AbortSignal }): Promise<ReplicateResult> {
    const { chainId, tip, chainBytes, writes } = t
    const { signal } = options
    const pbs = pbStream(stream, { maxDataLength: this.maxMessageBytes })
    const write = async (req: Partial<ReplicateRequest> & Pick<ReplicateRequest, 'type'>): Promise<void> => {
      await pbs.write({ chainId, height: 0, tipHash: new Uint8Array(0), bytes: 0, epoch: options.epoch ?? 0, reset: false, blocks: [], ...req }, ReplicateRequest, { signal: writes.signal })
    }
    const read = async (): Promise<ReplicateResponse> => await withDeadline(this.messageTimeout, async (s) => await pbs.read(RESPONSE, { signal: s }), 'the backup did not answer', signal)

    await write({ type: ReplicateRequest.Type.OFFER, height: tip.height, tipHash: tip.hash as Uint8Array<ArrayBuffer>, bytes: chainBytes })
    const offer = await read()
    this.checkStatus(offer, peer)
    const { from, reset } = await this.startingPoint(chainId, tip, offer)
    if (reset && options.keepDiverged === true) throw new DivergedCopyError(`${peer.toString()} holds a copy of ${chainId} that went another way at height ${offer.height}: kept, nothing sent`)
    let target = tip
    const progress = (height: number, sentBytes: number, to: number): void => {
      options.onProgress?.({ chainId, peer: peer.toString(), height, target: to, sentBytes })
    }
    // under way from the offer's answer on: on a slow link the first acknowledgement comes seconds
    // later, and /status showed no transfer to a backup that was taking megabytes (a bandwidth probe)
    progress(from - 1, 0, tip.height)
    const writeFrame = async (frame: Uint8ArrayList): Promise<void> => { await pbs.write(frame, ENCODED, { signal: writes.signal }) }
    const head = (first: boolean): Uint8Array => ReplicateRequest.encode({
      type: ReplicateRequest.Type.BLOCKS, chainId, height: 0, tipHash: new Uint8Array(0), bytes: 0, epoch: options.epoch ?? 0, reset: first && reset, blocks: []
    })
    // the backup's room beyond the offer: it reserved what the offer needs (at most the offer's bytes)
    const extend = options.topUp === true ? this.topUps(chainId, offer.free - chainBytes, chainBytes) : undefined
    // DONE follows the last frame at once, not after its acknowledgement: the backup takes it
    // once every frame is appended, so waiting here would only add a round trip to each round
    const finish = async (last: ChainTip): Promise<void> => {
      target = last
      await write({ type: ReplicateRequest.Type.DONE, height: last.height, tipHash: last.hash as Uint8Array<ArrayBuffer> })
    }
    const sent = await this.sendBlocks({
      writeFrame, head, read, finish, extend, chainId, from, tip, signal, halt: (err) => { writes.abort(err) }, progress, sent: (bytes) => { options.onSent?.(bytes) }
    })
    const done = await read()
    this.checkStatus(done, peer)
    if (done.height !== target.height || !bytesEqual(done.tipHash, target.hash)) {
      throw new ProtocolError(`backup ${peer.toString()} holds height ${done.height}, expected ${target.height}`)
    }
    return { peer: peer.toString(), height: target.height, tipHash: target.hash, resumedFrom: from - 1, ...sent }
  }

  private checkStatus (res: ReplicateResponse, peer: PeerId): void {
    if (res.status === ReplicateResponse.Status.OK) return
    if (res.status === ReplicateResponse.Status.NO_CAPACITY) {
      throw new NoCapacityError(`backup ${peer.toString()} has ${res.free} bytes free: ${res.message}`)
    }
    const status = statusName(res.status)
    throw new ReplicateRefusedError(`backup ${peer.toString()} refused: ${status}: ${res.message}`, status)
  }

  /**
   * The top-ups of one transfer: called with the tip sent so far, it gives the
   * tip to go on to, or undefined to end with DONE. Only blocks that extend
   * what was sent (our chain did not change under the transfer), within the
   * passes and bytes allowed.
   */
  private topUps (chainId: string, room: number, offeredBytes: number): (sent: ChainTip) => Promise<ChainTip | undefined> {
    let passes = 0
    const allowed = Math.min(TOP_UP_BYTES, Math.max(0, room))
    return async (sent) => {
      if (passes >= TOP_UP_PASSES) return undefined
      const { store } = this.components
      const now = await store.tip(chainId)
      if (now.height <= sent.height) return undefined
      if (((await store.info(chainId))?.bytes ?? 0) - offeredBytes > allowed) return undefined
      for await (const { block } of store.headers(chainId, { from: sent.height, to: sent.height })) {
        if (!bytesEqual(block.hash, sent.hash)) return undefined
      }
      passes++
      return now
    }
  }

  /** Where to resume: after the backup's tip if it is a prefix of our chain, else from scratch. */
  private async startingPoint (chainId: string, tip: ChainTip, offer: ReplicateResponse): Promise<{ from: number, reset: boolean }> {
    if (offer.height === 0) return { from: 1, reset: false }
    if (offer.height <= tip.height) {
      // the header is enough to compare hashes: a large block's payload is not read for it
      for await (const { block: ours } of this.components.store.headers(chainId, { from: offer.height, to: offer.height })) {
        if (bytesEqual(ours.hash, offer.tipHash)) return { from: offer.height + 1, reset: false }
      }
    }
    this.log('backup copy of %s diverged at height %d', chainId, offer.height)
    return { from: 1, reset: true }
  }

  private async sendBlocks (t: Sending): Promise<{ sentBlocks: number, sentBytes: number }> {
    const { writeFrame, head, read, finish, extend, chainId, signal, halt, progress } = t
    if (t.from > t.tip.height && extend == null) {
      await finish(t.tip)
      return { sentBlocks: 0, sentBytes: 0 }
    }
    const window = new TransferWindow(Math.min(MIN_WINDOW_BYTES, this.windowBytes), this.windowBytes)
    // what is being sent now: past the start's tip once the transfer tops up
    let from = t.from
    let to = t.tip
    const pending: Frame[] = []
    let sentBlocks = 0
    let sentBytes = 0
    let writerDone = false
    let failure: Error | undefined
    let wake: (() => void) | undefined
    const wakeReader = (): void => { wake?.(); wake = undefined }

    // acknowledgements come back in frame order, each once the frame is appended
    const acks = (async () => {
      while (true) {
        if (pending.length === 0) {
          if (writerDone) return
          await new Promise<void>((resolve) => { wake = resolve })
          continue
        }
        const res = await read()
        if (res.status !== ReplicateResponse.Status.OK) {
          const status = statusName(res.status)
          throw new ReplicateRefusedError(`backup refused blocks: ${status}: ${res.message}`, status)
        }
        const frame = pending.shift()
        // the backup may be ahead of the frame (a reconcile ran beside us), never behind it
        if (frame == null || res.height < frame.last) throw new InvalidMessageError(`unexpected ack for height ${res.height}`)
        window.release(frame.bytes)
        progress(res.height, sentBytes, to.height)
      }
    })().catch((err: Error) => {
      failure = err
      window.abandon()
      // the writer may be waiting for the stream to take a frame, which a backup that stopped reading never lets it
      halt(err)
      throw err
    })
    // observed below (await acks or the writer's catch); this only keeps a
    // failure that lands while the writer is mid-write from counting as unhandled
    acks.catch(() => {})

    let first = true
    try {
      while (true) {
        // runs of stored entries are frames of blocks but for the tag byte: sent as they are read
        for await (const run of this.components.store.runs(chainId, { from, to: to.height, signal, maxBytes: this.targetFrameBytes, maxBlocks: MAX_BLOCKS_PER_FRAME })) {
          const bytes = run.bytes.byteLength
          await window.reserve(bytes)
          if (failure != null) throw failure
          await writeFrame(blocksFrame(head(first), run))
          pending.push({ last: run.to, bytes })
          wakeReader()
          sentBlocks += run.to - run.from + 1
          sentBytes += bytes
          t.sent(sentBytes)
          first = false
        }
        if (failure != null) throw failure
        const more = await extend?.(to)
        if (more == null) break
        from = Math.max(from, to.height + 1)
        to = more
      }
      await finish(to)
    } catch (err) {
      writerDone = true
      wakeReader()
      // a write the acknowledgements' failure halted: that failure is the cause
      throw failure ?? err
    }
    writerDone = true
    wakeReader()
    await acks
    return { sentBlocks, sentBytes }
  }
}
