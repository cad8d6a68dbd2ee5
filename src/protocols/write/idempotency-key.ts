import { MAX_IDEMPOTENCY_KEY_BYTES } from './constants.ts'

const PRINTABLE = /^[\x20-\x7e]+$/

/** Why `key` is not an idempotency key (1..MAX_IDEMPOTENCY_KEY_BYTES printable ASCII characters), or undefined if it is one. */
export function idempotencyKeyProblem (key: string): string | undefined {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_BYTES || !PRINTABLE.test(key)) {
    return `an idempotency key is 1..${MAX_IDEMPOTENCY_KEY_BYTES} printable ASCII characters`
  }
  return undefined
}
