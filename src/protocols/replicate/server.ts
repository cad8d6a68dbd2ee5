/**
 * The backup side of /vguard/replicate/1.0.0. Frames are read, decoded and
 * checked while earlier frames are still being appended: an appender takes
 * every frame queued so far into one store batch (the disk write runs on
 * libuv's pool while the next frames are decoded here), then acknowledges
 * each of them in order.
 */
import { pbStream } from '@libp2p/utils'
import type { Connection, Logger, Stream } from '@libp2p/interface'
import { bytesEqual, decodeBlock, InvalidBlockError } from '../../chain/index.ts'
import type { Block, ChainTip } from '../../chain/index.ts'
import type { ChainStore } from '../../storage/index.ts'
import { InvalidMessageError } from '../errors.ts'
import { ReplicateRequest, ReplicateResponse } from './pb/replicate.ts'
import type { ReplicateComponents } from './replicate.ts'
import { MAX_WINDOW_BYTES } from './constants.ts'

export interface ServeOptions {
  maxMessageBytes: number
  messageTimeout: number
  log: Logger
}

/**
 * Appends the blocks that extend our tip. Blocks we already hold (a reconcile
 * from the proposer may run beside this transfer) are skipped if their hash
 * matches ours; a different block at a held height is a diverged copy and
 * fails as InvalidBlockError.
 */
export async function appendFresh (store: ChainStore, chainId: string, blocks: Block[]): Promise<ChainTip> {
  for (let attempt = 0; ; attempt++) {
    const tip = await store.tip(chainId)
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
      // another writer appended in between: look again, once
      if ((err as { reason?: string }).reason !== 'WrongHeight' || attempt > 0) throw err
    }
  }
}

/** Appends queued frames in merged batches and acknowledges each frame, in order. */
class Appender {
  private queue: Block[][] = []
  private running?: Promise<void>
  failure?: Error

  constructor (
    private readonly store: ChainStore,
    private readonly chainId: string,
    private readonly ack: (tip: ChainTip) => Promise<void>,
    /** Told at once, so the proposer learns of a bad block without waiting for a timeout. */
    private readonly fail: (err: Error) => Promise<void>
  ) {}

  push (blocks: Block[]): void {
    this.queue.push(blocks)
    this.running ??= this.drain().finally(() => { this.running = undefined })
  }

  /** Resolves once every queued frame is appended (or the first failure). */
  async idle (): Promise<void> {
    while (this.running != null) await this.running
  }

  private async drain (): Promise<void> {
    while (this.queue.length > 0 && this.failure == null) {
      const frames = this.queue
      this.queue = []
      try {
        const tip = await appendFresh(this.store, this.chainId, frames.flat())
        for (let i = 0; i < frames.length; i++) await this.ack(tip)
      } catch (err) {
        this.failure = err as Error
        await this.fail(this.failure).catch(() => {})
      }
    }
  }
}

export async function serveReplicate (stream: Stream, connection: Connection, components: ReplicateComponents, options: ServeOptions): Promise<void> {
  const { store, libp2p } = components
  const { log } = options
  // room for every frame a proposer may have unacknowledged (its window), plus the one being read
  const pbs = pbStream(stream, { maxDataLength: options.maxMessageBytes, maxBufferSize: MAX_WINDOW_BYTES + 2 * options.maxMessageBytes })
  const read = async (): Promise<ReplicateRequest> => await pbs.read(ReplicateRequest, {
    signal: AbortSignal.timeout(options.messageTimeout),
    limits: { blocks: 65_536 }
  })
  const reply = async (res: Partial<ReplicateResponse>): Promise<void> => {
    await pbs.write({ status: ReplicateResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), free: 0, message: '', ...res }, ReplicateResponse)
  }
  const offer = await read()
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
  components.onOffer?.(chainId, offer.epoch)
  const held = await store.info(chainId)
  const free = await components.freeCapacity()
  // what we already hold of it is not new duty
  let allowance = free + (held?.bytes ?? 0)
  if (offer.bytes > allowance) {
    await reply({ status: ReplicateResponse.Status.NO_CAPACITY, free, message: `chain needs ${offer.bytes} bytes` })
    return
  }
  const tip = await store.tip(chainId)
  await reply({ height: tip.height, tipHash: tip.hash as Uint8Array<ArrayBuffer>, free })

  const refuse = async (err: Error): Promise<void> => {
    if (err.name !== 'InvalidBlockError') {
      stream.abort(err)
      return
    }
    log('rejected blocks of %s from %p: %s', chainId, connection.remotePeer, err.message)
    await reply({ status: ReplicateResponse.Status.INVALID, message: err.message })
  }
  const appender = new Appender(store, chainId, async (now) => { await reply({ height: now.height, tipHash: now.hash as Uint8Array<ArrayBuffer> }) }, refuse)
  let first = true
  while (true) {
    const req = await read()
    // a failed append was answered already; the proposer stops after reading it
    if (appender.failure != null) return
    if (req.chainId !== chainId) throw new InvalidMessageError('chain id changed mid-transfer')
    if (req.type === ReplicateRequest.Type.DONE) {
      await appender.idle()
      if (appender.failure != null) return
      const now = await store.tip(chainId)
      if (now.height !== req.height || !bytesEqual(now.hash, req.tipHash)) {
        await reply({ status: ReplicateResponse.Status.INVALID, height: now.height, tipHash: now.hash as Uint8Array<ArrayBuffer>, message: 'tip does not match DONE' })
        return
      }
      await components.onStored(chainId, now)
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
    const frameBytes = blocks.reduce((n, b) => n + b.headerBytes.byteLength + (b.payload?.byteLength ?? 0), 0)
    if (frameBytes > allowance) {
      await appender.idle()
      await reply({ status: ReplicateResponse.Status.NO_CAPACITY, free, message: 'transfer exceeds free capacity' })
      return
    }
    allowance -= frameBytes
    if (first && req.reset) {
      log('owner %s reset its chain copy', owner)
      await store.deleteChain(chainId)
    }
    first = false
    appender.push(blocks)
  }
}
