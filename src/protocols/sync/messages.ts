/**
 * Decoding and validation of sync messages. What does not decode becomes a
 * MalformedMessageError, as on every protocol; what decodes but makes no
 * sense an InvalidMessageError (of which MalformedMessageError is a kind).
 * The service never acts on a message that failed here.
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import { HASH_BYTES, MAX_CHAIN_ID_BYTES } from '../../chain/index.ts'
import { entrySize, writeEntry } from '../../storage/index.ts'
import { InvalidMessageError, MalformedMessageError } from '../errors.ts'
import { decoderOf } from '../stream.ts'
import { SyncRefusedError } from './errors.ts'
import type { AppliedWriteId } from './index.ts'
import { SyncRequest, SyncResponse, SyncWrite } from './pb/sync.ts'
import { MAX_BLOCKS_PER_FRAME, MAX_WRITES_PER_FRAME } from './constants.ts'

export { SyncRequest, SyncResponse, SyncWrite }

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>
/**
 * Characters of a responder's `message` kept (a peer's words, in errors, logs
 * and a reconcile's results; ours are one short line, a refusal's reason too).
 */
const MAX_MESSAGE_LENGTH = 512
const utf8 = new TextEncoder()

export function decodeRequest (bytes: Uint8Array | Uint8ArrayList): SyncRequest {
  try {
    return SyncRequest.decode(bytes)
  } catch (err) {
    throw new MalformedMessageError(`malformed sync request: ${(err as Error).message}`)
  }
}

const RESPONSE = decoderOf(SyncResponse, 'sync response', { message: MAX_MESSAGE_LENGTH })

/**
 * A responder's frame; its `message` escaped and bounded (peerText): until
 * 2026-12-03 it went raw into errors and logs (a refusal's reason was only
 * cut), ANSI escapes, forged log lines and bidi overrides with it.
 */
export function decodeResponse (bytes: Uint8Array | Uint8ArrayList): SyncResponse {
  return RESPONSE.decode(bytes, { limits: { blocks: MAX_BLOCKS_PER_FRAME, writes: MAX_WRITES_PER_FRAME } })
}

/** Why a request cannot be served, or undefined if it is well formed. */
export function requestProblem (req: SyncRequest): string | undefined {
  if (req.chainId === '' || utf8.encode(req.chainId).byteLength > MAX_CHAIN_ID_BYTES) return 'chainId empty or too long'
  if (req.type === SyncRequest.Type.BLOCKS) {
    if (!Number.isSafeInteger(req.from) || req.from < 1) return 'from must be ≥ 1'
    if (!Number.isSafeInteger(req.to) || (req.to !== 0 && req.to < req.from)) return 'to must be 0 or ≥ from'
    if (!Number.isSafeInteger(req.credit) || req.credit < 1) return 'credit must be ≥ 1'
  }
  if (req.type === SyncRequest.Type.WRITES) {
    if (!Number.isSafeInteger(req.from) || req.from < 1) return 'from must be ≥ 1'
    if (!Number.isSafeInteger(req.to) || req.to < req.from) return 'to must be ≥ from'
  }
  if (req.type === SyncRequest.Type.CREDIT) return 'CREDIT outside a BLOCKS exchange'
  return undefined
}

export function request (fields: Partial<SyncRequest> & Pick<SyncRequest, 'type' | 'chainId'>): Uint8Array {
  return SyncRequest.encode({ from: 0, to: 0, credit: 0, headers: false, ...fields })
}

export function response (fields: Partial<SyncResponse>): Uint8Array {
  return SyncResponse.encode({ status: SyncResponse.Status.OK, height: 0, tipHash: EMPTY, blocks: [], done: false, message: '', writes: [], refused: false, ...fields })
}

/** The whole answer to a peer refused before its request is read: an ERROR every version decodes, with the reason and whether it lasts (see sync.proto's `refused`, `lasting`). */
export function refusal (reason: string, lasting: boolean): Uint8Array {
  return response({ status: SyncResponse.Status.ERROR, refused: true, lasting, message: reason, done: true })
}

/** @throws SyncRefusedError if `res` says the responder refused the asker. */
export function checkRefused (res: SyncResponse, peer: string): void {
  if (!res.refused) return
  // escaped and of a sane length already (decodeResponse): it goes into logs and results
  const reason = res.message
  throw new SyncRefusedError(`${peer} refused to sync with this node: ${reason !== '' ? reason : 'no reason given'}`, reason, res.lasting)
}

/** The bytes a block record adds to a frame of blocks: one entry of SyncResponse.blocks, which is a stored entry's form. */
export function framedSize (record: Uint8Array): number {
  return entrySize(record.byteLength)
}

/**
 * A SyncResponse frame of blocks (status OK, not done) from BlockRecord
 * encodings: a SyncBlock has BlockRecord's fields, so each record is an
 * entry as the store writes them (ENTRY_TAG is field 4's tag). Filled into one
 * buffer of the exact size, without protons' intermediate writer.
 */
export function blocksFrame (records: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let pos = 0
  for (const record of records) pos = writeEntry(out, pos, record)
  return out
}

/** Checks the tip a response reports. */
export function checkReportedTip (res: SyncResponse): void {
  if (!Number.isSafeInteger(res.height) || res.height < 0) throw new InvalidMessageError('bad tip height')
  if (res.height > 0 && res.tipHash.byteLength !== HASH_BYTES) throw new InvalidMessageError('tip hash is not 32 bytes')
}

/** The longest write key: a writer's and a chain's id (each a chain id at most) and a 32-byte id in hex. */
const MAX_WRITE_KEY_BYTES = 2 * MAX_CHAIN_ID_BYTES + 2 + 64

/**
 * A write id of a WRITES answer for `chainId`, blocks `from`..`to`, as the
 * caller takes it (the shape only: whether its block is that height's in
 * the caller's copy is for the caller to check).
 */
export function checkedWriteId (w: SyncWrite, chainId: string, from: number, to: number): AppliedWriteId {
  const parts = w.key.split('\n')
  if (utf8.encode(w.key).byteLength > MAX_WRITE_KEY_BYTES || parts.length !== 3 || parts[1] !== chainId || !/^[0-9a-f]{2,64}$/.test(parts[2])) {
    throw new InvalidMessageError(`write ids of ${chainId}: a malformed key ${JSON.stringify(w.key.slice(0, 80))}`)
  }
  if (utf8.encode(w.owner).byteLength > MAX_CHAIN_ID_BYTES) throw new InvalidMessageError(`write ids of ${chainId}: an owner too long`)
  if (!Number.isSafeInteger(w.height) || w.height < from || w.height > to) throw new InvalidMessageError(`write ids of ${chainId}: height ${w.height} outside ${from}..${to}`)
  if (w.hash.byteLength !== HASH_BYTES) throw new InvalidMessageError(`write ids of ${chainId}: a block hash is not ${HASH_BYTES} bytes`)
  if (!Number.isSafeInteger(w.age) || w.age < 0) throw new InvalidMessageError(`write ids of ${chainId}: a bad age`)
  return { key: w.key, ...(w.owner !== '' ? { owner: w.owner } : {}), age: w.age, height: w.height, hash: w.hash }
}
