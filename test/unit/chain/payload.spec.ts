import { describe, it, expect } from 'vitest'
import { Payload, Transaction as PbTransaction } from '../../../src/chain/pb/chain.ts'
import { encodePayload, parsePayload, decodeTransactions, InvalidTransactionError, MAX_KEY_BYTES } from '../../../src/chain/index.ts'
import type { PayloadEntry, TransactionInput } from '../../../src/chain/index.ts'

const enc = new TextEncoder()

const sample: TransactionInput[] = [
  { key: 'gps/1', value: enc.encode('49.0069,8.4037') },
  { op: 'DELETE', key: 'gps/0' },
  { key: 'empty' },
  { key: 'ünïcødé/🚗', value: new Uint8Array(300).fill(7) },
  { key: 'k'.repeat(MAX_KEY_BYTES), value: new Uint8Array(20_000).fill(1) }
]

function toPb (txs: TransactionInput[]): Payload {
  return {
    transactions: txs.map(t => ({
      op: t.op === 'DELETE' ? PbTransaction.Op.DELETE : PbTransaction.Op.PUT,
      key: t.key,
      value: (t.value ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
    }))
  }
}

describe('chain - payload', () => {
  it('encodes exactly what protons encodes (the canonical form)', () => {
    const { payload } = encodePayload(sample)
    expect(payload).toEqual(Payload.encode(toPb(sample)))
    expect(encodePayload([]).payload).toEqual(Payload.encode({ transactions: [] }))
  })

  it('parses its own encoding back, locating each value', () => {
    const { payload, entries } = encodePayload(sample)
    const fields = (e: PayloadEntry): unknown => ({ op: e.op, key: e.key, keyOffset: e.keyOffset, keyLength: e.keyLength, valueOffset: e.valueOffset, valueLength: e.valueLength })
    const parsed = parsePayload(payload)
    expect(parsed.map(fields)).toEqual(entries.map(fields))
    const txs = decodeTransactions(payload)
    expect(txs.map(t => t.key)).toEqual(sample.map(t => t.key))
    expect(txs.map(t => t.op)).toEqual(['PUT', 'DELETE', 'PUT', 'PUT', 'PUT'])
    expect(txs[0].value).toEqual(sample[0].value)
    expect(txs[1].value.byteLength).toBe(0)
    expect(txs[4].value).toEqual(sample[4].value)
    // from JavaScript, what is not bytes is no payload (a string read as no transactions at all)
    for (const notBytes of ['abc', null, 5]) {
      expect(() => decodeTransactions(notBytes as never)).toThrow(expect.objectContaining({ name: 'InvalidBlockError', reason: 'BadPayload', message: expect.stringMatching(/a payload is bytes/) }))
    }
  })

  it('refuses bad transactions with InvalidTransactionError', () => {
    const bad: TransactionInput[] = [
      { key: '' },
      { key: 'k'.repeat(MAX_KEY_BYTES + 1) },
      { op: 'DELETE', key: 'x', value: new Uint8Array(1) },
      { op: 'MERGE' as 'PUT', key: 'x' },
      { key: 'lone \ud800 surrogate' }
    ]
    for (const tx of bad) expect(() => encodePayload([tx])).toThrow(InvalidTransactionError)
  })

  it('rejects non-canonical and malformed payloads as BadPayload', () => {
    const canonical = Payload.encode(toPb([{ key: 'a', value: enc.encode('v') }]))
    // PUT written explicitly (op = 0): valid protobuf, not canonical
    const explicitPut = Uint8Array.from([0x0a, 0x08, 0x08, 0x00, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x76])
    const cases: Uint8Array[] = [
      canonical.subarray(0, canonical.length - 1), // truncated
      Uint8Array.from([0x0a, 0x03, 0x1a, 0x01, 0x76]), // no key
      Uint8Array.from([0x0a, 0x05, 0x12, 0x01, 0x61, 0x1a, 0x00]), // empty value written
      Uint8Array.from([0x0a, 0x05, 0x1a, 0x01, 0x76, 0x12, 0x01]), // fields out of order
      Uint8Array.from([0x0a, 0x83, 0x00, 0x12, 0x01, 0x61]), // non-minimal varint
      Uint8Array.from([0x0a, 0x03, 0x12, 0x01, 0xff]), // key not UTF-8
      Uint8Array.from([0x12, 0x01, 0x61]), // not a transaction field
      Uint8Array.from([0x0a, 0x07, 0x08, 0x01, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x76].slice(0, 9)), // delete with value (truncated)
      Uint8Array.from([0x0a, 0x08, 0x08, 0x01, 0x12, 0x01, 0x61, 0x1a, 0x01, 0x76]), // delete with value
      explicitPut
    ]
    for (const bytes of cases) {
      expect(() => parsePayload(bytes), Buffer.from(bytes).toString('hex')).toThrow(expect.objectContaining({ name: 'InvalidBlockError', reason: 'BadPayload' }))
    }
  })
})
