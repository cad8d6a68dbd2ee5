/**
 * A holder's block as a consistent read takes it (src/node/block-answer.ts):
 * only a block that hashes right, carries its own payload (or none, pruned)
 * and is the one asked for counts as an answer.
 */
import { describe, it, expect } from 'vitest'
import { encodeBlock, withoutPayload } from '../../../src/chain/index.ts'
import { checkedBlock } from '../../../src/node/block-answer.ts'
import { chainOf } from '../storage/helpers.ts'

describe('node - a block answered to a consistent read', () => {
  const [b1, b2] = chainOf('vehicle-a', 2)

  it('is taken whole, or pruned to its header', () => {
    expect(checkedBlock('vehicle-a', 2, [encodeBlock(b2)]).hash).toEqual(b2.hash)
    const pruned = checkedBlock('vehicle-a', 2, [encodeBlock(withoutPayload(b2))])
    expect(pruned.hash).toEqual(b2.hash)
    expect(pruned.payload).toBeUndefined()
  })

  it.each([
    ['no block', [], /expected one block, got 0/],
    ['two blocks', [encodeBlock(b1), encodeBlock(b2)], /expected one block, got 2/],
    ['bytes that are no block', [new Uint8Array([0xff, 0xff, 0xff])], /BadHeader/],
    ['another height', [encodeBlock(b1)], /asked for block 2 of vehicle-a, got block 1 of vehicle-a/],
    ['a payload that is not its own', [encodeBlock({ ...b2, payload: b1.payload })], /BadPayload/]
  ])('is refused when it is %s', (_, records, error) => {
    expect(() => checkedBlock('vehicle-a', 2, records)).toThrow(error)
  })

  it('is refused when it is of another chain', () => {
    const [other] = chainOf('vehicle-b', 1)
    expect(() => checkedBlock('vehicle-a', 1, [encodeBlock(other)])).toThrow(/got block 1 of vehicle-b/)
  })
})
