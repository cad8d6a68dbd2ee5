/**
 * The asking side of /vguard/sync/1.0.0 against a responder that lies or is
 * broken, over real libp2p (TCP on 127.0.0.1) and real LevelDB: a member
 * whose sync handler is replaced by a hand-written one answers a node's
 * tip and block requests badly. The asker must keep only verified blocks
 * (nothing it held lost, nothing wrong appended), fail with a typed error
 * that names what the peer did, and go on with honest peers without waiting
 * on the broken one.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { prefixLogger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import type { ComponentLogger, Logger, Stream } from '@libp2p/interface'
import { format } from 'node:util'
import { emptyTip, tipOf, verifyBlock } from '../../src/chain/index.ts'
import type { Block, ChainTip } from '../../src/chain/index.ts'
import { sync } from '../../src/protocols/sync/index.ts'
import type { Sync } from '../../src/protocols/sync/index.ts'
import { SyncRequest } from '../../src/protocols/sync/pb/sync.ts'
import { response } from '../../src/protocols/sync/messages.ts'
import type { SyncResponse } from '../../src/protocols/sync/pb/sync.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReconcileOnConnect } from '../../src/node/reconcile-on-connect.ts'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { capturingLogger } from '../utils/log-capture.ts'
import { buildChain, collect, enc } from '../unit/storage/helpers.ts'

const CHAIN = 'vehicle-7'
const addr = (n: VGuardNode): string => n.multiaddrs[0].toString()

function blocksAfter (tip: ChainTip, n: number): Block[] {
  return buildChain(tip, n, h => ({ timestamp: Date.now(), transactions: [{ key: `gps/${h}`, value: enc.encode(`{"lat":49.${h}}`) }] }))
}

/** One payload byte flipped, nothing recomputed: the header (and so every link) stays as it was. */
function tamper (block: Block): Block {
  const payload = new Uint8Array(block.payload ?? [])
  payload[payload.length - 1] ^= 1
  return { ...block, payload }
}

function frame (blocks: Block[], fields: Partial<SyncResponse> = {}): Uint8Array {
  return response({ blocks: blocks.map(b => ({ header: new Uint8Array(b.headerBytes), payload: b.payload == null ? undefined : new Uint8Array(b.payload) })), ...fields })
}

async function verifiedHashes (node: VGuardNode, chainId = CHAIN): Promise<Uint8Array[]> {
  let prev: ChainTip = emptyTip(chainId)
  const hashes: Uint8Array[] = []
  for (const b of await collect(node.chains.blocks(chainId))) {
    verifyBlock(b, prev)
    prev = tipOf(b)
    hashes.push(b.hash)
  }
  return hashes
}

/** What a hostile handler saw of one stream. */
interface Seen { requests: SyncRequest[], ended: boolean }

