/**
 * A Paxos DATA value on a vguard chain is a Batch (see
 * src/protocols/paxos/pb/paxos.proto): the concatenated transaction payloads
 * of the writes it carries, plus what the block header takes from the
 * proposer. Every replica turns a decided batch into the same block: height
 * and previous hash from the chain it has applied so far, booth from the
 * slot, the rest from the batch. A batch that does not decode (only a broken
 * leader could decide one) yields no block — on every replica alike.
 */
import { createBlockFromPayload, encodePayload, InvalidTransactionError, varintLength, writeVarint } from '../chain/index.ts'
import type { Block, ChainTip, TransactionInput } from '../chain/index.ts'
import type { Ballot } from '../consensus/index.ts'
import { Batch } from '../protocols/paxos/index.ts'

/** One write (one append call): its transactions in canonical payload form. */
export interface EncodedWrite {
  payload: Uint8Array
  count: number
}

/**
 * Validates and encodes one write. A payload is a sequence of length-framed
 * transactions, so payloads of several writes concatenate into the payload
 * of one block.
 *
 * @throws InvalidTransactionError
 */
export function encodeWrite (transactions: TransactionInput[]): EncodedWrite {
  if (!Array.isArray(transactions) || transactions.length === 0) throw new InvalidTransactionError('a write needs at least one transaction')
  const { payload } = encodePayload(transactions)
  return { payload, count: transactions.length }
}

export interface BatchInit {
  proposer: string
  ballot: Ballot
  timestamp: number
  payloads: Uint8Array[]
}

/** Batch field 4 (payload), length-delimited. */
const PAYLOAD_TAG = (4 << 3) | 2

/**
 * Batch.encode's bytes, with the writes' payloads copied once, straight into
 * place: concatenating them and letting protons encode the result copied a
 * block's payload (up to 4 MiB) three times on the leader's hot path. Fields
 * 1-3 come from protons; the payload, field 4, follows them, as protons writes it.
 */
export function encodeBatch (init: BatchInit): Uint8Array {
  const head = Batch.encode({
    proposer: init.proposer,
    ballot: { round: init.ballot.round, proposer: init.ballot.proposer },
    timestamp: init.timestamp,
    payload: new Uint8Array(0)
  })
  let length = 0
  for (const p of init.payloads) length += p.byteLength
  if (length === 0) return head
  const out = new Uint8Array(head.byteLength + 1 + varintLength(length) + length)
  out.set(head)
  out[head.byteLength] = PAYLOAD_TAG
  let pos = writeVarint(out, head.byteLength + 1, length)
  for (const p of init.payloads) {
    out.set(p, pos)
    pos += p.byteLength
  }
  return out
}

/** The block a decided batch makes on top of `prev`, or undefined if the batch is malformed. */
export function blockOfBatch (data: Uint8Array, prev: ChainTip, booth: string[]): Block | undefined {
  try {
    const batch = Batch.decode(data)
    if (batch.payload.byteLength === 0) return undefined
    // the batch carries its writes in canonical payload form: the block is built from it as it is
    return createBlockFromPayload({
      prev,
      proposer: batch.proposer,
      booth,
      ballot: batch.ballot,
      timestamp: batch.timestamp,
      payload: batch.payload
    })
  } catch {
    return undefined
  }
}
