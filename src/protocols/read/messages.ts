/** Read messages whole: the fields not given hold their zero value, as in a decoded one. */
import { ReadRequest, ReadResponse } from './pb/read.ts'

export function readRequest (fields: Pick<ReadRequest, 'kind' | 'chainId'> & Partial<ReadRequest>): ReadRequest {
  return { key: '', height: 0, to: 0, leader: false, prefix: '', after: '', limit: 0, keysOnly: false, ...fields }
}

/** An answer: OK from a holder with no role to claim unless told otherwise. */
export function readResponse (fields: Partial<ReadResponse> = {}): ReadResponse {
  return {
    status: ReadResponse.Status.OK,
    role: ReadResponse.Role.HOLDER,
    height: 0,
    epoch: 0,
    value: new Uint8Array(0),
    valueHeight: 0,
    blocks: [],
    table: new Uint8Array(0),
    tipHash: new Uint8Array(0),
    message: '',
    leader: '',
    entries: [],
    more: false,
    ...fields
  }
}

/**
 * Why a key's answer contradicts itself, if it does: the block that wrote
 * the value lies at height 1 up to the chain height the same holder reports
 * (read.ts reports both as of one moment). A made-up value height was served
 * as fresh, and a quorum read took it for a newer version than the honest
 * holders had reached and failed every time (a review).
 */
export function valueHeightProblem (res: Pick<ReadResponse, 'valueHeight' | 'height'>): string | undefined {
  if (res.valueHeight >= 1 && res.valueHeight <= res.height) return undefined
  return `value written at height ${res.valueHeight} of a chain held up to ${res.height}`
}
