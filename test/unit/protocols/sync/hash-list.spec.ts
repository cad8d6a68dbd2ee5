import { describe, it, expect } from 'vitest'
import { HashList } from '../../../../src/protocols/sync/hash-list.ts'
import { sha256 } from '../../../../src/chain/index.ts'

describe('protocols - sync: the hashes a vouched fetch keeps', () => {
  it('keeps each 32-byte hash in one buffer, in order, past its first growth', () => {
    const list = new HashList()
    const hashes = Array.from({ length: 3_000 }, (_, i) => sha256(new TextEncoder().encode(`header ${i}`)))
    for (const h of hashes) list.push(h)
    expect(list.length).toBe(3_000)
    for (const i of [0, 1, 1_023, 1_024, 2_999]) expect(list.at(i)).toEqual(hashes[i])
    expect(list.at(3_000)).toBeUndefined()
    expect(list.at(-1)).toBeUndefined()
    expect(() => { list.push(new Uint8Array(31)) }).toThrow(RangeError)
  })
})
