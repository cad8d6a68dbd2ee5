/**
 * The backup side of /vguard/replicate/1.0.0. Frames are read, decoded and
 * checked while earlier frames are still being appended: an appender takes
 * every frame queued so far into one store batch (the disk write runs on
 * libuv's pool while the next frames are decoded here), then acknowledges
 * each of them in order.
 *
 * Only members of our network may push a chain, and an accepted offer
 * reserves the room it needs until the transfer ends (see reservations.ts).
 */
import { pbStream } from '../framing.ts'
import type { Connection, Logger, Stream } from '@libp2p/interface'
import { bytesEqual, decodeBlock, emptyTip, InvalidBlockError, tipOf, verifyBlock } from '../../chain/index.ts'
import type { Block, ChainTip } from '../../chain/index.ts'
import { blockBytes } from '../../storage/index.ts'
import type { ChainStore } from '../../storage/index.ts'
import { InvalidMessageError, TimeoutError } from '../errors.ts'
import { withinMs } from '../time-limit.ts'
import { ProgressFloor } from '../progress.ts'
import type { MembershipCheck } from '../read/membership.ts'
import { ReplicateRequest, ReplicateResponse } from './pb/replicate.ts'
import type { ReplicateComponents } from './replicate.ts'
import type { Reservation, Reservations } from './reservations.ts'
import { MAX_WINDOW_BYTES } from './constants.ts'
import type { InboundBudget } from '../inbound-budget.ts'
import { BatchQueue } from '../batch-queue.ts'
import { decoderOf, withDeadline } from '../stream.ts'

const REQUEST = decoderOf(ReplicateRequest, 'replicate request')

export interface ServeOptions {
  maxMessageBytes: number
  messageTimeout: number
  /** Bytes of new blocks per messageTimeout waited on the proposer (see PROGRESS_BYTES). */
  progressBytes: number
  /** Who may push a chain; undefined: anyone (the protocol's own tests). */
  membership?: MembershipCheck
  /** How long a connected peer not identified yet is waited for before it is refused. */
  membershipWait: number
  /** Room held by the transfers in flight, shared by every inbound stream. */
  reservations: Reservations
  /** One transfer per owner at a time, and a pause for an owner cut off as too slow. @default no limit */
  owners?: OwnerTransfers
  /** Offers partly received, over every inbound stream. @default no limit */
  offers?: InboundBudget
  log: Logger
}

/**
 * Why the remote may not push a chain, if it may not (undefined: a member of
 * our network). A peer may open its stream the moment its identify of us
 * finished, before ours of it did: one not identified yet is waited for a
 * little; an outsider, or a peer kept out for a lasting reason, is refused at once.
 */
async function refusalOf (connection: Connection, options: ServeOptions): Promise<string | undefined> {
  const { membership } = options
  if (membership == null) return undefined
  return await membership.refusalOf(connection, options.membershipWait)
}

/**
 * Appends the blocks that extend our tip. Blocks we already hold (a reconcile
 * from the proposer may run beside this transfer) are skipped if their hash
 * matches ours; a different block at a held height is a diverged copy and
 * fails as InvalidBlockError.
 */
export async function appendFresh (store: ChainStore, chainId: string, blocks: Block[]): Promise<ChainTip> {
  let tip = await store.tip(chainId)
  while (true) {
    const fresh: Block[] = []
    for (const block of blocks) {
      if (block.header.height > tip.height) {
        fresh.push(block)
        continue
      }
      const held = await store.getBlock(chainId, block.header.height)
      if (held == null || !bytesEqual(held.hash, block.hash)) {
        throw new InvalidBlockError('WrongPrevHash', `Invalid block: copy diverged at height ${block.header.height}`)
      }
    }
    if (fresh.length === 0) return tip
    try {
      // durability comes with DONE's sync write; per-frame syncs would cost a flush each
      return await store.appendMany(fresh, { sync: false })
    } catch (err) {
      // another writer appended in between (a reconcile appends in several
      // batches, so once is not enough): look again while it moves the tip on.
      // Heights are finite: this ends, with our blocks held or a real misfit
      if ((err as { reason?: string }).reason !== 'WrongHeight') throw err
      const now = await store.tip(chainId)
      if (now.height <= tip.height) throw err
      tip = now
    }
  }
}

interface QueuedFrame { blocks: Block[], bytes: number }

