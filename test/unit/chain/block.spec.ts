import { describe, it, expect } from 'vitest'
import {
  createBlock, createBlockFromPayload, emptyTip, tipOf, verifyBlock, encodeBlock, decodeBlock, blockFromBytes, transactionsOf, withoutPayload,
  InvalidBlockError, ZERO_HASH, sha256
} from '../../../src/chain/index.ts'
import type { Block, ChainTip, InvalidBlockReason } from '../../../src/chain/index.ts'
import { BlockHeader } from '../../../src/chain/pb/chain.ts'

const enc = new TextEncoder()
const CHAIN = 'vehicle-1'

function make (prev: ChainTip, n = 2): Block {
  return createBlock({
    prev,
    proposer: 'peer-a',
    booth: ['peer-a', 'peer-b', 'peer-c'],
    ballot: { round: 3, proposer: 'peer-a' },
    timestamp: 1_700_000_000_000 + prev.height,
    transactions: Array.from({ length: n }, (_, i) => ({ key: `k${prev.height}/${i}`, value: enc.encode(`v${i}`) }))
  })
}

function reasonOf (fn: () => unknown): InvalidBlockReason | undefined {
  try {
    fn()
  } catch (err) {
    expect((err as Error).name).toBe('InvalidBlockError')
    return (err as InvalidBlockError).reason
  }
  return undefined
}

