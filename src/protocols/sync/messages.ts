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
import { SyncRequest, SyncResponse } from './pb/sync.ts'
import { MAX_BLOCKS_PER_FRAME } from './constants.ts'

export { SyncRequest, SyncResponse }

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>
const utf8 = new TextEncoder()

export function decodeRequest (bytes: Uint8Array | Uint8ArrayList): SyncRequest {
  try {
    return SyncRequest.decode(bytes)
  } catch (err) {
    throw new MalformedMessageError(`malformed sync request: ${(err as Error).message}`)
  }
}

export function decodeResponse (bytes: Uint8Array | Uint8ArrayList): SyncResponse {
  try {
    return SyncResponse.decode(bytes, { limits: { blocks: MAX_BLOCKS_PER_FRAME } })
  } catch (err) {
    throw new MalformedMessageError(`malformed sync response: ${(err as Error).message}`)
  }
}

/** Why a request cannot be served, or undefined if it is well formed. */
export function requestProblem (req: SyncRequest): string | undefined {
  if (req.chainId === '' || utf8.encode(req.chainId).byteLength > MAX_CHAIN_ID_BYTES) return 'chainId empty or too long'
  if (req.type === SyncRequest.Type.BLOCKS) {
    if (!Number.isSafeInteger(req.from) || req.from < 1) return 'from must be ≥ 1'
    if (!Number.isSafeInteger(req.to) || (req.to !== 0 && req.to < req.from)) return 'to must be 0 or ≥ from'
    if (!Number.isSafeInteger(req.credit) || req.credit < 1) return 'credit must be ≥ 1'
  }
  if (req.type === SyncRequest.Type.CREDIT) return 'CREDIT outside a BLOCKS exchange'
  return undefined
}

export function request (fields: Partial<SyncRequest> & Pick<SyncRequest, 'type' | 'chainId'>): Uint8Array {
  return SyncRequest.encode({ from: 0, to: 0, credit: 0, headers: false, ...fields })
}

export function response (fields: Partial<SyncResponse>): Uint8Array {
  return SyncResponse.encode({ status: SyncResponse.Status.OK, height: 0, tipHash: EMPTY, blocks: [], done: false, message: '', ...fields })
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