/**
 * Appends queued frames in merged batches (see BatchQueue) and acknowledges
 * each frame, in order. Waits on it from the read loop end with a
 * TimeoutError after `timeout`: an acknowledgement the proposer does not take
 * holds its batch, and whatever waits on it, for as long as the proposer likes.
 */
class Appender {
  private readonly batches: BatchQueue<QueuedFrame>
  private busyTotal = 0
  private runStart?: number

  constructor (
    store: ChainStore,
    chainId: string,
    /** Sends one frame's acknowledgement; fails (the stream ended) if the proposer does not take it in time. */
    ack: (tip: ChainTip) => Promise<void>,
    /** Told at once, so the proposer learns of a bad block without waiting for a timeout. */
    fail: (err: Error) => Promise<void>,
    /** The frames' bytes are in the store now (counted as used from here on). */
    written: (bytes: number) => void,
    private readonly timeout: number
  ) {
    this.batches = new BatchQueue(async (frames) => {
      let tip: ChainTip
      try {
        // the store's time only: acknowledgements the proposer does not take are its own delay
        this.runStart = performance.now()
        tip = await appendFresh(store, chainId, frames.flatMap(f => f.blocks))
      } catch (err) {
        await fail(err as Error).catch(() => {})
        throw err
      } finally {
        if (this.runStart != null) this.busyTotal += performance.now() - this.runStart
        this.runStart = undefined
      }
      written(frames.reduce((n, f) => n + f.bytes, 0))
      for (let i = 0; i < frames.length; i++) await ack(tip)
    })
  }

  get failure (): Error | undefined {
    return this.batches.failure
  }

  /** ms spent in the store so far, the append under way included: the proposer waits on us meanwhile, not we on it. */
  get busyMs (): number {
    return this.busyTotal + (this.runStart != null ? performance.now() - this.runStart : 0)
  }

  /** `bytes`: what the blocks take in the store; `received`: the frame's blocks as they came (what waits in memory). */
  push (blocks: Block[], bytes: number, received: number): void {
    this.batches.push({ blocks, bytes }, received)
  }

  /**
   * Resolves once every queued frame is appended and acknowledged (or the first failure).
   * @throws TimeoutError if that takes longer than the timeout
   */
  async idle (): Promise<void> {
    await this.within(this.batches.idle())
  }

  /**
   * Resolves once at most `bytes` of frames wait to be appended or acknowledged (or the first failure).
   * @throws TimeoutError if that takes longer than the timeout
   */
  async below (bytes: number): Promise<void> {
    await this.within(this.batches.below(bytes))
  }

  /**
   * Resolves once every queued frame is appended (or failed), however long
   * the store takes: the transfer is over, its acknowledgements fail at once.
   */
  async drained (): Promise<void> {
    await this.batches.idle()
  }

  private async within (wait: Promise<void>): Promise<void> {
    await withinMs(wait, this.timeout, () => new TimeoutError(`the frames received were not appended and acknowledged within ${this.timeout} ms`))
  }
}

/** How long an owner whose transfer was given up as too slow is refused (NO_CAPACITY): a re-offer would take the room again at once. */
export const SLOW_OWNER_PAUSE = 60_000
/** Owners remembered as too slow at most (the oldest go first). */
const MAX_SLOW_OWNERS = 4_096

/**
 * Inbound transfers by owner. An offer reserves room on the owner's word:
 * one owner holding several transfers at once, or offering again the moment
 * the progress floor cut it off, would keep that room from everyone else.
 */
export class OwnerTransfers {
  private readonly active = new Set<string>()
  private readonly slow = new Map<string, number>()

  constructor (private readonly pause = SLOW_OWNER_PAUSE) {}

  /** Why this owner's offer is refused now; undefined: the transfer may begin (end() must follow). */
  begin (owner: string): string | undefined {
    if (this.active.has(owner)) return 'a transfer of this chain to this backup is under way'
    const until = this.slow.get(owner)
    if (until != null && performance.now() < until) return `its last transfer here brought too little for too long: offers refused for ${Math.ceil((until - performance.now()) / 1000)} s`
    this.slow.delete(owner)
    this.active.add(owner)
    return undefined
  }