describe('sync - the asker against a lying or broken responder', () => {
  const cluster = new TestCluster()
  const extra: Sync[] = []
  afterEach(async () => {
    await Promise.all(extra.splice(0).map(async s => { await s.stop() }))
    await cluster.teardown()
  })

  /** Started, connected nodes holding nothing yet (so reconcile-on-connect has nothing to do). */
  async function nodes (n: number): Promise<VGuardNode[]> {
    const first = await cluster.create()
    await first.start()
    const rest: VGuardNode[] = []
    for (let i = 1; i < n; i++) {
      const node = await cluster.create({ bootstrap: [addr(first)] })
      await node.start()
      rest.push(node)
    }
    const all = [first, ...rest]
    await waitFor(() => fullyConnected(all), { message: `${n} connected` })
    return all
  }

  /**
   * `liar` answers sync with `answer` from now on (its own sync service
   * stopped); every stream it was opened is recorded, and ended once the
   * asker gave it up (its read ends or fails).
   */
  async function hostile (liar: VGuardNode, answer: (req: SyncRequest, write: (bytes: Uint8Array) => Promise<void>, stream: Stream) => Promise<void>): Promise<Seen[]> {
    const seen: Seen[] = []
    await liar.sync.stop()
    await liar.libp2p.handle(liar.sync.protocol, async (stream) => {
      const s: Seen = { requests: [], ended: false }
      seen.push(s)
      const lp = lpStream(stream, { maxDataLength: 64 * 1024 * 1024 })
      try {
        const req = SyncRequest.decode(await lp.read())
        s.requests.push(req)
        // credits and the asker's end of the stream, read as they come
        void (async () => {
          try {
            while (true) s.requests.push(SyncRequest.decode(await lp.read()))
          } catch {
            s.ended = true
          }
        })()
        await answer(req, async (bytes) => { await lp.write(bytes) }, stream)
      } catch (err) {
        stream.abort(err as Error)
      }
    })
    return seen
  }

  /** The asker's sync service replaced by one with these settings (the node's own is stopped). */
  async function asker (node: VGuardNode, init: Parameters<typeof sync>[0], logger: ComponentLogger = prefixLogger('asker')): Promise<Sync> {
    await node.sync.stop()
    const service = sync(init)({ libp2p: node.libp2p, store: node.chains, logger, peers: () => [] })
    await service.start()
    extra.push(service)
    return service
  }

  it('a peer that sends a block the store rejects and then goes silent is dropped for that block at once, not timed out', async () => {
    const [b, liar] = await nodes(2)
    const chain = blocksAfter(emptyTip(CHAIN), 20)
    await b.chains.appendMany(chain.slice(0, 10))
    // asked from 11, it sends 11..15 with a payload of 12 flipped (its header, and so every link, is
    // the real one: only the store's payload check finds it), then says nothing more
    const seen = await hostile(liar, async (req, write) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ height: 20, tipHash: chain[19].hash as Uint8Array<ArrayBuffer>, done: true }))
      await write(frame([chain[10], tamper(chain[11]), ...chain.slice(12, 15)]))
      await new Promise(() => {})
    })
    const err = await b.sync.fetch(liar.peerId, CHAIN).catch((e: Error & { reason?: string }) => e)
    expect(err).toMatchObject({ name: 'InvalidBlockError', reason: 'BadPayloadHash' })
    await waitFor(() => seen[0]?.ended === true, { message: 'the liar\'s stream ended' })
    expect(await verifiedHashes(b)).toEqual(chain.slice(0, 10).map(x => x.hash))

    // in a reconcile it is dropped for the bad block: a peer that serves one is not asked again
    const [result] = await b.sync.reconcile(CHAIN, { peers: [liar.peerId] })
    expect(result.dropped).toMatchObject([{ peer: liar.peerId.toString(), error: 'InvalidBlockError' }])
    expect(result.after).toBe(10)
  })

  it('a peer that never answers a tip does not hold up a reconcile of the same chain with an honest peer', async () => {
    const [b, honest, silent] = await nodes(3)
    const chain = blocksAfter(emptyTip(CHAIN), 20)
    await b.chains.appendMany(chain.slice(0, 10))
    await honest.chains.appendMany(chain)
    let released = (): void => {}
    const seen = await hostile(silent, async () => {
      // reads the request, answers nothing until the test ends it
      await new Promise<void>(resolve => { released = resolve })
    })
    // a tip timeout far longer than the test waits: only not waiting on the silent peer passes
    const service = await asker(b, { tipTimeout: 120_000 })
    const stuck = service.reconcile(undefined, { peers: [silent.peerId] })
    await waitFor(() => seen.length === 1 && seen[0].requests.length === 1, { message: 'the silent peer was asked its tip' })
    let done = false
    const caughtUp = service.reconcile(CHAIN, { peers: [honest.peerId] }).then((r) => { done = true; return r })
    await waitFor(() => done, { timeout: 30_000, message: 'the honest reconcile ended while the silent peer still held its tip' })
    const [result] = await caughtUp
    expect(result).toMatchObject({ before: 10, after: 20, sources: [honest.peerId.toString()], dropped: [] })
    expect(seen[0].ended).toBe(false)
    // the silent one, given up (the service stops), took nothing
    released()
    await service.stop()
    const [late] = await stuck
    expect(late.unreachable).toEqual([silent.peerId.toString()])
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 90_000)

  it('a peer that answers its tip and then stalls its blocks does not hold up a reconcile of the same chain with an honest peer', async () => {
    const [b, honest, staller] = await nodes(3)
    const chain = blocksAfter(emptyTip(CHAIN), 30)
    await b.chains.appendMany(chain.slice(0, 10))
    await honest.chains.appendMany(chain.slice(0, 20))
    let released = (): void => {}
    // it claims 30, sends 11 and 12, then nothing until the test ends it
    const seen = await hostile(staller, async (req, write) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ height: 30, tipHash: chain[29].hash as Uint8Array<ArrayBuffer>, done: true }))
      await write(frame(chain.slice(10, 12)))
      await new Promise<void>(resolve => { released = resolve })
    })
    // a per-message timeout far longer than the test waits: only not waiting out the stall passes
    const service = await asker(b, { timeout: 120_000 })
    const stuck = service.reconcile(CHAIN, { peers: [staller.peerId] })
    const blocksAsked = (): Seen | undefined => seen.find(x => x.requests[0]?.type === SyncRequest.Type.BLOCKS)
    await waitFor(async () => blocksAsked() != null && (await b.chains.tip(CHAIN)).height === 11, { message: 'the staller was asked for blocks and its first one stored' })
    let done = false
    const caughtUp = service.reconcile(CHAIN, { peers: [honest.peerId] }).then((r) => { done = true; return r })
    await waitFor(() => done, { timeout: 60_000, message: 'the honest reconcile ended while the staller still held its blocks' })
    const [result] = await caughtUp
    expect(result).toMatchObject({ after: 20, sources: [honest.peerId.toString()], dropped: [] })
    // the staller's stream was still held open, its fetch not given up
    expect(blocksAsked()?.ended).toBe(false)
    released()
    await service.stop()
    const [late] = await stuck
    expect(late.dropped).toMatchObject([{ peer: staller.peerId.toString() }])
    expect(await verifiedHashes(b)).toEqual(chain.slice(0, 20).map(x => x.hash))
  }, 120_000)

  /**
   * `peer` answers its tip as `chain`'s last block and serves the blocks asked for, as frames of two; on
   * the first BLOCKS stream it pauses after its first frame until the returned function is called.
   */
  async function pausing (peer: VGuardNode, chain: Block[]): Promise<{ seen: Seen[], resume: () => void }> {
    let resume = (): void => {}
    const paused = new Promise<void>(resolve => { resume = resolve })
    const seen = await hostile(peer, async (req, write) => {
      const tip = chain[chain.length - 1]
      if (req.type === SyncRequest.Type.TIP) return await write(response({ height: chain.length, tipHash: tip.hash as Uint8Array<ArrayBuffer>, done: true }))
      const first = seen.filter(s => s.requests[0]?.type === SyncRequest.Type.BLOCKS)[0]?.requests[0] === req
      const wanted = chain.slice(req.from - 1)
      for (let i = 0; i < wanted.length; i += 2) {
        await write(frame(wanted.slice(i, i + 2)))
        if (first && i === 0) await paused
      }
      await write(response({ done: true }))
    })
    return { seen, resume }
  }

  const blockStreams = (seen: Seen[]): Seen[] => seen.filter(s => s.requests[0]?.type === SyncRequest.Type.BLOCKS)
  /** Whether `times` reconciles said they wait for a fetch another one handed over. */
  const waitsLogged = (messages: Array<{ format: string }>, times = 1): boolean => messages.filter(m => m.format.includes('handed over earlier')).length >= times

  /**
   * B holding the first 10 blocks of a 30-block chain that `slow` serves pausing after its first frame
   * (pausing), and B's sync service with its log captured.
   */
  async function pausedTwenty (init: Parameters<typeof sync>[0]): Promise<{ b: VGuardNode, slow: VGuardNode, chain: Block[], seen: Seen[], resume: () => void, messages: Array<{ format: string }>, service: Sync }> {
    const [b, slow] = await nodes(2)
    const chain = blocksAfter(emptyTip(CHAIN), 30)
    await b.chains.appendMany(chain.slice(0, 10))
    const { seen, resume } = await pausing(slow, chain)
    const { logger, messages } = capturingLogger('vguard:sync')
    return { b, slow, chain, seen, resume, messages, service: await asker(b, init, logger) }
  }

  it('a fetch that pauses past the stall grace and goes on is not fetched again beside it by the next reconcile: each block comes once', async () => {
    const { b, slow, chain, seen, resume, messages, service } = await pausedTwenty({ timeout: 120_000, stallGrace: 200 })
    const first = service.reconcile(CHAIN, { peers: [slow.peerId] })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 11, { message: 'the first frame stored' })
    // a second reconcile of the chain, from the same peer, takes the turn the paused fetch hands over
    const second = service.reconcile(CHAIN, { peers: [slow.peerId] })
    await waitFor(() => blockStreams(seen).length >= 2 || waitsLogged(messages), { timeout: 30_000, message: 'the second reconcile took the turn' })
    resume()
    const [[one], [two]] = await Promise.all([first, second])
    // until 2026-12-03 the second reconcile asked for 13..30 again on a stream of its own
    expect(blockStreams(seen)).toHaveLength(1)
    expect(one).toMatchObject({ after: 30, sources: [slow.peerId.toString()], dropped: [] })
    expect(two).toMatchObject({ after: 30, dropped: [] })
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 90_000)

  it('reconciles that take the turn of a stalled fetch do not open a stream each to the staller, and go on with an honest peer', async () => {
    const [b, honest, staller] = await nodes(3)
    const chain = blocksAfter(emptyTip(CHAIN), 30)
    await b.chains.appendMany(chain.slice(0, 10))
    await honest.chains.appendMany(chain.slice(0, 20))
    const { seen, resume } = await pausing(staller, chain)
    const { logger, messages } = capturingLogger('vguard:sync')
    const service = await asker(b, { timeout: 120_000, stallGrace: 200 }, logger)
    const first = service.reconcile(CHAIN, { peers: [staller.peerId] })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 11, { message: 'the staller\'s first frame stored' })
    // the staller claims the most: each later reconcile would ask it first
    const later = [service.reconcile(CHAIN, { peers: [staller.peerId, honest.peerId] }), service.reconcile(CHAIN, { peers: [staller.peerId, honest.peerId] })]
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 20, { timeout: 30_000, message: 'the honest peer\'s blocks stored' })
    await waitFor(() => blockStreams(seen).length >= 2 || waitsLogged(messages, 2), { timeout: 30_000, message: 'both later reconciles took the turn' })
    // until 2026-12-03 each reconcile opened a stream of its own to the staller, each held until it timed out
    expect(blockStreams(seen)).toHaveLength(1)
    resume()
    const results = (await Promise.all([first, ...later])).map(([r]) => r)
    for (const r of results) expect(r).toMatchObject({ after: 30, dropped: [] })
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 90_000)

  // consensus fetches a chain with the block it decided as the vouch (paxos-driver.ts: a snapshot's point,
  // our own chain's recovery); reconcile-on-connect may fetch the same chain from the same peer meanwhile
  const vouchOf = (chain: Block[]): { height: number, hash: Uint8Array } => ({ height: chain.length, hash: chain[chain.length - 1].hash })

  it('a vouched fetch asked for while a reconcile fetches the chain from the same peer waits for that fetch, not asks the peer again beside it', async () => {
    const { b, slow, chain, seen, resume, messages, service } = await pausedTwenty({ timeout: 120_000 })
    const reconciled = service.reconcile(CHAIN, { peers: [slow.peerId] })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 11, { message: 'the reconcile\'s first frame stored' })
    let fetchEnded = false
    const fetched = service.fetch(slow.peerId, CHAIN, { to: 30, vouch: vouchOf(chain) }).finally(() => { fetchEnded = true })
    await waitFor(() => blockStreams(seen).length >= 2 || messages.some(m => m.format.includes('waits for the one running')), { timeout: 30_000, message: 'the fetch asked the peer or waited' })
    // until 2026-12-03 it asked for 11..30 (headers, then blocks) on streams of its own while the reconcile's fetch paused
    expect(blockStreams(seen)).toHaveLength(1)
    expect(fetchEnded).toBe(false)
    resume()
    const [[result], got] = await Promise.all([reconciled, fetched])
    expect(result).toMatchObject({ after: 30, sources: [slow.peerId.toString()], dropped: [] })
    expect(got.tip.height).toBe(30)
    expect(blockStreams(seen)).toHaveLength(1)
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 90_000)

  it('a reconcile asked for while a vouched fetch of the chain from the same peer runs waits for it: the fetch is not told the chain moved on', async () => {
    // the fetch's first stream is its headers': it pauses after their first frame
    const { b, slow, chain, seen, resume, messages, service } = await pausedTwenty({ timeout: 120_000 })
    const fetched = service.fetch(slow.peerId, CHAIN, { to: 30, vouch: vouchOf(chain) }).catch((err: Error) => err)
    await waitFor(() => blockStreams(seen).length === 1 && blockStreams(seen)[0].requests.length > 1, { timeout: 30_000, message: 'the fetch\'s first frame of headers credited' })
    const reconciled = service.reconcile(CHAIN, { peers: [slow.peerId] })
    await waitFor(() => blockStreams(seen).length >= 2 || messages.some(m => m.format.includes('runs beside it')), { timeout: 30_000, message: 'the reconcile asked the peer or waited' })
    resume()
    const [got, [result]] = await Promise.all([fetched, reconciled])
    // until 2026-12-03 the reconcile fetched 11..30 beside it, and the fetch failed: ChainMovedError
    expect(got).toMatchObject({ tip: { height: 30 }, fetched: 20 })
    expect(result).toMatchObject({ after: 30, dropped: [] })
    // the fetch's headers and its blocks: nothing more
    expect(blockStreams(seen)).toHaveLength(2)
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 90_000)

  /**
   * `peer` answers its tip as `chain`'s last block and sends the blocks asked for a block a frame, one
   * every 20 ms (far inside the stall grace), until `finish` lets it send the rest at once: a fetch
   * from it moves all along, and so keeps the chain's turn.
   */
  async function trickle (peer: VGuardNode, chain: Block[]): Promise<{ finish: () => void }> {
    let trickling = true
    await hostile(peer, async (req, write) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ height: chain.length, tipHash: chain[chain.length - 1].hash as Uint8Array<ArrayBuffer>, done: true }))
      for (let h = req.from; h <= chain.length; h++) {
        await write(frame([chain[h - 1]]))
        if (trickling) await new Promise(resolve => setTimeout(resolve, 20))
      }
      await write(response({ done: true }))
    })
    return { finish: () => { trickling = false } }
  }

  it('a reconcile whose caller aborts it while it waits for the chain\'s turn ends then, not once the turn frees', async () => {
    const [b, honest, trickler] = await nodes(3)
    const chain = blocksAfter(emptyTip(CHAIN), 2_000)
    await b.chains.appendMany(chain.slice(0, 10))
    await honest.chains.appendMany(chain.slice(0, 1_500))
    const { finish } = await trickle(trickler, chain)
    const service = await asker(b, { timeout: 120_000, stallGrace: 2_000 })
    let trickled = false
    const first = service.reconcile(CHAIN, { peers: [trickler.peerId] }).finally(() => { trickled = true })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 20, { timeout: 30_000, message: 'the trickler\'s blocks stored' })
    // asked the honest peer's tip, it waits for the turn the trickle keeps
    const aborting = new AbortController()
    let ended = false
    const second = service.reconcile(CHAIN, { peers: [honest.peerId], signal: aborting.signal }).finally(() => { ended = true })
    aborting.abort()
    // until 2026-12-03 it waited on until the trickle ended and the turn came to it
    await waitFor(() => ended, { timeout: 20_000, message: 'the aborted reconcile ended while the trickle held the turn' })
    expect(trickled).toBe(false)
    const [result] = await second
    expect(result).toMatchObject({ chainId: CHAIN, sources: [], dropped: [], noRoom: false })
    finish()
    const [caughtUp] = await first
    expect(caughtUp).toMatchObject({ after: chain.length, sources: [trickler.peerId.toString()], dropped: [] })
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 120_000)

  it('a reconcile whose caller aborts it while it waits to take the chain\'s turn again ends then, not once the turn frees', async () => {
    const [b, honest, staller, trickler] = await nodes(4)
    const chain = blocksAfter(emptyTip(CHAIN), 2_000)
    const claim = response({ height: chain.length, tipHash: chain[chain.length - 1].hash as Uint8Array<ArrayBuffer>, done: true })
    await b.chains.appendMany(chain.slice(0, 10))
    await honest.chains.appendMany(chain.slice(0, 1_500))
    // the staller claims the whole chain, sends 11 and 12, then nothing until the test has it break off
    let breakOff = (): void => {}
    await hostile(staller, async (req, write) => {
      if (req.type === SyncRequest.Type.TIP) return await write(claim)
      await write(frame(chain.slice(10, 12)))
      await new Promise<void>(resolve => { breakOff = resolve })
      throw new Error('the staller breaks off')
    })
    const { finish } = await trickle(trickler, chain)
    const { logger, messages } = capturingLogger('vguard:sync')
    const service = await asker(b, { timeout: 120_000, stallGrace: 2_000 }, logger)
    const aborting = new AbortController()
    let ended = false
    const first = service.reconcile(CHAIN, { peers: [staller.peerId, honest.peerId], signal: aborting.signal }).finally(() => { ended = true })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 11, { message: 'the staller\'s first block stored' })
    // it takes the turn the stalled fetch hands over, and the trickle keeps it
    let trickled = false
    const second = service.reconcile(CHAIN, { peers: [trickler.peerId] }).finally(() => { trickled = true })
    await waitFor(async () => (await b.chains.tip(CHAIN)).height >= 20, { timeout: 30_000, message: 'the trickler\'s blocks stored' })
    // the staller breaks off: the first reconcile goes on to the honest peer, and must take the turn again for it
    breakOff()
    await waitFor(() => messages.some(m => m.format.includes('waits for its turn again')), { timeout: 30_000, message: 'the first reconcile waits for its turn' })
    aborting.abort()
    // until 2026-12-03 it waited on until the trickle ended and the turn came back to it
    await waitFor(() => ended, { timeout: 20_000, message: 'the aborted reconcile ended while the trickle held the turn' })
    expect(trickled).toBe(false)
    const [result] = await first
    expect(result.dropped[0]).toMatchObject({ peer: staller.peerId.toString(), error: 'ProtocolError' })
    finish()
    const [caughtUp] = await second
    expect(caughtUp).toMatchObject({ after: chain.length, sources: [trickler.peerId.toString()], dropped: [] })
    expect(await verifiedHashes(b)).toEqual(chain.map(x => x.hash))
  }, 120_000)

  it('a peer that is gone costs one dial per reconcile, not one per chain held', async () => {
    const [b, gone] = await nodes(2)
    const chains = ['vehicle-a', 'vehicle-b', 'vehicle-c']
    for (const id of chains) await b.chains.appendMany(blocksAfter(emptyTip(id), 3))
    await gone.stop()
    await waitFor(() => b.libp2p.getConnections(gone.peerId).length === 0, { message: 'b saw the peer go' })
    // the real libp2p, its dials counted
    let dials = 0
    const libp2p: Parameters<ReturnType<typeof sync>>[0]['libp2p'] = {
      handle: b.libp2p.handle.bind(b.libp2p),
      unhandle: b.libp2p.unhandle.bind(b.libp2p),
      getConnections: b.libp2p.getConnections.bind(b.libp2p),
      dialProtocol: async (...args) => { dials++; return await b.libp2p.dialProtocol(...args) }
    }
    await b.sync.stop()
    const service = sync({ tipTimeout: 5_000 })({ libp2p, store: b.chains, logger: prefixLogger('asker'), peers: () => [] })
    await service.start()
    extra.push(service)
    const results = await service.reconcile(undefined, { peers: [gone.peerId] })
    expect(results.map(r => r.chainId).sort()).toEqual(chains)
    for (const r of results) expect(r).toMatchObject({ unreachable: [gone.peerId.toString()], dropped: [], after: 3 })
    expect(dials).toBe(1)
  })

  it('what a peer sends after its answer is not held: the asker ends its side of a finished exchange, and resets one the peer keeps open', async () => {
    const [b, liar] = await nodes(2)
    // it answers the tip, then goes on sending (12 MiB of frames no one asked for) and never ends its side
    let sentAfter = 0
    await hostile(liar, async (req, write) => {
      await write(response({ height: 0, done: true }))
      const junk = new Uint8Array(1024 * 1024)
      for (let i = 0; i < 12; i++) {
        await write(junk)
        sentAfter += junk.byteLength
      }
      await new Promise(() => {})
    })
    expect(await b.sync.tip(liar.peerId, CHAIN)).toMatchObject({ height: 0 })
    const streams = (): Stream[] => b.libp2p.getConnections(liar.peerId).flatMap(c => c.streams).filter(s => s.protocol === b.sync.protocol)
    await waitFor(() => sentAfter === 12 * 1024 * 1024, { message: 'the liar sent its 12 MiB' })
    // an honest responder ends its side at once; this one's stream must not stay open, holding what it sent
    await waitFor(() => streams().length === 0, { timeout: 30_000, message: 'the asker\'s stream to the liar ended', state: () => streams().map(s => `${s.status} ${s.readStatus} ${s.writeStatus}`) })
  })

  /** The 30 blocks of CHAIN a liar claims; b holds the first 10, the honest peer the first 20. */
  const long = blocksAfter(emptyTip(CHAIN), 30)
  /** Blocks 6..15 of a fork of CHAIN after block 5: they link to each other, not to b's block 10. */
  const fork = blocksAfter(tipOf(long[4]), 10)
  const tip30 = { height: 30, tipHash: long[29].hash as Uint8Array<ArrayBuffer> }
  const never = async (): Promise<void> => { await new Promise(() => {}) }
  type Answer = (write: (bytes: Uint8Array) => Promise<void>, stream: Stream) => Promise<void>
  const cases: Array<[string, Answer, { dropped?: string, refused?: boolean }]> = [
    ['blocks whose hashes do not chain (block 12 of a fork after 11)', async (write) => {
      await write(frame([long[10], fork[6], fork[7]]))
      await never()
    }, { dropped: 'InvalidBlockError' }],
    ['blocks of a fork of what the asker holds (11.. after a different 10)', async (write) => {
      await write(frame(fork.slice(5)))
      await never()
    }, { dropped: 'InvalidBlockError' }],
    ['a block at a height not asked (13 after 11)', async (write) => {
      await write(frame([long[10], long[12]]))
      await never()
    }, { dropped: 'InvalidBlockError' }],
    ['a frame over the size limit (a 64 MiB length)', async (_write, stream) => {
      stream.send(Uint8Array.of(0x80, 0x80, 0x80, 0x20))
      stream.send(new Uint8Array(64 * 1024))
      await never()
    }, { dropped: 'InvalidMessageError' }],
    ['a frame that never ends (a byte at a time)', async (_write, stream) => {
      stream.send(Uint8Array.of(0xe8, 0x07))
      while (stream.status === 'open') {
        stream.send(Uint8Array.of(0))
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }, { dropped: 'TimeoutError' }],
    ['an answer that claims more than it sends (11..12, then done at 30)', async (write) => {
      await write(frame([long[10], long[11]]))
      await write(response({ ...tip30, done: true }))
    }, {}],
    ['valid blocks, then bytes that do not decode', async (write) => {
      await write(frame(long.slice(10, 15)))
      await write(Uint8Array.of(0x0f, 0xff, 0xff))
      await never()
    }, { dropped: 'MalformedMessageError' }],
    ['a refusal with odd fields (status OK, blocks, lasting, no reason) after valid blocks', async (write) => {
      await write(frame(long.slice(10, 13)))
      await write(frame(long.slice(13, 16), { refused: true, lasting: true }))
      await never()
    }, { refused: true }]
  ]

  it('a block that does not extend the tip as announced is the same lie in a plain fetch and a vouched one: InvalidBlockError (WrongHeight)', async () => {
    const [b, liar] = await nodes(2)
    await b.chains.appendMany(long.slice(0, 10))
    // asked for blocks or for headers, it sends 11 and then 13
    await hostile(liar, async (req, write) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ ...tip30, done: true }))
      await write(frame([long[10], long[12]]))
      await never()
    })
    const service = await asker(b, { timeout: 5_000 })
    const plain = await service.fetch(liar.peerId, CHAIN).catch((e: Error) => e)
    const vouched = await service.fetch(liar.peerId, CHAIN, { vouch: { height: 30, hash: long[29].hash } }).catch((e: Error) => e)
    expect(plain).toMatchObject({ name: 'InvalidBlockError', reason: 'WrongHeight' })
    expect(vouched).toMatchObject({ name: 'InvalidBlockError', reason: 'WrongHeight' })
    expect(await verifiedHashes(b)).toEqual(long.slice(0, 10).map(x => x.hash))
  })

  // a lie the peer would tell again at every ask: reconcile-on-connect leaves it, as it leaves one that
  // served a block that does not verify (until 2026-12-03 it asked such a peer every 30 s for good)
  const lasting: Array<[string, Answer, string]> = [
    ['bytes that do not decode', async (write) => {
      await write(Uint8Array.of(0x0f, 0xff, 0xff))
      await never()
    }, 'MalformedMessageError'],
    ['an empty frame that is not the last', async (write) => {
      await write(response({}))
      await never()
    }, 'InvalidMessageError']
  ]

  it.each(lasting)('reconcile-on-connect does not ask again a peer that answered %s', async (_, answer, error) => {
    const [b, liar] = await nodes(2)
    await b.chains.appendMany(long.slice(0, 10))
    const seen = await hostile(liar, async (req, write, stream) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ ...tip30, done: true }))
      await answer(write, stream)
    })
    const results = await reconcileOnConnect(b, liar, await asker(b, { timeout: 5_000 }), 3)
    expect(results[0][0].dropped).toMatchObject([{ peer: liar.peerId.toString(), error }])
    expect(results).toHaveLength(1)
    expect(seen.filter(s => s.requests[0]?.type === SyncRequest.Type.BLOCKS)).toHaveLength(1)
    expect(await verifiedHashes(b)).toEqual(long.slice(0, 10).map(x => x.hash))
  })

  /**
   * `b` reconciling with `liar` through `service` under reconcile-on-connect with pauses of 5 ms (asked
   * again at all, it is asked again at once), until it is asked `times` times or given up; every result.
   */
  async function reconcileOnConnect (b: VGuardNode, liar: VGuardNode, service: Sync, times: number): Promise<Array<Awaited<ReturnType<Sync['reconcile']>>>> {
    const results: Array<Awaited<ReturnType<Sync['reconcile']>>> = []
    const lines: string[] = []
    const keep = (formatter: unknown, ...args: unknown[]): void => { lines.push(format(String(formatter), ...args)) }
    const log: Logger = Object.assign(keep, { error: keep, trace: keep, enabled: true, newScope: () => log })
    const reconciler = new ReconcileOnConnect({
      sync: { reconcile: async (chainId, options) => { const r = await service.reconcile(chainId, options); results.push(r); return r } },
      isConnected: (peer) => b.libp2p.getConnections(peer).length > 0,
      log,
      delays: [5, 5, 5],
      steady: 5
    })
    try {
      reconciler.start()
      reconciler.peer(liar.peerId)
      await waitFor(() => results.length >= times || lines.some(l => l.includes('not asked again')), { message: 'the reconciler to ask again or give the liar up', state: () => lines })
    } finally {
      reconciler.stop()
    }
    return results
  }

  /**
   * `liar` (answering TIP with `tip`) under reconcile-on-connect with pauses of 5 ms, until it
   * is asked `times` times or given up; the results of every reconcile, and the TIP streams.
   */
  async function askedOnConnect (b: VGuardNode, liar: VGuardNode, tip: Answer, init: Parameters<typeof sync>[0], times: number): Promise<{ results: Array<Awaited<ReturnType<Sync['reconcile']>>>, tips: () => number }> {
    const seen = await hostile(liar, async (req, write, stream) => {
      if (req.type === SyncRequest.Type.TIP) return await tip(write, stream)
      await never()
    })
    const results = await reconcileOnConnect(b, liar, await asker(b, init), times)
    return { results, tips: () => seen.filter(s => s.requests[0]?.type === SyncRequest.Type.TIP).length }
  }

  // a tip answer that is a lie is no unreachable peer: until 2026-12-03 it was listed as one, and
  // reconcile-on-connect asked it again every 30 s for as long as the connection lasted
  const lyingTips: Array<[string, Answer, string]> = [
    ['bytes that do not decode', async (write) => { await write(Uint8Array.of(0x0f, 0xff, 0xff)) }, 'MalformedMessageError'],
    ['a tip hash that is not 32 bytes', async (write) => { await write(response({ height: 30, tipHash: new Uint8Array(3), done: true })) }, 'InvalidMessageError']
  ]

  it.each(lyingTips)('reconcile-on-connect asks once, not again, a peer whose tip answer is %s', async (_, tip, error) => {
    const [b, liar] = await nodes(2)
    await b.chains.appendMany(long.slice(0, 10))
    const { results, tips } = await askedOnConnect(b, liar, tip, { timeout: 5_000 }, 3)
    expect(results[0][0]).toMatchObject({ unreachable: [], dropped: [{ peer: liar.peerId.toString(), error }] })
    expect(results).toHaveLength(1)
    expect(tips()).toBe(1)
    expect(await verifiedHashes(b)).toEqual(long.slice(0, 10).map(x => x.hash))
  })

  it('reconcile-on-connect asks again a peer that is merely slow to answer its tip', async () => {
    const [b, liar] = await nodes(2)
    await b.chains.appendMany(long.slice(0, 10))
    const { results, tips } = await askedOnConnect(b, liar, never, { timeout: 5_000, tipTimeout: 100 }, 3)
    expect(results.length).toBeGreaterThanOrEqual(3)
    expect(results[0][0]).toMatchObject({ unreachable: [liar.peerId.toString()], dropped: [] })
    expect(tips()).toBeGreaterThanOrEqual(3)
  })

  it.each(cases)('a liar that answers %s is left: only verified blocks are kept, and the honest peer completes the chain', async (_, answer, expected) => {
    const [b, liar, honest] = await nodes(3)
    await b.chains.appendMany(long.slice(0, 10))
    await honest.chains.appendMany(long.slice(0, 20))
    await hostile(liar, async (req, write, stream) => {
      if (req.type === SyncRequest.Type.TIP) return await write(response({ ...tip30, done: true }))
      await answer(write, stream)
    })
    // the liar claims the most: it is asked first
    const service = await asker(b, { timeout: 5_000 })
    const [result] = await service.reconcile(CHAIN, { peers: [liar.peerId, honest.peerId] })
    if (expected.dropped != null) expect(result.dropped).toMatchObject([{ peer: liar.peerId.toString(), error: expected.dropped }])
    else expect(result.dropped).toEqual([])
    if (expected.refused === true) expect(result.refused).toEqual([{ peer: liar.peerId.toString(), reason: '', lasting: true }])
    expect(result).toMatchObject({ before: 10, after: 20, unreachable: [], noRoom: false })
    expect(result.sources).toContain(honest.peerId.toString())
    // what b holds verifies, and is the honest chain: nothing it held lost, nothing of the liar's own stored
    expect(await verifiedHashes(b)).toEqual(long.slice(0, 20).map(x => x.hash))
    // and no stream to the liar is left holding what it sent
    const streams = (): Stream[] => b.libp2p.getConnections(liar.peerId).flatMap(c => c.streams).filter(s => s.protocol === service.protocol)
    await waitFor(() => streams().length === 0, { timeout: 30_000, message: 'every stream to the liar ended' })
  }, 60_000)
})
