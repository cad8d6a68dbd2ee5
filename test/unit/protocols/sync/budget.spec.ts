/**
 * The responder's serve budget: requesters that open many BLOCKS streams with
 * the largest credit and never read cannot make it hold more than the budget
 * of unacknowledged frames, and an honest fetch still completes meanwhile.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream, streamPair } from '@libp2p/utils'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SyncRequest } from '../../../../src/protocols/sync/pb/sync.ts'
import { serveBudget, ServeBudget } from '../../../../src/protocols/sync/handler.ts'
import { MAX_INBOUND_STREAMS, MAX_WINDOW_BYTES, PEER_READERS, PEER_SERVE_BUDGET_BYTES, SERVE_BUDGET_BYTES } from '../../../../src/protocols/sync/constants.ts'
import { TestNetwork } from './network.ts'
import type { TestNode } from './network.ts'
import { chainOf, enc, levelHarness } from '../../storage/helpers.ts'
import type { StoreHarness } from '../../storage/helpers.ts'
import { MemoryChainStore } from '../../../../src/storage/index.ts'
import type { ChainStore } from '../../../../src/storage/index.ts'
import { encodeBlock, MAX_PEER_ID_BYTES } from '../../../../src/chain/index.ts'
import { decodeResponse, framedSize } from '../../../../src/protocols/sync/messages.ts'
import { waitFor } from '../../../utils/wait.ts'

const CHAIN = 'vehicle-1'
const MiB = 1024 * 1024
/** 24 blocks of 1 MiB: more than one peer may have in flight, less than the budget. */
const BLOCKS = 24

/**
 * A raw requester's stream to `victim`, its BLOCKS request (everything, with
 * `credit`) sent: `served` settles when the victim's handler is done.
 */
async function rawRequest (victim: TestNode, requester: PeerId, streams: Stream[], credit: number, headers = false): Promise<{ outbound: Stream, lp: ReturnType<typeof lpStream>, served: Promise<void> }> {
  const protocol = victim.service.protocol
  const handler = victim.handlers.get(protocol)
  if (handler == null) throw new Error('no sync handler')
  // a read buffer large enough that the requester's side never resets: what it holds is what the victim sent
  const [outbound, inbound] = await streamPair({ protocol, outbound: { maxReadBufferLength: 1024 * MiB } })
  streams.push(outbound, inbound)
  const connection = { remotePeer: requester, status: 'open' } as unknown as Connection
  const served = Promise.resolve(handler(inbound, connection))
  served.catch(() => {})
  // nor its reader's buffer (4 MiB by default: it reset a stream that held more)
  const lp = lpStream(outbound, { maxBufferSize: 1024 * MiB, maxDataLength: 64 * MiB })
  await lp.write(SyncRequest.encode({ type: SyncRequest.Type.BLOCKS, chainId: CHAIN, from: 1, to: 0, credit, headers }))
  return { outbound, lp, served }
}

/** Opens a BLOCKS stream to `victim` asking for everything with the largest credit, and never reads it. */
async function rogueStream (victim: TestNode, rogue: PeerId, streams: Stream[]): Promise<void> {
  await rawRequest(victim, rogue, streams, 64 * MiB)
}

const newPeer = async (): Promise<PeerId> => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))

/** Store reads begun: what a store reads ahead is held outside the budget, so only PEER_READERS streams of a peer may read. */
interface Opened { count: number }

/** `inner`, telling the framed size of every header it reads, and counting the reads of headers begun in `opened`. */
function countingHeaders (inner: ChainStore, onRead: (bytes: number) => void, opened: Opened = { count: 0 }): ChainStore {
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'headers') {
        return async function * (chainId: string, options: Parameters<ChainStore['headers']>[1]) {
          opened.count++
          for await (const entry of target.headers(chainId, options)) {
            onRead(framedSize(encodeBlock(entry.block)))
            yield entry
          }
        }
      }
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