  end (owner: string, tooSlow: boolean): void {
    this.active.delete(owner)
    if (!tooSlow) return
    this.slow.delete(owner)
    this.slow.set(owner, performance.now() + this.pause)
    if (this.slow.size > MAX_SLOW_OWNERS) this.slow.delete(this.slow.keys().next().value as string)
  }
}

export async function serveReplicate (stream: Stream, connection: Connection, components: ReplicateComponents, options: ServeOptions): Promise<void> {
  const { store, libp2p } = components
  const { log, reservations } = options
  // Nothing of a peer is read before it is admitted: paused, its stream takes no more than its
  // yamux window (256 KiB) and the peer's writes wait. The reader below takes in all that comes
  // once it reads, and it was made before the check: a peer waited for had each of its streams
  // hold up to the reader's limit, ~20 MiB, outside the offer budget (a review: 64 MiB over 4
  // streams, with a budget of 1 MiB). Resumed once admitted, what waited is read as it came
  if (stream.readStatus === 'readable') stream.pause()
  // room for every frame a proposer may have unacknowledged (its window), plus the one being read
  const pbs = pbStream(stream, { maxDataLength: options.maxMessageBytes, maxBufferSize: MAX_WINDOW_BYTES + 2 * options.maxMessageBytes })
  const read = async (): Promise<ReplicateRequest> => await withDeadline(options.messageTimeout, async (signal) => await pbs.read(REQUEST, {
    signal,
    limits: { blocks: 65_536 }
  }), 'the proposer sent nothing')
  // every answer must go out within the message timeout: a proposer that stops reading them held
  // the transfer, its room and its owner's slot for as long as its connection stayed up (a review)
  const reply = async (res: Partial<ReplicateResponse>): Promise<void> => {
    await withDeadline(options.messageTimeout, async (signal) => {
      await pbs.write({ status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), free: 0, message: '', ...res }, ReplicateResponse, { signal })
    }, 'the proposer took no answer')
  }
  const kept = await refusalOf(connection, options)
  if (kept != null) {
    log('refusing a replicate stream from %p: %s', connection.remotePeer, kept)
    // its OFFER is not even read: nothing an outsider sends is looked at
    if (stream.status === 'open') await reply({ status: ReplicateResponse.Status.FORBIDDEN, message: kept })
    // what it sent while it waited goes unread
    if (stream.readStatus === 'paused') await stream.closeRead().catch(() => {})
    return
  }
  // the offer counts against the node's budget until it is read whole: after it, one transfer per owner
  const metered = options.offers?.meter(stream)
  // metered first: what waited while the stream was paused counts too
  if (stream.readStatus === 'paused') stream.resume()
  let offer: ReplicateRequest
  try {
    offer = await read()
  } finally {
    metered?.release()
  }
  const owner = connection.remotePeer.toString()
  if (offer.type !== ReplicateRequest.Type.OFFER) {
    await reply({ status: ReplicateResponse.Status.INVALID, message: 'expected OFFER' })
    return
  }
  const chainId = offer.chainId
  if (chainId !== owner || chainId === libp2p.peerId.toString()) {
    // only a vehicle may push its own chain, and nobody may overwrite ours
    await reply({ status: ReplicateResponse.Status.FORBIDDEN, message: `${owner} does not own chain ${chainId}` })
    return
  }
  const refused = options.owners?.begin(owner)
  if (refused != null) {
    await reply({ status: ReplicateResponse.Status.NO_CAPACITY, free: 0, message: refused })
    return
  }
  const outcome = { tooSlow: false }
  try {
    await components.onOffer?.(chainId, offer.epoch)
    const held = await store.info(chainId)
    // what we already hold of it is not new duty (a reset reserves its room again, see receive)
    const needed = Math.max(0, offer.bytes - (held?.bytes ?? 0))
    let admission = await reservations.reserve(needed)
    if (!('reservation' in admission) && components.makeRoom != null) {
      // room for transfers in flight too: what they reserved is still to be written
      await components.makeRoom(needed + reservations.reserved, chainId)
      admission = await reservations.reserve(needed)
    }
    if (!('reservation' in admission)) {
      await reply({ status: ReplicateResponse.Status.NO_CAPACITY, free: admission.free, message: `chain needs ${offer.bytes} bytes` })
      return
    }
    const { reservation, free } = admission
    // only now: an offer refused above must not make the owner's pending release of this copy stale
    try {
      await components.onAccepted?.(chainId, offer.epoch)
    } catch (err) {
      reservation.release()
      throw err
    }
    const refuse = async (err: Error): Promise<void> => {
      // the transfer is over: nothing more is appended, and the proposer may not say so before our read times out
      reservation.release()
      const invalid = err.name === 'InvalidBlockError'
      // else this node failed to store good blocks (a full disk, say): the proposer hears why and picks another backup
      if (invalid) log('rejected blocks of %s from %p: %s', chainId, connection.remotePeer, err.message)
      else log.error('could not store blocks of %s from %p: %s', chainId, connection.remotePeer, err.message)
      try {
        if (stream.status !== 'open') throw err
        await reply(invalid
          ? { status: ReplicateResponse.Status.INVALID, message: err.message }
          : { status: ReplicateResponse.Status.ERROR, message: `could not store the copy: ${err.message}` })
      } catch (cause) {
        // a stream that cannot carry that (the proposer takes no answer) is ended
        stream.abort(cause as Error)
      }
    }
    const ack = async (now: ChainTip): Promise<void> => {
      try {
        await reply({ height: now.height, tipHash: now.hash as Uint8Array<ArrayBuffer> })
      } catch (err) {
        // an acknowledgement that did not go out in time may still be queued: the stream can say nothing more
        stream.abort(err as Error)
        throw err
      }
    }
    const appender = new Appender(store, chainId, ack, refuse, (bytes) => { reservation.written(bytes) }, options.messageTimeout)
    // A copy retention pruned (it was temporary: no table named us active) cannot back the chain: the
    // blocks after its tip would not bring back the payloads before it, and an active backup that lacks
    // them answers reads of those keys with nothing. It is taken again whole, replacing it as a reset does.
    // (Not while the owner is behind the copy: its blocks past the owner's tip may be the only ones left, see holding.)
    // read again: until onAccepted recorded the offer, a retention run could take the copy for temporary and prune it
    const current = await store.info(chainId)
    const whole = current != null && current.prunedBlocks > 0 && offer.height >= current.height
    if (whole) log('copy of %s has %d pruned blocks: taking it again whole', chainId, current.prunedBlocks)
    try {
      const tip = whole ? emptyTip(chainId) : await holding(store, chainId, offer)
      await reply({ height: tip.height, tipHash: tip.hash as Uint8Array<ArrayBuffer>, free })
      await receive({ chainId, owner, components, options, read, reply, reservation, appender, replaces: whole, outcome })
    } catch (err) {
      // ends any ack write the appender is blocked on, so waiting for it below cannot hang
      stream.abort(err as Error)
      throw err
    } finally {
      // frames being appended keep their room until the store counts them
      await appender.drained()
      reservation.release()
    }
  } finally {
    options.owners?.end(owner, outcome.tooSlow)
  }
}

