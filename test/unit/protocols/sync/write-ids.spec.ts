/**
 * WRITES over /vguard/sync/1.0.0: the write ids a node's consensus applied in
 * a range of blocks, for a replica that caught up from its snapshot (blocks
 * carry none). Served in frames; a malformed request or answer changes
 * nothing and says why.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import type { AppliedWriteId } from '../../../../src/protocols/sync/index.ts'
import { SyncRequest, SyncResponse } from '../../../../src/protocols/sync/pb/sync.ts'
import { MAX_WRITES_PER_FRAME } from '../../../../src/protocols/sync/constants.ts'
import { TestNetwork } from './network.ts'
import { chainOf } from '../../storage/helpers.ts'

const CHAIN = 'shared'
const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const id = (i: number): string => i.toString(16).padStart(32, '0')

describe('protocols - sync write ids', () => {
  const net = new TestNetwork()
  afterEach(async () => {
    await net.teardown()
    net.nodes.length = 0
  })

  it('answers the write ids of a range in frames, none for a chain it runs no consensus of', async () => {
    const held: AppliedWriteId[] = Array.from({ length: MAX_WRITES_PER_FRAME + 10 }, (_, i) => ({
      key: `writer\n${CHAIN}\n${id(i)}`, age: i, height: 1 + (i % 5), hash: hash(1 + (i % 5)), ...(i % 2 === 0 ? { owner: 'carrier' } : {})
    }))
    const asked: Array<[string, number, number]> = []
    const a = await net.add({ writesInterval: 0 }, undefined, 'a', undefined, (chainId, from, to) => {
      asked.push([chainId, from, to])
      return chainId === CHAIN ? held.filter(w => w.height >= from && w.height <= to) : undefined
    })
    await a.store.appendMany(chainOf(CHAIN, 5))
    await a.store.appendMany(chainOf('other', 1))
    const b = await net.add()
    const got = await b.service.writeIds(a.peerId, CHAIN, 1, 5)
    expect(got).toHaveLength(held.length)
    expect(got[0]).toEqual(held[0])
    expect(got[1]).toEqual(held[1])
    expect(await b.service.writeIds(a.peerId, CHAIN, 2, 2)).toHaveLength(held.filter(w => w.height === 2).length)
    expect(await b.service.writeIds(a.peerId, 'other', 1, 1)).toEqual([])
    expect(await b.service.writeIds(a.peerId, 'not-held', 1, 1)).toEqual([])
    expect(asked).toEqual([[CHAIN, 1, 5], [CHAIN, 2, 2], ['other', 1, 1]])
    expect(b.opened.every(s => s.status === 'closed')).toBe(true)
  })

  it('refuses a malformed request; a node that serves none answers none', async () => {
    const a = await net.add({ writesInterval: 0 }, undefined, 'a', undefined, () => [])
    await a.store.appendMany(chainOf(CHAIN, 2))
    const b = await net.add()
    await expect(b.service.writeIds(a.peerId, CHAIN, 0, 1)).rejects.toThrow(/from must be ≥ 1/)
    await expect(b.service.writeIds(a.peerId, CHAIN, 2, 1)).rejects.toThrow(/to must be ≥ from/)
    const c = await net.add()
    await c.store.appendMany(chainOf(CHAIN, 2))
    expect(await b.service.writeIds(c.peerId, CHAIN, 1, 2)).toEqual([])
  })

  it('rejects an answer whose ids are not of the chain and range asked, or too many', async () => {
    const bad: Array<[AppliedWriteId, RegExp]> = [
      [{ key: `writer\nanother\n${id(1)}`, age: 0, height: 1, hash: hash(1) }, /malformed key/],
      [{ key: `writer\n${CHAIN}\nnot-hex`, age: 0, height: 1, hash: hash(1) }, /malformed key/],
      [{ key: `writer\n${CHAIN}\n${id(1)}`, age: 0, height: 9, hash: hash(1) }, /height 9 outside 1\.\.2/],
      [{ key: `writer\n${CHAIN}\n${id(1)}`, age: 0, height: 1, hash: new Uint8Array(5) }, /not 32 bytes/]
    ]
    for (const [w, message] of bad) {
      const a = await net.add({ writesInterval: 0 }, undefined, undefined, undefined, () => [w])
      await a.store.appendMany(chainOf(CHAIN, 2))
      const b = await net.add()
      await expect(b.service.writeIds(a.peerId, CHAIN, 1, 2)).rejects.toThrow(message)
    }
  })

  /** A peer whose handler answers every WRITES request with `frames`, one after another. */
  async function answering (frames: SyncResponse[]): Promise<{ a: Awaited<ReturnType<TestNetwork['add']>>, b: Awaited<ReturnType<TestNetwork['add']>>, sent: () => number }> {
    const a = await net.add()
    const b = await net.add()
    let sent = 0
    a.handlers.set(b.service.protocol, async (stream) => {
      const lp = lpStream(stream)
      SyncRequest.decode(await lp.read())
      for (const frame of frames) {
        await lp.write(SyncResponse.encode(frame))
        sent++
      }
      await stream.close()
    })
    return { a, b, sent: () => sent }
  }
  const frame = (fields: Partial<SyncResponse>): SyncResponse => ({ status: SyncResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), blocks: [], done: false, message: '', writes: [], refused: false, ...fields })

  it('a peer that answers with blocks, or drips frames that never end, is no source of write ids', async () => {
    const block = chainOf(CHAIN, 1)[0]
    const blocks = await answering([frame({ blocks: [{ header: block.headerBytes as Uint8Array<ArrayBuffer>, payload: block.payload as Uint8Array<ArrayBuffer> }] })])
    await expect(blocks.b.service.writeIds(blocks.a.peerId, CHAIN, 1, 1)).rejects.toThrow(/answered with blocks/)
    // empty frames, never done: the first one that is not full ends it
    const drip = await answering(Array.from({ length: 100 }, () => frame({})))
    await expect(drip.b.service.writeIds(drip.a.peerId, CHAIN, 1, 1)).rejects.toThrow(/a frame of 0 that is not the last/)
    expect(drip.sent()).toBeLessThan(100)
  })

  it('answers a peer one WRITES request a second', async () => {
    const a = await net.add({}, undefined, 'a', undefined, () => [])
    await a.store.appendMany(chainOf(CHAIN, 2))
    const b = await net.add()
    const c = await net.add()
    expect(await b.service.writeIds(a.peerId, CHAIN, 1, 2)).toEqual([])
    await expect(b.service.writeIds(a.peerId, CHAIN, 1, 2)).rejects.toThrow(/one write-id request a second/)
    // another peer is not held up by it
    expect(await c.service.writeIds(a.peerId, CHAIN, 1, 2)).toEqual([])
  })
})
