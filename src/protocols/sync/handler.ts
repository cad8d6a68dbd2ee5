/**
 * The responder side: answers one TIP or BLOCKS request per stream.
 *
 * BLOCKS answers are frames of whole blocks (about frameBytes each, always at
 * least one block), sent only while the requester has granted credit; at zero
 * credit we wait (with the per-message timeout) for its CREDIT message. The
 * store's range iterator streams from disk, so a long chain is never loaded
 * whole. A request for headers gets the same frames without payloads (pruned
 * ones included: a header is all it asks for).
 */
import type { Logger } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import { encodeBlock } from '../../chain/index.ts'
import type { ChainStore, RangeOptions, StoredRecord } from '../../storage/index.ts'
import { ProtocolError } from '../errors.ts'
import { SyncRequest, SyncResponse, blocksFrame, decodeRequest, framedSize, requestProblem, response } from './messages.ts'
import { MAX_BLOCKS_PER_FRAME, MAX_WINDOW_BYTES } from './constants.ts'

export interface ServeOptions {
  store: ChainStore
  timeout: number
  frameBytes: number
  log: Logger
}

/** A fresh per-message timeout signal (reset for every message). */
function timeout (ms: number): AbortSignal {
  return AbortSignal.timeout(ms)
}

export async function serve (lp: LengthPrefixedStream, options: ServeOptions): Promise<void> {
  const { store, log } = options
  const req = decodeRequest(await lp.read({ signal: timeout(options.timeout) }))
  const problem = requestProblem(req)
  if (problem != null) {
    log('bad request: %s', problem)
    await lp.write(response({ status: SyncResponse.Status.BAD_REQUEST, message: problem, done: true }), { signal: timeout(options.timeout) })
    return
  }
  const info = await store.info(req.chainId)
  if (info == null) {
    await lp.write(response({ status: SyncResponse.Status.NOT_FOUND, message: `chain ${req.chainId} not held`, done: true }), { signal: timeout(options.timeout) })
    return
  }
  if (req.type === SyncRequest.Type.TIP) {
    await lp.write(response({ height: info.height, tipHash: info.tipHash as Uint8Array<ArrayBuffer>, done: true }), { signal: timeout(options.timeout) })
    return
  }
  await serveBlocks(lp, req, options)
}

async function serveBlocks (lp: LengthPrefixedStream, req: SyncRequest, options: ServeOptions): Promise<void> {
  const { store, log } = options
  let credit = Math.min(req.credit, MAX_WINDOW_BYTES)
  let frame: Uint8Array[] = []
  let frameSize = 0
  let sent = 0

  const send = async (bytes: Uint8Array): Promise<void> => {
    // no credit left: wait for the requester to consume what it has
    while (credit <= 0) {
      const msg = decodeRequest(await lp.read({ signal: timeout(options.timeout) }))
      if (msg.type !== SyncRequest.Type.CREDIT || !Number.isSafeInteger(msg.credit) || msg.credit < 1) {
        throw new ProtocolError('expected a CREDIT message')
      }
      credit = Math.min(credit + msg.credit, MAX_WINDOW_BYTES)
    }
    credit -= bytes.byteLength
    await lp.write(bytes, { signal: timeout(options.timeout) })
  }
  const flush = async (): Promise<void> => {
    if (frame.length === 0) return
    await send(blocksFrame(frame, frameSize))
    sent += frame.length
    frame = []
    frameSize = 0
  }

  const to = req.to === 0 ? undefined : req.to
  const range = { from: req.from, to }
  // stored records are sent as they are: no decoding, no re-encoding
  const records = req.headers ? headerRecords(store, req.chainId, range) : store.records(req.chainId, range)
  for await (const { height, record, pruned } of records) {
    if (pruned) {
      // we pruned it: the requester cannot verify or apply a block without payload
      await flush()
      const info = await store.info(req.chainId)
      await send(response({ status: SyncResponse.Status.PRUNED, height: info?.height ?? 0, tipHash: info?.tipHash as Uint8Array<ArrayBuffer>, message: `payload of block ${height} pruned`, done: true }))
      log('served %d blocks of %s, stopped at pruned block %d', sent, req.chainId, height)
      return
    }
    const size = framedSize(record)
    if (frame.length > 0 && (frameSize + size > options.frameBytes || frame.length >= MAX_BLOCKS_PER_FRAME)) await flush()
    frame.push(record)
    frameSize += size
  }
  await flush()
  const info = await store.info(req.chainId)
  await send(response({ height: info?.height ?? 0, tipHash: info?.tipHash as Uint8Array<ArrayBuffer>, done: true }))
  log.trace('served %d blocks of %s from %d', sent, req.chainId, req.from)
}

/** Headers as records without payload (a SyncBlock with only its header). */
async function * headerRecords (store: ChainStore, chainId: string, range: RangeOptions): AsyncGenerator<StoredRecord> {
  for await (const { block } of store.headers(chainId, range)) {
    yield { height: block.header.height, record: encodeBlock(block), pruned: false }
  }
}