/**
 * What we hold of the chain, as the owner should hear it: our tip, or the
 * owner's tip itself when our copy holds that block and more. An owner
 * behind its backup (its store lost blocks it had not synced, or it is
 * getting its chain back from its backups) offers a shorter chain of the
 * same blocks: told our longer tip, it took the copy for diverged and had
 * us drop it, leaving acknowledged blocks on the owner alone meanwhile.
 */
async function holding (store: ChainStore, chainId: string, theirs: { height: number, tipHash: Uint8Array }): Promise<ChainTip> {
  const tip = await store.tip(chainId)
  if (tip.height <= theirs.height || theirs.height === 0) return tip
  for await (const { block } of store.headers(chainId, { from: theirs.height, to: theirs.height })) {
    if (bytesEqual(block.hash, theirs.tipHash)) return { chainId, height: theirs.height, hash: block.hash }
  }
  return tip
}

interface Transfer {
  chainId: string
  owner: string
  components: ReplicateComponents
  options: ServeOptions
  read: () => Promise<ReplicateRequest>
  reply: (res: Partial<ReplicateResponse>) => Promise<void>
  reservation: Reservation
  appender: Appender
  /** The first frame replaces the copy held, as a reset (a pruned copy taken again whole). */
  replaces: boolean
  /** Set when the transfer is given up for bringing too little (the progress floor). */
  outcome: { tooSlow: boolean }
}

