import { describe, it, expect, afterEach } from 'vitest'
import { lpStream, streamPair } from '@libp2p/utils'
import { createBlock, emptyTip, tipOf, verifyBlock, sha256 } from '../../../../src/chain/index.ts'
import type { Block, ChainTip } from '../../../../src/chain/index.ts'
import { BlockHeader } from '../../../../src/chain/pb/chain.ts'
import { MemoryChainStore } from '../../../../src/storage/index.ts'
import type { ChainStore } from '../../../../src/storage/index.ts'
import type { SyncAuthority } from '../../../../src/protocols/sync/index.ts'
import { SyncRequest, SyncResponse } from '../../../../src/protocols/sync/pb/sync.ts'
import { refusal, response } from '../../../../src/protocols/sync/messages.ts'
import { TestNetwork } from './network.ts'
import type { TestNode } from './network.ts'
import { lyingStore } from '../../../utils/lying-store.ts'
import { chainOf, buildChain, collect, enc } from '../../storage/helpers.ts'

const CHAIN = 'vehicle-1'
const bigValue = (h: number): Uint8Array => enc.encode(`${h}:`.padEnd(3000, 'x'))

async function fill (store: ChainStore, blocks: Block[]): Promise<void> {
  await store.appendMany(blocks)
}

async function expectSameChain (a: ChainStore, b: ChainStore, chainId = CHAIN): Promise<void> {
  const left = (await collect(a.blocks(chainId))).map(x => x.hash)
  const right = (await collect(b.blocks(chainId))).map(x => x.hash)
  expect(right).toEqual(left)
}

async function expectVerifies (store: ChainStore, chainId = CHAIN): Promise<number> {
  let prev: ChainTip = emptyTip(chainId)
  for await (const b of store.blocks(chainId)) {
    verifyBlock(b, prev)
    prev = tipOf(b)
  }
  return prev.height
}