/** `inner`, counting the bytes of every run it reads (once the caller's beforeRead let it), and the reads of runs begun in `opened`. */
function countingRuns (inner: ChainStore, onRead: (bytes: number) => void, opened: Opened = { count: 0 }): ChainStore {
  return new Proxy(inner, {
    get (target, prop) {
      if (prop === 'runs') {
        return (chainId: string, options: Parameters<ChainStore['runs']>[1]) => {
          opened.count++
          return target.runs(chainId, {
            ...options,
            beforeRead: async bytes => {
              await options.beforeRead?.(bytes)
              onRead(bytes)
            }
          })
        }
      }
      const value = Reflect.get(target, prop) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
}

describe('protocols - sync serve budget', () => {
  const net = new TestNetwork()
  const streams: Stream[] = []
  const harnesses: StoreHarness[] = []
  afterEach(async () => {
    for (const s of streams) s.abort(new Error('test over'))
    streams.length = 0
    await net.teardown()
    net.nodes.length = 0
    for (const h of harnesses) await h.cleanup()
    harnesses.length = 0
  })

  it('many streams that never read hold at most the budget; an honest fetch completes meanwhile', async () => {
    // rogue streams time out after a second without a CREDIT
    const victim = await net.add({ timeout: 1_000 })
    await victim.store.appendMany(chainOf(CHAIN, BLOCKS, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
    const honest = await net.add()
    const budget = serveBudget(victim.store)

    // two rogue peers, each with a connection's worth of streams
    const rogues = await Promise.all([0, 1].map(newPeer))
    for (const rogue of rogues) {
      for (let i = 0; i < MAX_INBOUND_STREAMS; i++) await rogueStream(victim, rogue, streams)
    }
    // each rogue fills its share and its other streams queue for more
    await waitFor(() => budget.waiting > 0 && rogues.every(r => budget.inFlight(r.toString()) > PEER_SERVE_BUDGET_BYTES - 2 * MiB), { message: 'the rogues\' shares to fill' })
    const received = (): number => streams.reduce((n, s) => n + (s.direction === 'outbound' ? s.readBufferLength : 0), 0)
    for (const rogue of rogues) expect(budget.inFlight(rogue.toString())).toBeLessThanOrEqual(PEER_SERVE_BUDGET_BYTES)
    expect(budget.inFlight()).toBeLessThanOrEqual(SERVE_BUDGET_BYTES)
    expect(received()).toBeLessThanOrEqual(SERVE_BUDGET_BYTES)

    const fetched = await honest.service.fetch(victim.peerId, CHAIN)
    expect(fetched).toMatchObject({ fetched: BLOCKS, complete: true })
    // never more than the budget in flight, at any moment
    expect(budget.peak).toBeLessThanOrEqual(SERVE_BUDGET_BYTES)
    expect(received()).toBeLessThanOrEqual(SERVE_BUDGET_BYTES)
    // the rogues' streams time out and give their share back
    await waitFor(() => budget.inFlight() === 0 && budget.waiting === 0, { message: 'the budget to drain' })
  }, 60_000)

  it('a run read ahead takes its room before it is read: streams that never read hold no blocks outside the budget', async () => {
    // LevelDB: its runs are read ahead, from segment files
    const harness = levelHarness()
    harnesses.push(harness)
    const inner = await harness.create()
    await inner.appendMany(chainOf(CHAIN, BLOCKS, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
    let read = 0
    const opened: Opened = { count: 0 }
    const victim = await net.add({}, countingRuns(inner, bytes => { read += bytes }, opened))
    const budget = serveBudget(victim.store)
    const rogue = await newPeer()
    for (let i = 0; i < MAX_INBOUND_STREAMS; i++) await rogueStream(victim, rogue, streams)
    // the rogue's share fills, its reading streams then wait for room, and the others for their turn to read
    await waitFor(() => budget.waiting === PEER_READERS && budget.waitingToRead === MAX_INBOUND_STREAMS - PEER_READERS, { message: 'every stream to wait' })
    expect(budget.inFlight(rogue.toString())).toBeGreaterThan(PEER_SERVE_BUDGET_BYTES - 2 * MiB)
    // each stream read what it sent, and nothing more: a stream waiting for room had read its next run (8 MiB
    // with the largest blocks) before it asked
    expect(read).toBeLessThanOrEqual(budget.inFlight(rogue.toString()))
    // and only a few began to read: the store's read-ahead (~3 MiB a stream with inline blocks) lies outside the
    // budget, and 32 streams waiting for room held ~113 MiB past the rogue's 16 MiB share
    expect(opened.count).toBe(PEER_READERS)
    expect(budget.reading(rogue.toString())).toBe(PEER_READERS)
  })

  it('a frame of headers takes its room header by header: streams that never read hold no headers outside the budget', async () => {
    const inner = new MemoryChainStore()
    // ~21 MiB of headers for each stream: more than a peer's whole share, so none of its streams can finish. Large
    // booths make large headers: 120k headers of three members took 14 s to build and append on a loaded machine,
    // and the test timed out in CI
    const booth = ['proposer-peer', ...Array.from({ length: 40 }, (_, i) => `member-${i}`.padEnd(MAX_PEER_ID_BYTES - 8, '-'))]
    await inner.appendMany(chainOf(CHAIN, 6_000, () => ({ booth })))
    let headerBytes = 0
    for await (const { block } of inner.headers(CHAIN, { from: 1, to: 1 })) headerBytes = framedSize(encodeBlock(block))
    expect(headerBytes * 6_000).toBeGreaterThan(PEER_SERVE_BUDGET_BYTES + 4 * MiB)
    let read = 0
    let largest = 0
    const opened: Opened = { count: 0 }
    const victim = await net.add({}, countingHeaders(inner, bytes => { read += bytes; largest = Math.max(largest, bytes) }, opened))
    const budget = serveBudget(victim.store)
    const rogue = await newPeer()
    for (let i = 0; i < MAX_INBOUND_STREAMS; i++) await rawRequest(victim, rogue, streams, 64 * MiB, true)
    // (one of them may wait for credit, not room, having taken the whole share alone)
    await waitFor(() => budget.waiting > 0 && budget.reading(rogue.toString()) === PEER_READERS && budget.waitingToRead === MAX_INBOUND_STREAMS - PEER_READERS, { message: 'every stream to wait' })
    expect(budget.inFlight(rogue.toString())).toBeGreaterThan(PEER_SERVE_BUDGET_BYTES - MiB)
    // each reading stream read what it took room for, and the one header it waits for room for
    expect(read - budget.inFlight(rogue.toString())).toBeLessThanOrEqual(PEER_READERS * largest)
    // the others read nothing yet (a store reads headers ahead too, outside the budget)
    expect(opened.count).toBe(MAX_INBOUND_STREAMS - budget.waitingToRead)
  })

  it('many streams of headers from one peer, more than its share holds frames of, are all served: a stream that must wait sends its frame first', async () => {
    const STREAMS = 17
    const HEADER_BLOCKS = 6_000
    const victim = await net.add({ timeout: 30_000 })
    // ~1.2 MiB of headers: more than a peer's share split over 17 streams (~0.94 MiB each) holds
    await victim.store.appendMany(chainOf(CHAIN, HEADER_BLOCKS))
    const requester = await newPeer()
    // an honest requester: reads every frame and credits it back
    const fetchHeaders = async (): Promise<number> => {
      const { lp } = await rawRequest(victim, requester, streams, MiB, true)
      let blocks = 0
      while (true) {
        const bytes = await lp.read()
        const res = decodeResponse(bytes)
        blocks += res.blocks.length
        if (res.done) return blocks
        await lp.write(SyncRequest.encode({ type: SyncRequest.Type.CREDIT, chainId: CHAIN, from: 0, to: 0, credit: bytes.byteLength, headers: false }))
      }
    }
    // 17 streams, each with a frame (up to 1 MiB) of headers under way: more than the peer's 16 MiB share
    const served = await Promise.all(Array.from({ length: STREAMS }, fetchHeaders))
    expect(served).toEqual(Array.from({ length: STREAMS }, () => HEADER_BLOCKS))
    await waitFor(() => serveBudget(victim.store).inFlight() === 0, { message: 'the room back' })
  }, 30_000)

  it('a requester that sends what is not a CREDIT is served no further, whatever credit it has left; its room goes back', async () => {
    const victim = await net.add()
    await victim.store.appendMany(chainOf(CHAIN, BLOCKS, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
    const { lp, served } = await rawRequest(victim, await newPeer(), streams, MAX_WINDOW_BYTES)
    // a TIP request where a CREDIT belongs
    await lp.write(SyncRequest.encode({ type: SyncRequest.Type.TIP, chainId: CHAIN, from: 0, to: 0, credit: 0, headers: false }))
    let received = 0
    try {
      while (true) received += (await lp.read({ signal: AbortSignal.timeout(10_000) })).byteLength
    } catch {
      // the responder ended the exchange
    }
    await served.catch(() => {})
    const budget = serveBudget(victim.store)
    await waitFor(() => budget.inFlight() === 0, { message: 'its room back' })
    // a window of 16 MiB would have let 16 frames of 1 MiB go before any credit was due
    expect(received).toBeLessThan(2 * MiB)
  })

  it('a stream that times out waiting for credit gives back the room of the run it had read for it', async () => {
    const victim = await net.add({ timeout: 500 })
    await victim.store.appendMany(chainOf(CHAIN, 4, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
    // credit for about one frame, and never a CREDIT after it: the next run is read, then waits for credit in vain
    const { served } = await rawRequest(victim, await newPeer(), streams, MiB)
    await served.catch(() => {})
    await waitFor(() => serveBudget(victim.store).inFlight() === 0, { message: 'its room back' })
  })

  it('a requester that credits a byte now and then, never enough to send on, times out like one that credits nothing', async () => {
    const victim = await net.add({ timeout: 1_000 })
    await victim.store.appendMany(chainOf(CHAIN, 4, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
    // a byte of credit: one frame goes, and the credit is about -1 MiB after it
    const { lp, served } = await rawRequest(victim, await newPeer(), streams, 1)
    let ended = false
    void served.catch(() => {}).finally(() => { ended = true })
    const byte = SyncRequest.encode({ type: SyncRequest.Type.CREDIT, chainId: CHAIN, from: 0, to: 0, credit: 1, headers: false })
    // a byte every 200 ms: each restarted the 1 s wait for credit, and the stream held its room for good
    const trickle = setInterval(() => { lp.write(byte).catch(() => {}) }, 200)
    try {
      await waitFor(() => ended && serveBudget(victim.store).inFlight() === 0, { timeout: 10_000, message: 'the exchange to time out and give its room back' })
    } finally {
      clearInterval(trickle)
    }
  })

  for (const halfClosed of [false, true]) {
    it(`streams their requester resets give their room back at once, also those waiting for room${halfClosed ? ', and also after it closed its write side' : ''}`, async () => {
      // the timeout would give it back only after 30 s
      const victim = await net.add({ timeout: 30_000 })
      await victim.store.appendMany(chainOf(CHAIN, BLOCKS, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(MiB - 1024, 'x')) }] })))
      const budget = serveBudget(victim.store)
      const rogue = await newPeer()
      for (let i = 0; i < MAX_INBOUND_STREAMS; i++) await rogueStream(victim, rogue, streams)
      const everyStreamWaits = (): boolean => budget.waiting === PEER_READERS && budget.waitingToRead === MAX_INBOUND_STREAMS - PEER_READERS
      await waitFor(everyStreamWaits, { message: 'every stream to wait for room or its turn' })
      const outbound = streams.filter(s => s.direction === 'outbound')
      if (halfClosed) {
        // its credit may still be spent after a half-close: that alone ends nothing
        await Promise.all(outbound.map(async s => { await s.close() }))
        expect(everyStreamWaits()).toBe(true)
      }
      for (const s of outbound) s.abort(new Error('the requester went away'))
      await waitFor(() => budget.inFlight() === 0 && budget.waiting === 0 && budget.waitingToRead === 0 && budget.reading() === 0, { timeout: 5_000, message: 'the room and the turns back' })
    })
  }

  it('requesters whose windows exceed their share of the budget are served (a stream\'s own credits give its room back)', async () => {
    const victim = await net.add({ frameBytes: 64 * 1024 })
    await victim.store.appendMany(chainOf(CHAIN, 400, h => ({ transactions: [{ key: `k${h}`, value: enc.encode(String(h).padEnd(16 * 1024, 'x')) }] })))
    const a = await net.add({ windowBytes: MAX_WINDOW_BYTES })
    const b = await net.add({ windowBytes: MAX_WINDOW_BYTES })
    const [ra, rb] = await Promise.all([a.service.fetch(victim.peerId, CHAIN), b.service.fetch(victim.peerId, CHAIN)])
    expect(ra.fetched).toBe(400)
    expect(rb.fetched).toBe(400)
    expect(serveBudget(victim.store).inFlight()).toBe(0)
  })

  it('serves waiters first come, first served, within each peer\'s share, and gives room back when a wait is abandoned', async () => {
    const budget = new ServeBudget(10, 6)
    const never = new AbortController().signal
    await budget.acquire(6, 'a', never)
    const order: string[] = []
    // b fits its share but not the total: it waits, and nobody overtakes it
    const first = budget.acquire(5, 'b', never).then(() => { order.push('b 5') })
    const gaveUp = new AbortController()
    const abandoned = budget.acquire(1, 'c', gaveUp.signal)
    const later = budget.acquire(2, 'c', never).then(() => { order.push('c 2') })
    expect(budget.waiting).toBe(3)
    gaveUp.abort(new Error('timed out'))
    await expect(abandoned).rejects.toThrow('timed out')
    // a's share is full: a waits without holding up the others
    const more = budget.acquire(1, 'a', never).then(() => { order.push('a 1') })
    budget.release(6, 'a')
    await Promise.all([first, later, more])
    expect(order).toEqual(['b 5', 'c 2', 'a 1'])
    expect(budget.inFlight()).toBe(8)
    expect(budget.inFlight('b')).toBe(5)
    // a request larger than the whole budget goes through once nothing is in flight
    budget.release(5, 'b')
    budget.release(2, 'c')
    budget.release(1, 'a')
    await budget.acquire(50, 'd', never)
    expect(budget.peak).toBe(50)
  })

  it('lets a few streams of a peer read at once, the others in turn, first come, first served; an abandoned wait gives up its place', async () => {
    const budget = new ServeBudget(10, 6, 2)
    const never = new AbortController().signal
    await budget.beginReading('a', never)
    await budget.beginReading('a', never)
    // another peer has turns of its own
    await budget.beginReading('b', never)
    const order: string[] = []
    const third = budget.beginReading('a', never).then(() => { order.push('third') })
    const gaveUp = new AbortController()
    const abandoned = budget.beginReading('a', gaveUp.signal)
    const fifth = budget.beginReading('a', never).then(() => { order.push('fifth') })
    expect(budget.waitingToRead).toBe(3)
    gaveUp.abort(new Error('timed out'))
    await expect(abandoned).rejects.toThrow('timed out')
    expect(budget.waitingToRead).toBe(2)
    budget.endReading('a')
    await third
    budget.endReading('a')
    await fifth
    expect(order).toEqual(['third', 'fifth'])
    expect(budget.reading('a')).toBe(2)
    expect(budget.reading()).toBe(3)
    budget.endReading('a')
    budget.endReading('a')
    budget.endReading('b')
    expect(budget.reading()).toBe(0)
    // a stream that comes while others wait does not overtake them
    await budget.beginReading('a', never)
    await budget.beginReading('a', never)
    const waiting = budget.beginReading('a', never).then(() => { order.push('waiting') })
    budget.endReading('a')
    const late = budget.beginReading('a', never).then(() => { order.push('late') })
    await waiting
    budget.endReading('a')
    await late
    expect(order.slice(2)).toEqual(['waiting', 'late'])
  })
})