/** BLOCKS frames until DONE, each taking its room from the transfer's reservation. */
async function receive (t: Transfer): Promise<void> {
  const { chainId, read, reply, reservation, appender } = t
  const { store } = t.components
  const { log } = t.options
  let first = true
  // blocks above the highest one sent so far are new; a block sent again (or below) moves nothing
  let highest = 0
  const progress = new ProgressFloor(t.options.progressBytes, t.options.messageTimeout, (bytes, waited) =>
    new TimeoutError(`${t.owner} sent ${bytes} bytes of new blocks of ${chainId} in ${waited} ms of waiting (at least ${t.options.progressBytes} per ${t.options.messageTimeout} ms): the transfer is given up`))
  while (true) {
    const req = await progress.wait(read, () => appender.busyMs)
    // a failed append was answered already; the proposer stops after reading it
    if (appender.failure != null) return
    if (req.chainId !== chainId) throw new InvalidMessageError('chain id changed mid-transfer')
    if (req.type === ReplicateRequest.Type.DONE) {
      await appender.idle()
      if (appender.failure != null) return
      const now = await holding(store, chainId, req)
      if (now.height !== req.height || !bytesEqual(now.hash, req.tipHash)) {
        await reply({ status: ReplicateResponse.Status.INVALID, height: now.height, tipHash: now.hash as Uint8Array<ArrayBuffer>, message: 'tip does not match DONE' })
        return
      }
      // the frames were appended without sync: durable now, before anyone is told so
      await store.flush(chainId)
      await t.components.onStored(chainId, now)
      await reply({ height: now.height, tipHash: now.hash as Uint8Array<ArrayBuffer> })
      return
    }
    if (req.type !== ReplicateRequest.Type.BLOCKS) throw new InvalidMessageError('expected BLOCKS or DONE')
    let blocks: Block[]
    try {
      blocks = req.blocks.map(decodeBlock)
      if (blocks.length === 0) throw new InvalidMessageError('empty BLOCKS frame')
      if (blocks.some(b => b.header.chainId !== chainId)) throw new InvalidMessageError('block of another chain')
    } catch (err) {
      await appender.idle()
      await reply({ status: ReplicateResponse.Status.INVALID, message: (err as Error).message })
      return
    }
    const reset = first && (req.reset || t.replaces)
    if (reset) {
      // the copy is dropped for this frame: it must start a chain the store will take, or the copy would go for nothing
      try {
        let prev = emptyTip(chainId)
        for (const b of blocks) {
          verifyBlock(b, prev)
          prev = tipOf(b)
        }
      } catch (err) {
        log('refused a reset of %s from %s: %s', chainId, t.owner, (err as Error).message)
        await appender.idle()
        await reply({ status: ReplicateResponse.Status.INVALID, message: (err as Error).message })
        return
      }
    }
    // the copy dropped below frees its room for this transfer: reserved before it is freed, so no other offer takes it
    if (reset) reservation.grow((await store.info(chainId))?.bytes ?? 0)
    const frameBytes = blocks.reduce((n, b) => n + blockBytes(b), 0)
    // frames decoded and not yet acknowledged stay within the largest window a proposer may have
    // unacknowledged, this one included: one that sends past its window is not read meanwhile (its
    // stream is reset once the reader's buffer is full). A backup queued every frame sent as it
    // arrived: 48 MiB held for a proposer that ignored its window, against a slow disk (a review).
    // Counted as sent, which is at most what the proposer's window counts: an honest one never waits here
    const received = req.blocks.reduce((n, b) => n + b.byteLength, 0)
    await appender.below(Math.max(0, MAX_WINDOW_BYTES - received))
    if (appender.failure != null) return
    if (!await reservation.claim(frameBytes)) {
      await appender.idle()
      await reply({ status: ReplicateResponse.Status.NO_CAPACITY, free: await t.options.reservations.unreserved(), message: 'transfer exceeds free capacity' })
      return
    }
    if (reset) {
      log('owner %s reset its chain copy', t.owner)
      // the blocks are replaced, not what a user asked this node to keep of the chain
      await store.deleteChain(chainId, { keepPins: true })
    }
    first = false
    appender.push(blocks, frameBytes, received)
    for (const b of blocks) {
      if (b.header.height <= highest) continue
      highest = b.header.height
      progress.moved(blockBytes(b))
    }
    try {
      progress.check()
    } catch (err) {
      t.outcome.tooSlow = true
      throw err
    }
  }
}
