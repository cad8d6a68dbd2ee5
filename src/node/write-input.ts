/**
 * A write's input (`node.append`, `put`, `delete`), checked before anything
 * happens: the transactions encoded as one write, and the options it came
 * with. A bad input is refused whole with InvalidTransactionError (or
 * InvalidIdempotencyKeyError), nothing written.
 */
import { InvalidTransactionError } from '../chain/index.ts'
import type { TransactionInput } from '../chain/index.ts'
import { MAX_WRITE_TIMEOUT } from '../protocols/write/index.ts'
import { shownNumber } from './config.ts'
import { encodeWrite } from './batch.ts'
import type { EncodedWrite } from './batch.ts'
import { checkIdempotencyKey } from './idempotency.ts'

export interface WriteOptions {
  /** The chain: this vehicle's peer id (default), 'shared', or another vehicle's peer id (forwarded to it). */
  chainId?: string
  /** ms; default: the node's commitTimeout. */
  timeout?: number
  /**
   * Own chain: wait for the replication round after the commit (at most until
   * the timeout) and report it in `replication`; false answers once applied.
   * @default true
   */
  waitForReplication?: boolean
  /**
   * The client's name for this write (1..128 printable ASCII characters):
   * the same key with the same transactions on the same chain commits once,
   * through any node, for 10 minutes; a retry gets the first commit. Other
   * transactions under the same key are a write of their own.
   */
  idempotencyKey?: string
}

const WRITE_OPTIONS: ReadonlySet<string> = new Set<keyof WriteOptions>(['chainId', 'timeout', 'waitForReplication', 'idempotencyKey'])

/** A write that passed its checks. */
export interface CheckedWrite {
  write: EncodedWrite
  chainId: string
  /** ms */
  timeout: number
  /** waitForReplication */
  wait: boolean
  /** The client's idempotency key, if any. */
  key?: string
}

/** Checks a write in the order its errors have always come in; `self` and `commitTimeout` are the defaults of its chain and timeout. */
export function checkWrite (transactions: TransactionInput[], options: WriteOptions, self: string, commitTimeout: number): CheckedWrite {
  options ??= {}
  if (typeof options !== 'object') throw new InvalidTransactionError(`a write's options are an object, got ${typeof options}`)
  // a typo (chainID) would else write to this vehicle's own chain
  const unknown = Object.keys(options).find(option => !WRITE_OPTIONS.has(option))
  if (unknown != null) throw new InvalidTransactionError(`unknown write option ${JSON.stringify(unknown)}: a write takes ${[...WRITE_OPTIONS].join(', ')}`)
  if (options.waitForReplication != null && typeof options.waitForReplication !== 'boolean') {
    throw new InvalidTransactionError(`waitForReplication is true or false, got ${JSON.stringify(options.waitForReplication)}`)
  }
  const write = encodeWrite(transactions)
  const chainId = options.chainId ?? self
  if (typeof chainId !== 'string' || chainId === '') throw new InvalidTransactionError(`a chain id is a non-empty string, got ${JSON.stringify(chainId)}`)
  const timeout = options.timeout ?? commitTimeout
  // NaN would give up at once or never, depending on the path the write takes
  if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_WRITE_TIMEOUT) {
    throw new InvalidTransactionError(`a write's timeout is a whole number of ms from 1 to ${MAX_WRITE_TIMEOUT}, got ${shownNumber(timeout)}`)
  }
  const wait = options.waitForReplication !== false
  const key = options.idempotencyKey == null ? undefined : checkIdempotencyKey(options.idempotencyKey)
  return { write, chainId, timeout, wait, ...(key != null ? { key } : {}) }
}
