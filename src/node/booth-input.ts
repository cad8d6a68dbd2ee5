/**
 * What VGuard hands over at the end of a booth (`node.endOfBooth`, `POST
 * /booth/end`), and the checks that turn it into the participants and
 * transactions of one block, or refuse it whole with InvalidBoothError.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_BOOTH_SIZE, isDetached } from '../chain/index.ts'
import type { TransactionInput } from '../chain/index.ts'

/** Participants an end of booth (and a gossiped booth result) names at most. */
export const MAX_PARTICIPANTS = 64

/** The block VGuard's own consensus agreed on, handed to us at the end of its booth. */
export interface EndOfBoothInput {
  /** Peer ids of the booth's participants (not necessarily including this node). */
  participants: string[]
  transactions: Array<{ key: string, value?: Uint8Array, delete?: boolean }>
  /**
   * ms the block may take to commit once this node's own chain runs
   * consensus (after its first `put`/`append`), as a write's `timeout`:
   * CommitTimeoutError past it. @default the node's commitTimeout
   */
  timeout?: number
  /**
   * Makes a retry safe, as a write's: the same key with the same
   * transactions appends one block for 10 minutes (also across a restart);
   * a retry is answered with that block's height and runs a replication
   * round again. 1–128 printable ASCII characters.
   */
  idempotencyKey?: string
}

/** Invalid input to endOfBooth (HTTP 400). */
export class InvalidBoothError extends Error {
  static name = 'InvalidBoothError'
  constructor (message = 'Invalid booth') {
    super(message)
    this.name = 'InvalidBoothError'
  }
}

/** An end of booth as checkBoothInput leaves it: the participants in their usual form, the values copied. */
export interface CheckedBooth {
  participants: string[]
  transactions: TransactionInput[]
}

/**
 * What VGuard hands over at the end of a booth, checked (a bad booth appends
 * nothing and releases no one) and as the transactions of one block.
 *
 * @throws InvalidBoothError
 */
export function checkBoothInput (input: EndOfBoothInput, self: string, allowedPeers?: readonly string[]): CheckedBooth {
  if (input == null || typeof input !== 'object') throw new InvalidBoothError('an object { participants, transactions } is required')
  // a typo (timout) would else be dropped, and the default taken: HTTP refuses unknown fields too
  const unknownField = Object.keys(input).find(field => field !== 'participants' && field !== 'transactions' && field !== 'timeout' && field !== 'idempotencyKey')
  if (unknownField != null) throw new InvalidBoothError(`unknown field ${JSON.stringify(unknownField)} (an end of booth is { participants, transactions, timeout?, idempotencyKey? })`)
  const participants = checkParticipants(input.participants, self)
  // a vehicle the network does not admit would be bound into the block's booth for good, and could never back it up
  const outsiders = allowedPeers == null ? [] : participants.filter(p => !allowedPeers.includes(p))
  if (outsiders.length > 0) throw new InvalidBoothError(`participants: not allowed in this network (allowedPeers): ${outsiders.join(', ')}`)
  if (!Array.isArray(input.transactions) || input.transactions.length === 0) throw new InvalidBoothError('at least one transaction')
  const transactions: TransactionInput[] = input.transactions.map((tx, i) => {
    if (tx == null || typeof tx !== 'object') throw new InvalidBoothError(`transaction ${i}: must be an object { key, value } or { key, delete: true }`)
    // a field of another shape (append's { op: 'DELETE' }) would else be dropped, and a delete stored as an empty value
    const unknown = Object.keys(tx).find(field => field !== 'key' && field !== 'value' && field !== 'delete')
    if (unknown != null) throw new InvalidBoothError(`transaction ${i}: unknown field ${JSON.stringify(unknown)} (a transaction is { key, value } or { key, delete: true })`)
    if (tx.delete !== undefined && typeof tx.delete !== 'boolean') throw new InvalidBoothError(`transaction ${i}: delete is true or false`)
    if (tx.delete === true && tx.value !== undefined) throw new InvalidBoothError(`transaction ${i}: a delete carries no value`)
    // left out, a value is empty; null is refused by the payload's checks, as is a detached buffer (its slice was a
    // TypeError from inside: a probe, 2026-12-03). A copy: the block is built after awaits, and a buffer the caller
    // reused meanwhile went into it (a review)
    const value = tx.value === undefined ? new Uint8Array(0) : tx.value instanceof Uint8Array && !isDetached(tx.value) ? tx.value.slice() : tx.value
    return tx.delete === true ? { op: 'DELETE', key: tx.key } : { op: 'PUT', key: tx.key, value }
  })
  return { participants, transactions }
}

/**
 * The participants of a booth VGuard ended: peer ids in their usual form,
 * deduplicated, this proposer left out (at least one other), few enough that the booth (with
 * this proposer) fits in a block header.
 *
 * @throws InvalidBoothError
 */
export function checkParticipants (participants: unknown, self: string): string[] {
  if (!Array.isArray(participants) || participants.length === 0) throw new InvalidBoothError('participants: a non-empty list of peer ids')
  if (participants.length > MAX_PARTICIPANTS) throw new InvalidBoothError(`participants: at most ${MAX_PARTICIPANTS}`)
  const seen = new Set<string>()
  for (const p of participants) {
    if (typeof p !== 'string') throw new InvalidBoothError('participants: peer ids are strings')
    let id: string
    try {
      // the usual form (12D3KooW…), the one tables, booths and connections name peers by: a
      // participant given as a CID (bafz…) was kept as sent, could be this proposer, could be
      // counted twice, and went into the block's booth and its backup table unreachable
      id = peerIdFromString(p).toString()
    } catch {
      throw new InvalidBoothError(`participants: not a peer id: ${p}`)
    }
    seen.add(id)
  }
  seen.delete(self)
  // this proposer alone: no one took part to back its chain up (and [] is refused alike)
  if (seen.size === 0) throw new InvalidBoothError('participants: at least one vehicle other than this one')
  if (seen.size + 1 > MAX_BOOTH_SIZE) throw new InvalidBoothError(`participants: a booth holds at most ${MAX_BOOTH_SIZE} vehicles, this proposer included`)
  return [...seen]
}
