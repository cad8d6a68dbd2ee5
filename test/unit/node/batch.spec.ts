import { describe, it, expect } from 'vitest'
import { Batch } from '../../../src/protocols/paxos/index.ts'
import { blockOfBatch, decodeBatch, encodeBatch, encodeWrite } from '../../../src/node/batch.ts'
import { createBlock, emptyTip, MAX_TXS_PER_BLOCK } from '../../../src/chain/index.ts'

const enc = new TextEncoder()

describe('node - batch', () => {
  it('encodes a batch as Batch.encode does, from the writes\' payloads copied once', () => {
    const writes = [
      encodeWrite([{ key: 'a', value: enc.encode('1') }]),
      encodeWrite([{ key: 'b', value: new Uint8Array(70_000).fill(3) }, { op: 'DELETE', key: 'c' }]),
      encodeWrite([{ key: 'd', value: new Uint8Array(0) }])
    ]
    for (const payloads of [writes.map(w => w.payload), writes.slice(0, 1).map(w => w.payload), []]) {
      for (const init of [
        { proposer: 'P', ballot: { round: 3, proposer: 'P' }, timestamp: 1_700_000_000_123 },
        { proposer: '', ballot: { round: 0, proposer: '' }, timestamp: 0 }
      ]) {
        let length = 0
        for (const p of payloads) length += p.byteLength
        const payload = new Uint8Array(length)
        let pos = 0
        for (const p of payloads) { payload.set(p, pos); pos += p.byteLength }
        const expected = Batch.encode({ ...init, payload })
        expect(encodeBatch({ ...init, payloads })).toEqual(expected)
        // with write ids: the same message with field 5 (decoded as protons decodes it)
        const writes = [{ from: 'W', id: new Uint8Array(16).fill(1), carrier: '' }, { from: '', id: new Uint8Array(16).fill(2), carrier: 'X' }]
        expect(Batch.decode(encodeBatch({ ...init, payloads, writes }))).toEqual(Batch.decode(Batch.encode({ ...init, payload, writes })))
      }
    }
  })

  it('carries the ids of its writes beside the block, which they do not change', () => {
    const payloads = [encodeWrite([{ key: 'a', value: enc.encode('1') }]).payload]
    const init = { proposer: 'P', ballot: { round: 1, proposer: 'P' }, timestamp: 5, payloads }
    const writes = [{ from: 'W', id: new Uint8Array(16).fill(9), carrier: '' }, { from: '', id: new Uint8Array(16).fill(8), carrier: 'C' }]
    const decoded = decodeBatch(encodeBatch({ ...init, writes }), emptyTip('P'), ['P'])
    expect(decoded?.writes).toEqual(writes)
    expect(decoded?.block.hash).toEqual(blockOfBatch(encodeBatch(init), emptyTip('P'), ['P'])?.hash)
    // more ids than a block can hold writes: malformed, no block
    const many = Array.from({ length: MAX_TXS_PER_BLOCK + 1 }, () => ({ from: 'W', id: new Uint8Array(1) }))
    expect(decodeBatch(encodeBatch({ ...init, writes: many }), emptyTip('P'), ['P'])).toBeUndefined()
  })

  it('builds the block of a batch: every write\'s transactions, in order', () => {
    const writes = [encodeWrite([{ key: 'a', value: enc.encode('1') }]), encodeWrite([{ key: 'b', value: enc.encode('2') }, { op: 'DELETE', key: 'a' }])]
    const data = encodeBatch({ proposer: 'P', ballot: { round: 1, proposer: 'P' }, timestamp: 5, payloads: writes.map(w => w.payload) })
    const block = blockOfBatch(data, emptyTip('P'), ['P', 'Q'])
    expect(block?.header.txCount).toBe(3)
    expect(block?.header.booth).toEqual(['P', 'Q'])
    expect(block?.header.timestamp).toBe(5)
    // the very block createBlock makes of those transactions
    const again = createBlock({ prev: emptyTip('P'), proposer: 'P', booth: ['P', 'Q'], ballot: { round: 1, proposer: 'P' }, timestamp: 5, transactions: [{ key: 'a', value: enc.encode('1') }, { key: 'b', value: enc.encode('2') }, { op: 'DELETE', key: 'a' }] })
    expect(block?.hash).toEqual(again.hash)
    // a batch whose payload is not canonical makes no block
    const bad = encodeBatch({ proposer: 'P', ballot: { round: 1, proposer: 'P' }, timestamp: 5, payloads: [Uint8Array.from([0x0a, 0x05, 0x08, 0x00, 0x12, 0x01, 0x6b])] })
    expect(blockOfBatch(bad, emptyTip('P'), ['P'])).toBeUndefined()
  })
})
