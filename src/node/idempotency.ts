/**
 * Idempotency keys (see idempotencyKeyProblem for their shape): a client's name for one write (HTTP `Idempotency-Key`,
 * `WriteOptions.idempotencyKey`). The same key with the same transactions on
 * the same chain is one write, whichever node it is sent to and however
 * often, for as long as proposers remember write ids (WRITE_MEMORY): a retry
 * gets the first commit's height and hash. A proposer that caught up over a
 * write's slot from a snapshot learns its id from the member that answered
 * it (sync WRITES), if that member still remembers it and can say so
 * (docs/consensus.md, "Election").
 *
 * The write's id is derived from the key *and* the transactions, by the
 * proposer itself (a forwarding node sends the key, not an id): a node that
 * sent other transactions under someone's key would only make a write of its
 * own, never turn theirs into a no-op.
 */
import { sha256 } from '../chain/index.ts'
import type { WriteRef } from './batch.ts'
import { idempotencyKeyProblem } from '../protocols/write/index.ts'

/** A key that is not 1..MAX_IDEMPOTENCY_KEY_BYTES printable ASCII characters (HTTP 400). */
export class InvalidIdempotencyKeyError extends Error {
  static name = 'InvalidIdempotencyKeyError'
  constructor (message = 'Invalid idempotency key') {
    super(message)
    this.name = 'InvalidIdempotencyKeyError'
  }
}

const utf8 = new TextEncoder()
const DOMAIN = utf8.encode('vguard idempotency key\0')
/** Bytes of a derived write id (as many as a writer's random one). */
const ID_BYTES = 16

/** Whether `key` is a well-formed idempotency key (from JavaScript anything comes): a write under it may retry one that commits. */
export function isIdempotencyKey (key: unknown): key is string {
  return typeof key === 'string' && idempotencyKeyProblem(key) == null
}

/** @throws InvalidIdempotencyKeyError */
export function checkIdempotencyKey (key: string): string {
  // from JavaScript anything comes: a number or an object would be keyed by its string form
  if (typeof key !== 'string') throw new InvalidIdempotencyKeyError(`an idempotency key is a string, got ${typeof key}`)
  const problem = idempotencyKeyProblem(key)
  if (problem != null) throw new InvalidIdempotencyKeyError(problem)
  return key
}

/**
 * The identity of a keyed write: no sender (any node may carry it), an id
 * from chain, key and transactions; `carrier`, the node that handed it to the
 * proposer, only says whose share of the write memory it takes.
 */
export function idempotentRef (chainId: string, key: string, payload: Uint8Array, carrier: string): WriteRef {
  const chain = utf8.encode(chainId)
  const k = utf8.encode(key)
  const input = new Uint8Array(DOMAIN.byteLength + chain.byteLength + 1 + k.byteLength + 1 + payload.byteLength)
  let pos = 0
  for (const part of [DOMAIN, chain, Uint8Array.of(0), k, Uint8Array.of(0), payload]) {
    input.set(part, pos)
    pos += part.byteLength
  }
  return { from: '', id: sha256(input).subarray(0, ID_BYTES), carrier }
}