/** The store's runs of `chainId`, each after the first `fast` of a listing `gap` ms late: a responder whose disk slows down. */
function slowingRuns (inner: ChainStore, fast: number, gap: number): ChainStore {
  return new Proxy(inner, {
    get (target, property) {
      if (property === 'runs') {
        return async function * (chainId: string, options: Parameters<ChainStore['runs']>[1]) {
          let n = 0
          for await (const run of target.runs(chainId, options)) {
            if (++n > fast) await new Promise(resolve => setTimeout(resolve, gap))
            yield run
          }
        }
      }
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

/** A forged copy of a block: the payload changes and payloadHash and hash are recomputed, so it verifies on its own. */
function forge (block: Block): Block {
  const payload = createBlock({ prev: emptyTip('x'), proposer: 'x', timestamp: 0, transactions: [{ key: 'forged', value: enc.encode('evil') }] }).payload ?? new Uint8Array()
  const header = { ...block.header, payloadHash: sha256(payload) as Uint8Array<ArrayBuffer>, payloadBytes: payload.byteLength, txCount: 1 }
  const headerBytes = BlockHeader.encode(header)
  return { header: BlockHeader.decode(headerBytes), headerBytes, hash: sha256(headerBytes), payload }
}

/** A tampered copy: one payload byte flipped, nothing recomputed. */
function tamper (block: Block): Block {
  const payload = new Uint8Array(block.payload ?? [])
  payload[payload.length - 1] ^= 1
  return { ...block, payload }
}

describe('protocols - sync', () => {
  const net = new TestNetwork()
  afterEach(async () => {
    await net.teardown()
    net.nodes.length = 0
  })

  it('sends a run of stored entries as it stands: it decodes as a SyncResponse of those blocks', async () => {
    const store = new MemoryChainStore()
    const blocks = chainOf(CHAIN, 5)
    await fill(store, blocks)
    const [run] = await collect(store.runs(CHAIN, { maxBytes: 1 << 20 }))
    const res = SyncResponse.decode(run.bytes)
    expect(res.status).toBe(SyncResponse.Status.OK)
    expect(res.done).toBe(false)
    expect(res.blocks.map(b => b.header)).toEqual(blocks.map(b => b.headerBytes))
    expect(res.blocks.map(b => b.payload)).toEqual(blocks.map(b => b.payload))
  })

  it('answers a tip request, with height 0 for a chain it does not hold', async () => {
    const a = await net.add()
    const b = await net.add()
    const blocks = chainOf(CHAIN, 7)
    await fill(a.store, blocks)
    expect(await b.service.tip(a.peerId, CHAIN)).toEqual(tipOf(blocks[6]))
    expect(await b.service.tip(a.peerId, 'unknown')).toEqual(emptyTip('unknown'))
    expect(b.opened.every(s => s.status === 'closed')).toBe(true)
  })

  it('fetches a chain in many frames under a small window and verifies it', async () => {
    // small frames and window force many frames and many credit round trips
    const a = await net.add({ frameBytes: 10_000 })
    const b = await net.add({ windowBytes: 20_000 })
    const blocks = chainOf(CHAIN, 120, h => ({ transactions: [{ key: `k${h % 7}`, value: bigValue(h) }] }))
    await fill(a.store, blocks)
    const result = await b.service.fetch(a.peerId, CHAIN)
    expect(result).toMatchObject({ chainId: CHAIN, fetched: 120, remoteHeight: 120, complete: true })
    expect(result.tip).toEqual(tipOf(blocks[119]))
    await expectSameChain(a.store, b.store)
    expect(await expectVerifies(b.store)).toBe(120)
    expect(await collect(b.store.entries(CHAIN))).toEqual(await collect(a.store.entries(CHAIN)))
    // fetching again moves nothing
    expect((await b.service.fetch(a.peerId, CHAIN)).fetched).toBe(0)
  })

  it('holds a window asked above what a responder grants to it: a transfer that slows down does not stall', async () => {
    const MiB = 1024 * 1024
    const inner = new MemoryChainStore()
    await fill(inner, chainOf(CHAIN, 60, h => ({ transactions: [{ key: `k${h}`, value: new Uint8Array(MiB - 2048).fill(h % 256) }] })))
    // the responder's disk slows down after 24 blocks
    const a = await net.add({ timeout: 2_000 }, slowingRuns(inner, 24, 150), 'responder')
    // 64 MiB asked: this side counted credit the responder (16 MiB at most) never held, stopped granting, and both timed out (a review)
    const b = await net.add({ windowBytes: 64 * MiB, timeout: 2_000, progressBytes: 1 }, new MemoryChainStore(), 'requester')
    expect((await b.service.fetch(a.peerId, CHAIN)).fetched).toBe(60)
  }, 60_000)

  it('refuses a chain id no request can carry before anything is sent', async () => {
    const a = await net.add()
    const b = await net.add()
    const long = 'x'.repeat(300)
    // sent, it passed the request's size bound: the responder reset the stream, read as "broke off" (a review)
    for (const call of [async () => await b.service.tip(a.peerId, long), async () => await b.service.fetch(a.peerId, long), async () => await b.service.tip(a.peerId, '')]) {
      await expect(call()).rejects.toMatchObject({ name: 'InvalidChainIdError', message: expect.stringMatching(/^a chain id is 1 to 128 bytes of UTF-8, got (300|0) bytes$/) })
    }
    expect(b.opened).toEqual([])
  })

  it('fetches only up to `to`, and continues from its own tip', async () => {
    const a = await net.add()
    const b = await net.add()
    const blocks = chainOf(CHAIN, 30)
    await fill(a.store, blocks)
    await fill(b.store, blocks.slice(0, 5))
    const result = await b.service.fetch(a.peerId, CHAIN, { to: 12 })
    expect(result.fetched).toBe(7)
    expect((await b.store.tip(CHAIN)).height).toBe(12)
  })

  it('drops a peer that serves a tampered block; the local chain stays valid', async () => {
    const honest = chainOf(CHAIN, 40)
    const inner = new MemoryChainStore()
    await fill(inner, honest)
    const liar = await net.add({ frameBytes: 2_000 }, lyingStore(inner, 25, tamper))
    const b = await net.add()
    await fill(b.store, honest.slice(0, 10))
    await expect(b.service.fetch(liar.peerId, CHAIN)).rejects.toMatchObject({ name: 'InvalidBlockError', reason: 'BadPayloadHash' })
    const height = await expectVerifies(b.store)
    expect(height).toBeLessThan(25)
    expect(height).toBeGreaterThanOrEqual(10)
  })

  it('never stores a self-consistent forged block: its successor exposes it', async () => {
    const honest = chainOf(CHAIN, 40)
    const inner = new MemoryChainStore()
    await fill(inner, honest)
    // frames of about one block each, so the forged block ends a frame and waits for its successor
    const liar = await net.add({ frameBytes: 1 }, lyingStore(inner, 25, forge))
    const b = await net.add()
    await expect(b.service.fetch(liar.peerId, CHAIN)).rejects.toMatchObject({ name: 'InvalidBlockError', reason: 'WrongPrevHash' })
    expect(await expectVerifies(b.store)).toBe(24)
    expect((await b.store.getBlock(CHAIN, 24))?.hash).toEqual(honest[23].hash)
  })

  it('reconcile: takes the peer with the most, drops a liar, completes from an honest peer', async () => {
    // the liar claims the longest chain (60) and forges block 20; the honest peer has 50
    const long = chainOf(CHAIN, 60)
    const inner = new MemoryChainStore()
    await fill(inner, long)
    const liar = await net.add({ frameBytes: 3_000 }, lyingStore(inner, 20, forge), 'liar')
    const honest = await net.add({}, new MemoryChainStore(), 'honest')
    await fill(honest.store, long.slice(0, 50))
    const zombie = await net.add({}, new MemoryChainStore(), 'zombie')
    await fill(zombie.store, long.slice(0, 10))

    const [result] = await zombie.service.reconcile()
    expect(result.chainId).toBe(CHAIN)
    expect(result.before).toBe(10)
    expect(result.after).toBe(50)
    expect(result.dropped.map(d => d.peer)).toEqual([liar.peerId.toString()])
    expect(result.dropped[0].reason).toContain('InvalidBlockError')
    expect(result.sources).toContain(honest.peerId.toString())
    expect(await expectVerifies(zombie.store)).toBe(50)
    await expectSameChain(honest.store, zombie.store)
  })

  it('does not blame the peer when another writer appends the same blocks meanwhile', async () => {
    const blocks = chainOf(CHAIN, 30)
    const a = await net.add()
    await fill(a.store, blocks)
    // B's store: just before the fetch's first append lands, replication appends blocks 1..20
    const inner = new MemoryChainStore()
    let race: Block[] | undefined = blocks.slice(0, 20)
    const racing = new Proxy(inner, {
      get (target, prop) {
        if (prop === 'appendMany') {
          return async (batch: Block[], options?: Parameters<ChainStore['appendMany']>[1]) => {
            if (race != null) {
              const mine = race
              race = undefined
              await target.appendMany(mine)
            }
            return await target.appendMany(batch, options)
          }
        }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const b = await net.add({}, racing)
    await expect(b.service.fetch(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'ChainMovedError' })
    // reconcile takes it in stride: nobody is dropped, it tries again and finishes the chain
    race = blocks.slice(20, 25)
    const [result] = await b.service.reconcile(CHAIN)
    expect(result.dropped).toEqual([])
    expect(result.after).toBe(30)
    expect(await expectVerifies(inner)).toBe(30)
  })

  it('does not blame the peer when the copy is replaced (deleted and taken again) during the fetch', async () => {
    const blocks = chainOf(CHAIN, 30)
    const a = await net.add()
    await fill(a.store, blocks)
    // B holds 1..5; as the fetch's first append comes, a replicate reset drops the copy and takes 1..3 again
    const inner = new MemoryChainStore()
    await fill(inner, blocks.slice(0, 5))
    let reset = true
    const resetting = new Proxy(inner, {
      get (target, prop) {
        if (prop === 'appendMany') {
          return async (batch: Block[], options?: Parameters<ChainStore['appendMany']>[1]) => {
            if (reset) {
              reset = false
              await target.deleteChain(CHAIN, { keepPins: true })
              await target.appendMany(blocks.slice(0, 3))
            }
            return await target.appendMany(batch, options)
          }
        }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const b = await net.add({}, resetting)
    await expect(b.service.fetch(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'ChainMovedError', message: expect.stringMatching(/was replaced here/) })
    const [result] = await b.service.reconcile(CHAIN)
    expect(result.dropped).toEqual([])
    expect(result.after).toBe(30)
    expect(await expectVerifies(inner)).toBe(30)
  })

  it('a chain released between the listing and its turn is not fetched back (only a reconcile by name starts from nothing)', async () => {
    const a = await net.add()
    await fill(a.store, chainOf(CHAIN, 8))
    const inner = new MemoryChainStore()
    await fill(inner, chainOf(CHAIN, 3))
    // the release lands right after reconcile listed the chains it holds
    const releasing = new Proxy(inner, {
      get (target, prop) {
        if (prop === 'chains') {
          return async () => {
            const list = await target.chains()
            await target.deleteChain(CHAIN)
            return list
          }
        }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const b = await net.add({}, releasing)
    const [result] = await b.service.reconcile()
    expect(result).toMatchObject({ chainId: CHAIN, after: 0, sources: [] })
    expect(await inner.info(CHAIN)).toBeUndefined()
  })

  it('a baby (no chains) fetches nothing until asked; asked, it fetches', async () => {
    const a = await net.add()
    await fill(a.store, chainOf(CHAIN, 5))
    const baby = await net.add()
    expect(await baby.service.reconcile()).toEqual([])
    expect(baby.opened).toHaveLength(0)
    const [result] = await baby.service.reconcile(CHAIN)
    expect(result).toMatchObject({ before: 0, after: 5, dropped: [] })
  })

  it('stops at a block the responder pruned and says so', async () => {
    const a = await net.add()
    const b = await net.add()
    await fill(a.store, chainOf(CHAIN, 10))
    await a.store.prune(CHAIN, [6, 7])
    const result = await b.service.fetch(a.peerId, CHAIN)
    expect(result).toMatchObject({ fetched: 5, complete: false, remoteHeight: 10 })
    expect(await expectVerifies(b.store)).toBe(5)
  })

  it('maps a malformed request to BAD_REQUEST and never sends more than the credit allows', async () => {
    const a = await net.add({ frameBytes: 1, timeout: 300 })
    await fill(a.store, chainOf(CHAIN, 10))
    const handler = a.handlers.get('/vguard/sync/1.0.0')
    expect(handler).toBeDefined()

    // from = 0 is not a height
    let [client, server] = await streamPair()
    void handler?.(server, { remotePeer: a.peerId } as never)
    let lp = lpStream(client, { maxDataLength: 1 << 20 })
    await lp.write(SyncRequest.encode({ type: SyncRequest.Type.BLOCKS, chainId: CHAIN, from: 0, to: 0, credit: 100 }))
    const bad = SyncResponse.decode(await lp.read())
    expect(bad).toMatchObject({ status: SyncResponse.Status.BAD_REQUEST, done: true })
    await client.close()

    // credit for one byte: exactly one frame comes, then the responder waits and times out
    ;[client, server] = await streamPair()
    const served = handler?.(server, { remotePeer: a.peerId } as never)
    lp = lpStream(client, { maxDataLength: 1 << 20 })
    await lp.write(SyncRequest.encode({ type: SyncRequest.Type.BLOCKS, chainId: CHAIN, from: 1, to: 0, credit: 1 }))
    const first = SyncResponse.decode(await lp.read())
    expect(first.blocks).toHaveLength(1)
    await served
    expect(server.status).not.toBe('open')
    await expect(lp.read({ signal: AbortSignal.timeout(2_000) })).rejects.toThrow()
  })

  /** A hand-written responder on `server` for `client`: tip 60 of `long`, and the frames `frames(from)` makes, `gap` ms apart. */
  function serveRaw (server: TestNode, client: TestNode, long: Block[], frames: (from: number) => Block[][], gap = 0, pad = 0): { sent: () => number } {
    let sent = 0
    const answer = (res: Partial<SyncResponse>): Uint8Array => SyncResponse.encode({ status: SyncResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), blocks: [], done: false, message: '', ...res })
    server.handlers.set(client.service.protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      const req = SyncRequest.decode(await lp.read())
      const tip = { height: long.length, tipHash: new Uint8Array(long[long.length - 1].hash), done: true }
      if (req.type === SyncRequest.Type.TIP) {
        await lp.write(answer(tip))
        return
      }
      for (const frame of frames(req.from)) {
        if (stream.status !== 'open') return
        await lp.write(answer({ blocks: frame.map(b => ({ header: new Uint8Array(b.headerBytes), payload: new Uint8Array(b.payload ?? []) })), message: 'x'.repeat(pad) }))
        sent++
        if (gap > 0) await new Promise(resolve => setTimeout(resolve, gap))
      }
      await lp.write(answer(tip))
    })
    return { sent: () => sent }
  }

  // claims the most (60), then sends one real block every 250 ms: never silent for the 1 s timeout; `pad`
  // bytes of message in each frame (600 KB: over the floor's 1 MiB every two frames, were it counted). A
  // 300 ms timeout failed on two loaded cores: the honest peer's frames came late too
  it.each([
    ['drips blocks (each frame under the timeout)', 0],
    ['drips blocks in padded frames (padding is no progress)', 600 * 1024]
  ])('reconcile drops a peer that %s and completes from an honest one', async (_, pad) => {
    const long = chainOf(CHAIN, 60)
    const dripper = await net.add({}, new MemoryChainStore(), 'dripper')
    const honest = await net.add({}, new MemoryChainStore(), 'honest')
    await fill(honest.store, long.slice(0, 50))
    const zombie = await net.add({ timeout: 1_000 }, new MemoryChainStore(), 'zombie')
    await fill(zombie.store, long.slice(0, 10))
    const drip = serveRaw(dripper, zombie, long, from => long.slice(from - 1).map(b => [b]), 250, pad)
    const [result] = await zombie.service.reconcile(CHAIN)
    expect(result.dropped).toMatchObject([{ peer: dripper.peerId.toString(), error: 'SlowPeerError' }])
    expect(result.dropped[0].reason).toMatch(/bytes of vehicle-1 in \d+ ms of waiting \(at least 1048576 per 1000 ms\): asking another peer/)
    expect(result.sources).toContain(honest.peerId.toString())
    expect(result.after).toBe(50)
    // what the dripper sent before it was dropped stays: it links to the chain
    expect(drip.sent()).toBeGreaterThan(0)
    expect(drip.sent()).toBeLessThan(10)
    expect(await expectVerifies(zombie.store)).toBe(50)
    await expectSameChain(honest.store, zombie.store)
  })

  it('drops a peer that answers with blocks below the range asked for (not taken for another writer\'s), asking it once', async () => {
    const long = chainOf(CHAIN, 60)
    const liar = await net.add({}, new MemoryChainStore(), 'liar')
    const honest = await net.add({}, new MemoryChainStore(), 'honest')
    await fill(honest.store, long.slice(0, 50))
    const zombie = await net.add({}, new MemoryChainStore(), 'zombie')
    await fill(zombie.store, long.slice(0, 10))
    // asked from 11, it sends 1..40: real blocks, which the zombie already holds up to 10
    const below = serveRaw(liar, zombie, long, () => [long.slice(0, 40)])
    const [result] = await zombie.service.reconcile(CHAIN)
    expect(result.dropped).toMatchObject([{ peer: liar.peerId.toString(), error: 'InvalidBlockError' }])
    // a lie about blocks (WrongHeight), typed as a vouched fetch's header check types it
    expect(result.dropped[0].reason).toMatch(/sent block 1 of vehicle-1 where 11 comes next/)
    expect(below.sent()).toBe(1)
    expect(result.after).toBe(50)
    await expectSameChain(honest.store, zombie.store)
  })

  it('times out on a stalled peer and aborts the stream', async () => {
    const a = await net.add()
    const b = await net.add({ tipTimeout: 200, timeout: 200 })
    // a handler that reads the request and never answers
    a.handlers.set(b.service.protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 1024 })
      await lp.read()
    })
    await expect(b.service.tip(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(b.opened[0].status).not.toBe('open')
  })

  it('an answer that does not decode is a MalformedMessageError, as on every protocol', async () => {
    const a = await net.add()
    const b = await net.add()
    // wire type 7 does not exist: protons throws a plain Error for it
    a.handlers.set(b.service.protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 1024 })
      await lp.read()
      await lp.write(Uint8Array.of(0x0f))
    })
    await expect(b.service.tip(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'MalformedMessageError', message: expect.stringContaining('malformed sync response') })
  })

  it('a refusal is an ERROR every version decodes, with the reason; this version reads it as SyncRefusedError', async () => {
    const reason = 'two processes run its identity (a data dir copied with its peer.key?)'
    const frame = refusal(reason, true)
    expect(SyncResponse.decode(frame)).toMatchObject({ status: SyncResponse.Status.ERROR, done: true, message: reason, refused: true, lasting: true })
    // what a requester that predates `refused` reads: the same frame without it, then two varint fields it skips (8: 0x40, 9: 0x48)
    const older = response({ status: SyncResponse.Status.ERROR, done: true, message: reason })
    expect([...frame]).toEqual([...older, 0x40, 0x01, 0x48, 0x01])

    const a = await net.add()
    const b = await net.add()
    // a long reason is cut, saying so: it goes into logs and results
    a.handlers.set(b.service.protocol, async (stream) => {
      await lpStream(stream, { maxDataLength: 1024 }).write(refusal('x'.repeat(5_000), false))
      await stream.close()
    })
    const err = await b.service.tip(a.peerId, CHAIN).catch((e: Error & { reason?: string }) => e)
    expect(err).toMatchObject({ name: 'SyncRefusedError', message: expect.stringContaining('refused to sync with this node: xxx') })
    expect((err as { reason?: string }).reason).toBe(`${'x'.repeat(512)}… [4488 more characters cut]`)
  })

  it('a reconcile lists a peer that refuses it as refused, with its reason, whether it refuses the tip or the blocks after it', async () => {
    const a = await net.add()
    await fill(a.store, chainOf(CHAIN, 3))
    const c = await net.add()
    const b = await net.add()
    const serveA = a.handlers.get(b.service.protocol)
    if (serveA == null) throw new Error('a serves no sync')
    // a answers the tip, then its view of b changes (a clone confirmed meanwhile): the fetch is refused
    let streams = 0
    a.handlers.set(b.service.protocol, async (stream, connection) => {
      if (streams++ === 0) return await serveA(stream, connection)
      await lpStream(stream, { maxDataLength: 1024 }).write(refusal('two processes run its identity', true))
      await stream.close()
    })
    // c refuses at once, with the reason a responder gives a peer it did not admit in time
    c.handlers.set(b.service.protocol, async (stream) => {
      await lpStream(stream, { maxDataLength: 1024 }).write(refusal('not a member of this network', false))
      await stream.close()
    })
    const [result] = await b.service.reconcile(CHAIN, { peers: [a.peerId, c.peerId] })
    expect(result).toMatchObject({ before: 0, after: 0, sources: [], dropped: [], unreachable: [] })
    expect(result.refused).toEqual(expect.arrayContaining([
      { peer: a.peerId.toString(), reason: 'two processes run its identity', lasting: true },
      { peer: c.peerId.toString(), reason: 'not a member of this network', lasting: false }
    ]))
    expect(result.refused).toHaveLength(2)
  })

  it('a peer that resets the stream mid-answer is a ProtocolError, not libp2p\'s stream error', async () => {
    const a = await net.add()
    const b = await net.add()
    const blocks = chainOf(CHAIN, 3)
    a.handlers.set(b.service.protocol, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 1024 * 1024 })
      await lp.read()
      await lp.write(SyncResponse.encode({ status: SyncResponse.Status.OK, height: 0, tipHash: new Uint8Array(0), blocks: [{ header: new Uint8Array(blocks[0].headerBytes), payload: new Uint8Array(blocks[0].payload ?? []) }], done: false, message: '', writes: [] }))
      stream.abort(new Error('gone'))
    })
    await expect(b.service.fetch(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'ProtocolError', message: expect.stringContaining('broke off') })
    expect(await b.store.info(CHAIN)).toBeUndefined()
  })

  it('whether a refusal lasts is the responder\'s word, not read from its reason; a responder that predates that word is read by its reason', async () => {
    const b = await net.add()
    const refusing = async (frame: Uint8Array): Promise<{ reason: string, lasting: boolean } | undefined> => {
      const a = await net.add()
      a.handlers.set(b.service.protocol, async (stream) => {
        await lpStream(stream, { maxDataLength: 1024 }).write(frame)
        await stream.close()
      })
      const [result] = await b.service.reconcile(CHAIN, { peers: [a.peerId] })
      const found = result.refused.find(r => r.peer === a.peerId.toString())
      return found == null ? undefined : { reason: found.reason, lasting: found.lasting }
    }
    // a reason this version has never heard of, said to last: it lasts (a text rule read it as lasting only by luck)
    expect(await refusing(refusal('kept out by its operator', true))).toEqual({ reason: 'kept out by its operator', lasting: true })
    // a reason that reads as lasting, said not to: it does not (a responder's words may change between versions)
    expect(await refusing(refusal('two processes run its identity', false))).toEqual({ reason: 'two processes run its identity', lasting: false })
    // a responder of 2026-12-01 sends `refused` without `lasting`: read by its reason, as it was then
    const unsaid = (message: string): Uint8Array => response({ status: SyncResponse.Status.ERROR, refused: true, message, done: true })
    expect(await refusing(unsaid('two processes run its identity'))).toEqual({ reason: 'two processes run its identity', lasting: true })
    expect(await refusing(unsaid('not a member of this network'))).toEqual({ reason: 'not a member of this network', lasting: false })
  })

  it('refuses to work when stopped', async () => {
    const a = await net.add()
    const b = await net.add()
    await b.service.stop()
    await expect(b.service.tip(a.peerId, CHAIN)).rejects.toMatchObject({ name: 'NotStartedError' })
  })

  it('catches up again as the remote chain grows', async () => {
    const a = await net.add()
    const b = await net.add()
    const blocks = chainOf(CHAIN, 10)
    await fill(a.store, blocks)
    await b.service.fetch(a.peerId, CHAIN)
    await fill(a.store, buildChain(tipOf(blocks[9]), 5))
    const second = await b.service.fetch(a.peerId, CHAIN)
    expect(second.fetched).toBe(5)
    await expectSameChain(a.store, b.store)
  })

  describe('vouched fetches (a tip the chain\'s owner signed)', () => {
    const vouch = (block: Block): () => SyncAuthority => () => ({ trust: 'tip', height: block.header.height, hash: block.hash })
    /** The real chain up to `at`, then `n` blocks of the forger's making, linked as a chain should be. */
    const extendedBy = (real: Block[], at: number, n: number): Block[] =>
      [...real.slice(0, at), ...buildChain(tipOf(real[at - 1]), n, h => ({ transactions: [{ key: 'gps/latest', value: enc.encode(`forged ${h}`) }] }))]

    it('stores nothing from a peer whose linked blocks do not lead to the signed tip', async () => {
      const real = chainOf(CHAIN, 40)
      const forger = await net.add({ frameBytes: 2_000 })
      // real up to 20, then 25 blocks of its own that link perfectly
      await fill(forger.store, extendedBy(real, 20, 25))
      const b = await net.add({}, new MemoryChainStore(), 'victim', vouch(real[29]))
      await fill(b.store, real.slice(0, 10))
      await expect(b.service.fetch(forger.peerId, CHAIN)).rejects.toMatchObject({ name: 'InvalidBlockError', reason: 'Unvouched' })
      // the headers came first: not even the real blocks 11..20 it sent were stored
      expect((await b.store.tip(CHAIN)).height).toBe(10)
    })

    it('checks each block against the signed headers: a forged payload under a real header chain stops the fetch there', async () => {
      const real = chainOf(CHAIN, 40)
      const inner = new MemoryChainStore()
      await fill(inner, real)
      // honest headers, forged block 25 when it serves blocks
      const liar = await net.add({ frameBytes: 1 }, lyingStore(inner, 25, forge))
      const b = await net.add({}, new MemoryChainStore(), 'victim', vouch(real[39]))
      await expect(b.service.fetch(liar.peerId, CHAIN)).rejects.toMatchObject({ name: 'InvalidBlockError', reason: 'Unvouched' })
      // what it kept is the real chain, below the forged block
      const kept = await expectVerifies(b.store)
      expect(kept).toBeGreaterThanOrEqual(20)
      expect(kept).toBeLessThan(25)
      expect((await b.store.tip(CHAIN)).hash).toEqual(real[kept - 1].hash)
    })

    it('a tip the caller vouches for (consensus told it) bounds the fetch whatever the authority says of the peer', async () => {
      const real = chainOf(CHAIN, 30)
      const forger = await net.add()
      await fill(forger.store, extendedBy(real, 20, 10))
      const b = await net.add()
      await expect(b.service.fetch(forger.peerId, CHAIN, { to: 30, vouch: { height: 30, hash: real[29].hash } }))
        .rejects.toMatchObject({ name: 'InvalidBlockError', reason: 'Unvouched' })
      expect((await b.store.tip(CHAIN)).height).toBe(0)
      const result = await b.service.fetch(forger.peerId, CHAIN, { to: 15, vouch: { height: 15, hash: real[14].hash } })
      expect(result.fetched).toBe(15)
      expect((await b.store.tip(CHAIN)).hash).toEqual(real[14].hash)
    })

    it('fetches up to the signed tip and no further, whatever the peer offers beyond it', async () => {
      const real = chainOf(CHAIN, 30)
      const peer = await net.add({ frameBytes: 3_000 })
      await fill(peer.store, extendedBy(real, 30, 10))
      const b = await net.add({}, new MemoryChainStore(), 'victim', vouch(real[29]))
      await fill(b.store, real.slice(0, 5))
      const [result] = await b.service.reconcile(CHAIN)
      expect(result).toMatchObject({ before: 5, after: 30, dropped: [] })
      expect((await b.store.tip(CHAIN)).hash).toEqual(real[29].hash)
      expect(await expectVerifies(b.store)).toBe(30)
      // at the signed tip there is nothing more to take from that peer
      expect((await b.service.fetch(peer.peerId, CHAIN)).fetched).toBe(0)
    })

    it('reconcile drops the forger and completes from an honest peer; peers nobody vouches for, or behind the signed tip, are not asked for blocks', async () => {
      const real = chainOf(CHAIN, 40)
      const forger = await net.add({}, new MemoryChainStore(), 'forger')
      await fill(forger.store, extendedBy(real, 30, 20))
      // both reach the signed 35; the forger claims more (50), so it is tried first
      const honest = await net.add({}, new MemoryChainStore(), 'honest')
      await fill(honest.store, real)
      // an honest peer behind the signed tip cannot be checked against it: not asked
      const behind = await net.add({}, new MemoryChainStore(), 'behind')
      await fill(behind.store, real.slice(0, 30))
      const stranger = await net.add({}, new MemoryChainStore(), 'stranger')
      await fill(stranger.store, real)
      const forgerId = forger.peerId.toString()
      const strangerId = stranger.peerId.toString()
      const authority = (_chainId: string, peer: { toString: () => string }): SyncAuthority =>
        peer.toString() === strangerId ? { trust: 'none', reason: 'not the owner, no signed table' } : { trust: 'tip', height: 35, hash: real[34].hash }
      const b = await net.add({}, new MemoryChainStore(), 'victim', authority)
      await fill(b.store, real.slice(0, 10))
      const [result] = await b.service.reconcile(CHAIN)
      expect(result.after).toBe(35)
      expect(result.dropped.map(d => d.peer)).toEqual([forgerId])
      expect(result.dropped[0].reason).toContain('Unvouched')
      expect(result.sources).toEqual([honest.peerId.toString()])
      expect(await expectVerifies(b.store)).toBe(35)
      expect((await b.store.tip(CHAIN)).hash).toEqual(real[34].hash)
      await expect(b.service.fetch(stranger.peerId, CHAIN)).rejects.toMatchObject({ name: 'NotVouchedError' })
    })
  })
})
