import { describe, it, expect } from 'vitest'
import { fastMessageId } from '../../../src/node/libp2p.ts'

describe('node - libp2p - fastMessageId', () => {
  const from = new Uint8Array([0, 36, 8, 1, 18, 32, 7, 7, 7])
  const seqno = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 42])

  it('gives every copy of a message one id, whatever its data or signature', () => {
    const a = fastMessageId({ from, seqno })
    // the same bytes in other buffers, at other offsets
    const shifted = new Uint8Array(32)
    shifted.set(from, 5)
    expect(fastMessageId({ from: shifted.subarray(5, 5 + from.length), seqno: Uint8Array.from(seqno) })).toBe(a)
  })

  it('tells apart another sender or another sequence number', () => {
    const a = fastMessageId({ from, seqno })
    expect(fastMessageId({ from, seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 43]) })).not.toBe(a)
    expect(fastMessageId({ from: Uint8Array.from([...from.slice(0, -1), 8]), seqno })).not.toBe(a)
    // sender and number cannot run into each other
    expect(fastMessageId({ from: from.slice(0, -1), seqno: Uint8Array.from([7, ...seqno]) })).not.toBe(a)
  })

  it('gives unsigned messages (refused by validation, never cached) no id of a real one', () => {
    expect(fastMessageId({})).toBe('')
    expect(fastMessageId({ from })).toBe('')
  })
})