describe('chain - block', () => {
  it('creates block 1 on an empty tip and links the next one by hash', () => {
    const tip0 = emptyTip(CHAIN)
    expect(tip0).toEqual({ chainId: CHAIN, height: 0, hash: ZERO_HASH })
    const b1 = make(tip0)
    expect(b1.header.height).toBe(1)
    expect(b1.header.prevHash).toEqual(ZERO_HASH)
    expect(b1.header.txCount).toBe(2)
    expect(b1.header.payloadBytes).toBe(b1.payload?.byteLength)
    expect(b1.hash).toEqual(sha256(BlockHeader.encode(b1.header)))
    expect(verifyBlock(b1, tip0)).toHaveLength(2)
    const b2 = make(tipOf(b1))
    expect(b2.header.prevHash).toEqual(b1.hash)
    expect(verifyBlock(b2, tipOf(b1))).toHaveLength(2)
    expect(transactionsOf(b2).map(t => t.key)).toEqual(['k1/0', 'k1/1'])
  })

  it('builds from a canonical payload exactly the block createBlock builds, and refuses any other payload', () => {
    const transactions = [{ key: 'gps/1', value: enc.encode('-27.7,-51.1') }, { op: 'DELETE' as const, key: 'gps/0' }, { key: 'speed', value: new Uint8Array(3000).fill(7) }]
    const init = { prev: emptyTip('car'), proposer: 'car', booth: ['car', 'b'], ballot: { round: 2, proposer: 'car' }, timestamp: 123 }
    const built = createBlock({ ...init, transactions })
    const fromPayload = createBlockFromPayload({ ...init, payload: built.payload as Uint8Array })
    expect(fromPayload.hash).toEqual(built.hash)
    expect(fromPayload.headerBytes).toEqual(built.headerBytes)
    expect(fromPayload.header).toEqual(built.header)
    // an explicit PUT op (protons never writes the default) is not the canonical form
    const nonCanonical = Uint8Array.from([0x0a, 0x05, 0x08, 0x00, 0x12, 0x01, 0x6b])
    expect(() => createBlockFromPayload({ ...init, payload: nonCanonical })).toThrow(expect.objectContaining({ name: 'InvalidBlockError', reason: 'BadPayload' }))
    expect(() => createBlockFromPayload({ ...init, chainId: 'other', payload: built.payload as Uint8Array })).toThrow(expect.objectContaining({ reason: 'WrongChain' }))
  })

  it('round-trips through the record encoding', () => {
    const b1 = make(emptyTip(CHAIN))
    const back = decodeBlock(encodeBlock(b1))
    expect(back).toEqual(b1)
    const pruned = decodeBlock(encodeBlock(withoutPayload(b1)))
    expect(pruned.payload).toBeUndefined()
    expect(pruned.hash).toEqual(b1.hash)
    // an empty block keeps an (empty) payload, unlike a pruned one
    const empty = createBlock({ prev: emptyTip(CHAIN), proposer: 'p', timestamp: 1, transactions: [] })
    expect(decodeBlock(encodeBlock(empty)).payload).toEqual(new Uint8Array(0))
  })

  it('names why a block does not verify', () => {
    const tip0 = emptyTip(CHAIN)
    const b1 = make(tip0)
    const t1 = tipOf(b1)
    const b2 = make(t1)
    expect(reasonOf(() => verifyBlock(b2, tip0))).toBe('WrongHeight')
    expect(reasonOf(() => verifyBlock(b1, t1))).toBe('WrongHeight')
    expect(reasonOf(() => verifyBlock(b2, { ...t1, hash: sha256(enc.encode('other')) }))).toBe('WrongPrevHash')
    expect(reasonOf(() => verifyBlock(b1, emptyTip('other-chain')))).toBe('WrongChain')

    const badHash = new Uint8Array(b1.hash)
    badHash[0] ^= 1
    expect(reasonOf(() => verifyBlock({ ...b1, hash: badHash }, tip0))).toBe('BadHash')

    // header object edited but bytes (and hash) kept: caught as non-canonical
    expect(reasonOf(() => verifyBlock({ ...b1, header: { ...b1.header, proposer: 'mallory' } }, tip0))).toBe('NonCanonicalHeader')

    // header re-encoded and re-hashed consistently, but the payload is not what it claims
    const forgedPayload = new Uint8Array(b1.payload ?? [])
    forgedPayload[forgedPayload.length - 1] ^= 1
    expect(reasonOf(() => verifyBlock({ ...b1, payload: forgedPayload }, tip0))).toBe('BadPayloadHash')
    expect(reasonOf(() => verifyBlock({ ...b1, payload: forgedPayload.subarray(1) }, tip0))).toBe('BadPayload')
    expect(reasonOf(() => verifyBlock(withoutPayload(b1), tip0))).toBe('MissingPayload')
    expect(verifyBlock(withoutPayload(b1), tip0, { allowPruned: true })).toBeUndefined()

    // a consistent header whose txCount lies
    const header = { ...b1.header, txCount: 5 }
    const headerBytes = BlockHeader.encode(header)
    const lying = blockFromBytes(headerBytes, b1.payload)
    expect(reasonOf(() => verifyBlock(lying, tip0))).toBe('BadPayload')
  })

  it('refuses bad header fields and undecodable bytes', () => {
    expect(reasonOf(() => createBlock({ prev: emptyTip(CHAIN), proposer: '', timestamp: 1, transactions: [] }))).toBe('BadHeader')
    expect(reasonOf(() => createBlock({ prev: emptyTip(CHAIN), proposer: 'p', booth: Array(65).fill('m'), timestamp: 1, transactions: [] }))).toBe('BadHeader')
    expect(reasonOf(() => createBlock({ prev: emptyTip(CHAIN), chainId: 'x', proposer: 'p', timestamp: 1, transactions: [] }))).toBe('WrongChain')
    expect(reasonOf(() => decodeBlock(Uint8Array.from([0x0a, 0x05, 0x01])))).toBe('BadHeader')
    expect(reasonOf(() => blockFromBytes(new Uint8Array(64 * 1024)))).toBe('BadHeader')
  })

  it('transactionsOf a pruned block throws PayloadPrunedError', () => {
    const b1 = make(emptyTip(CHAIN))
    expect(() => transactionsOf(withoutPayload(b1))).toThrow(expect.objectContaining({ name: 'PayloadPrunedError' }))
  })
})
