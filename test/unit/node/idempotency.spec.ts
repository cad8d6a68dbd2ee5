import { describe, it, expect } from 'vitest'
import { checkIdempotencyKey, idempotentRef } from '../../../src/node/idempotency.ts'
import { idempotencyKeyProblem } from '../../../src/protocols/write/index.ts'
import { encodeWrite } from '../../../src/node/batch.ts'

const enc = new TextEncoder()
const payload = (value: string): Uint8Array => encodeWrite([{ key: 'k', value: enc.encode(value) }]).payload

describe('node - idempotency keys', () => {
  it('name a write by chain, key and transactions, not by who carries it', () => {
    const ref = idempotentRef('shared', 'order-1', payload('a'), 'A')
    expect(ref.from).toBe('')
    expect(ref.id).toHaveLength(16)
    // the carrier only says whose share of the write memory it takes
    expect(idempotentRef('shared', 'order-1', payload('a'), 'B')).toEqual({ ...ref, carrier: 'B' })
    // any part changed is another write
    for (const other of [idempotentRef('shared', 'order-2', payload('a'), 'A'), idempotentRef('shared', 'order-1', payload('b'), 'A'), idempotentRef('vehicle', 'order-1', payload('a'), 'A')]) {
      expect(other.id).not.toEqual(ref.id)
    }
    // the parts are delimited: moving bytes from the key into the chain id does not collide
    expect(idempotentRef('ab', 'c', payload('a'), 'A').id).not.toEqual(idempotentRef('a', 'bc', payload('a'), 'A').id)
  })

  it('are 1..128 printable ASCII characters', () => {
    for (const good of ['a', 'x'.repeat(128), '123e4567-e89b-12d3-a456-426614174000', 'order #7 (retry)']) {
      expect(checkIdempotencyKey(good)).toBe(good)
      expect(idempotencyKeyProblem(good)).toBeUndefined()
    }
    for (const bad of ['', 'x'.repeat(129), 'tab\there', 'line\nbreak', 'café', '\u0000']) {
      expect(() => checkIdempotencyKey(bad)).toThrow(expect.objectContaining({ name: 'InvalidIdempotencyKeyError' }))
      expect(idempotencyKeyProblem(bad)).toMatch(/printable ASCII/)
    }
  })
})
