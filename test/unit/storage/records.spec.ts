/**
 * The block record encoding of the LevelDB store: a block's BlockRecord
 * bytes, stored as a view of a received frame when they already lie there,
 * and the legacy format (flags, hash, header length) still read.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeBlock, encodeBlock, emptyTip, tipOf, withoutPayload, createBlock } from '../../../src/chain/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, CHAINS_SUBLEVEL } from '../../../src/storage/level.ts'
import { ChainKeys, TYPE_BLOCK, prefixEnd } from '../../../src/storage/keys.ts'
import { decodeRecord, encodeLegacyRecord, encodeRecord, wireRecord } from '../../../src/storage/records.ts'
import { chainOf, collect, dec } from './helpers.ts'

describe('storage - block records', () => {
  it('encodes a block as its BlockRecord bytes and decodes it back, with and without payload', () => {
    const [block] = chainOf('car', 1)
    const record = encodeRecord(block)
    expect(record).toEqual(encodeBlock(block))
    const back = decodeRecord(record)
    expect(back.hash).toEqual(block.hash)
    expect(back.headerBytes).toEqual(block.headerBytes)
    expect(back.payload).toEqual(block.payload)
    const pruned = decodeRecord(encodeRecord(withoutPayload(block)))
    expect(pruned.payload).toBeUndefined()
    expect(pruned.hash).toEqual(block.hash)
    expect(wireRecord(encodeRecord(withoutPayload(block))).pruned).toBe(true)
  })

  it('keeps an empty payload apart from a pruned one', () => {
    const block = createBlock({ prev: emptyTip('car'), proposer: 'p', timestamp: 1, transactions: [] })
    expect(block.payload).toEqual(new Uint8Array(0))
    expect(decodeRecord(encodeRecord(block)).payload).toEqual(new Uint8Array(0))
  })

  it('stores a block decoded from a frame as a view of the frame, without a copy', () => {
    const [block] = chainOf('car', 1)
    const bytes = encodeBlock(block)
    const frame = new Uint8Array(bytes.byteLength + 10)
    frame.set(bytes, 7)
    const received = decodeBlock(frame.subarray(7, 7 + bytes.byteLength))
    const record = encodeRecord(received)
    expect(record.buffer).toBe(frame.buffer)
    expect(record.byteOffset).toBe(7)
    expect(record).toEqual(bytes)
  })

  it('copies when header and payload share a buffer but are not laid out as a record', () => {
    const [block] = chainOf('car', 1)
    const payload = block.payload as Uint8Array
    const hlen = block.headerBytes.byteLength
    // header then payload in one buffer, with framing bytes that are not BlockRecord's
    const buffer = new Uint8Array(2 + hlen + 2 + payload.byteLength)
    buffer.set(block.headerBytes, 2)
    buffer.set(payload, 2 + hlen + 2)
    const odd = { ...block, headerBytes: buffer.subarray(2, 2 + hlen), payload: buffer.subarray(4 + hlen) }
    const record = encodeRecord(odd)
    expect(record.buffer).not.toBe(buffer.buffer)
    expect(record).toEqual(encodeBlock(block))
  })
})

describe('storage - records written in the legacy format', () => {
  let dir: string
  let database: NodeDatabase | undefined
  afterEach(async () => {
    await database?.close()
    database = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('a store whose records are in the legacy format opens, reads, serves and appends', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-legacy-'))
    database = await openDatabase(dir)
    let store = await LevelChainStore.open(database)
    const blocks = chainOf('car', 5)
    await store.appendMany(blocks.slice(0, 3))
    await store.prune('car', [1])
    await store.close()
    // rewrite every block record as the legacy format wrote it
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    const start = keys.chainPrefix(TYPE_BLOCK, 'car')
    for await (const [key, value] of database.db.iterator({ gte: start, lt: prefixEnd(start) })) {
      await database.db.put(key, encodeLegacyRecord(decodeRecord(value)))
    }
    store = await LevelChainStore.open(database)
    expect((await store.tip('car')).hash).toEqual(tipOf(blocks[2]).hash)
    const read = await collect(store.blocks('car'))
    expect(read.map(b => b.hash)).toEqual(blocks.slice(0, 3).map(b => b.hash))
    expect(read[0].payload).toBeUndefined()
    const records = await collect(store.records('car'))
    expect(records.map(r => [r.height, r.pruned])).toEqual([[1, true], [2, false], [3, false]])
    expect(records[1].record).toEqual(encodeBlock(blocks[1]))
    expect(dec.decode((await store.get('car', 'k3'))?.value)).toBe('v3')
    await store.appendMany(blocks.slice(3))
    expect((await collect(store.blocks('car'))).map(b => b.hash)).toEqual(blocks.map(b => b.hash))
    await store.close()
  })
})
