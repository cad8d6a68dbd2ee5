/**
 * A Paxos DATA value on a vguard chain is a Batch (see
 * src/protocols/paxos/pb/paxos.proto): the concatenated transaction payloads
 * of the writes it carries, plus what the block header takes from the
 * proposer. Every replica turns a decided batch into the same block: height
 * and previous hash from the chain it has applied so far, booth from the
 * slot, the rest from the batch. A batch that does not decode (only a broken
 * leader could decide one) yields no block — on every replica alike.
 */
import { createBlock, decodeTransactions, encodePayload, InvalidTransactionError } from '../chain/index.ts'
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

export function encodeBatch (init: BatchInit): Uint8Array {
  let length = 0
  for (const p of init.payloads) length += p.byteLength
  const payload = new Uint8Array(length)
  let pos = 0
  for (const p of init.payloads) {
    payload.set(p, pos)
    pos += p.byteLength
  }
  return Batch.encode({
    proposer: init.proposer,
    ballot: { round: init.ballot.round, proposer: init.ballot.proposer },
    timestamp: init.timestamp,
    payload: payload as Uint8Array<ArrayBuffer>
  })
}

/** The block a decided batch makes on top of `prev`, or undefined if the batch is malformed. */
export function blockOfBatch (data: Uint8Array, prev: ChainTip, booth: string[]): Block | undefined {
  try {
    const batch = Batch.decode(data)
    const transactions = decodeTransactions(batch.payload)
    if (transactions.length === 0) return undefined
    return createBlock({
      prev,
      proposer: batch.proposer,
      booth,
      ballot: batch.ballot,
      timestamp: batch.timestamp,
      transactions
    })
  } catch {
    return undefined
  }
}
