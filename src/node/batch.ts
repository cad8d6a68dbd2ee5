/**
 * A Paxos DATA value on a vguard chain is a Batch (see
 * src/protocols/paxos/pb/paxos.proto): the concatenated transaction payloads
 * of the writes it carries, plus what the block header takes from the
 * proposer. Every replica turns a decided batch into the same block: height
 * and previous hash from the chain it has applied so far, booth from the
 * slot, the rest from the batch. A batch that does not decode (only a broken
 * leader could decide one) yields no block — on every replica alike.
 */
import { createBlockFromPayload, encodePayload, InvalidTransactionError, MAX_TXS_PER_BLOCK, varintLength, writeVarint } from '../chain/index.ts'
import type { Block, ChainTip, TransactionInput } from '../chain/index.ts'
import type { Ballot } from '../consensus/index.ts'
import { Batch } from '../protocols/paxos/index.ts'

/** One write (one append call): its transactions in canonical payload form. */
export interface EncodedWrite {
  payload: Uint8Array
  count: number
  /** Who handed it to the proposer and the id its every attempt carries (see WriteRef in paxos.proto). */
  ref?: WriteRef
}

/** A write's identity across attempts: the node that sent it ('' for a keyed write) and its write id. */
export interface WriteRef {
  from: string
  id: Uint8Array
  /** A keyed write's carrier: whose share of the write memory its id counts against (see memoryOwner). */
  carrier?: string
}

/**
 * Validates and encodes one write. A payload is a sequence of length-framed
 * transactions, so payloads of several writes concatenate into the payload
 * of one block.
 *
 * @throws InvalidTransactionError
 */
export function encodeWrite (transactions: TransactionInput[]): EncodedWrite {
  if (!Array.isArray(transactions)) throw new InvalidTransactionError(`a write is a list of transactions ([{ key, value }]), got ${transactions === null ? 'null' : typeof transactions}`)
  if (transactions.length === 0) throw new InvalidTransactionError('a write needs at least one transaction')
  const { payload } = encodePayload(transactions)
  return { payload, count: transactions.length }
}

export interface BatchInit {
  proposer: string
  ballot: Ballot
  timestamp: number
  payloads: Uint8Array[]
  /** The ids of the writes whose payloads these are, where they have one. */
  writes?: WriteRef[]
}

/** Batch field 4 (payload), length-delimited. */
const PAYLOAD_TAG = (4 << 3) | 2

/**
 * Batch.encode's bytes, with the writes' payloads copied once, straight into
 * place: concatenating them and letting protons encode the result copied a
 * block's payload (up to 4 MiB) three times on the leader's hot path. Fields
 * 1-3 come from protons; the payload, field 4, follows them, as protons writes
 * it; then field 5 (the write ids), from protons again: a protobuf message
 * encoded in parts and concatenated decodes as the whole.
 */
export function encodeBatch (init: BatchInit): Uint8Array {
  const head = Batch.encode({
    proposer: init.proposer,
    ballot: { round: init.ballot.round, proposer: init.ballot.proposer },
    timestamp: init.timestamp,
    payload: new Uint8Array(0)
  })
  const tail = init.writes != null && init.writes.length > 0
    ? Batch.encode({ writes: init.writes.map(w => ({ from: w.from, id: w.id as Uint8Array<ArrayBuffer>, carrier: w.carrier ?? '' })) })
    : new Uint8Array(0)
  let length = 0
  for (const p of init.payloads) length += p.byteLength
  const payloadField = length === 0 ? 0 : 1 + varintLength(length) + length
  const out = new Uint8Array(head.byteLength + payloadField + tail.byteLength)
  out.set(head)
  let pos = head.byteLength
  if (length > 0) {
    out[pos] = PAYLOAD_TAG
    pos = writeVarint(out, pos + 1, length)
    for (const p of init.payloads) {
      out.set(p, pos)
      pos += p.byteLength
    }
  }
  out.set(tail, pos)
  return out
}

/** The block a decided batch makes on top of `prev`, or undefined if the batch is malformed. */
export function blockOfBatch (data: Uint8Array, prev: ChainTip, booth: string[]): Block | undefined {
  return decodeBatch(data, prev, booth)?.block
}

/** The block a decided batch makes on top of `prev` and the ids of its writes, or undefined if the batch is malformed. */
export function decodeBatch (data: Uint8Array, prev: ChainTip, booth: string[]): { block: Block, writes: WriteRef[] } | undefined {
  try {
    // at most one id per write, and a block holds at most MAX_TXS_PER_BLOCK transactions
    const batch = Batch.decode(data, { limits: { writes: MAX_TXS_PER_BLOCK } })
    if (batch.payload.byteLength === 0) return undefined
    // the batch carries its writes in canonical payload form: the block is built from it as it is
    const block = createBlockFromPayload({
      prev,
      proposer: batch.proposer,
      booth,
      ballot: batch.ballot,
      timestamp: batch.timestamp,
      payload: batch.payload
    })
    return { block, writes: batch.writes }
  } catch {
    return undefined
  }
}
