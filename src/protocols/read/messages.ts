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
