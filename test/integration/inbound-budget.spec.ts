/**
 * Frames partly received count against a node-wide budget per protocol: a
 * member that opens many streams and sends each frame all but its last byte
 * gets its fullest streams reset once they hold more than the budget, and
 * honest traffic goes on. Real libp2p nodes; the services under test run on
 * protocols of their own, with small budgets.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import type { Stream } from '@libp2p/interface'
import { proposerService } from '../utils/replicate.ts'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { WriteService } from '../../src/protocols/write/index.ts'
import { WriteRequest, WriteResponse } from '../../src/protocols/write/pb/write.ts'
import { HALF_CLOSED_GRACE } from '../../src/protocols/stream.ts'
import { lpStream, pbStream } from '@libp2p/utils'
import { protocolId } from '../../src/protocols/constants.ts'
import { PROTOCOL_NAME as SYNC_NAME, PROTOCOL_VERSION as SYNC_VERSION } from '../../src/protocols/sync/index.ts'
import { SyncRequest, SyncResponse } from '../../src/protocols/sync/pb/sync.ts'
import { decodeResponse as decodeSyncResponse, request as syncRequest } from '../../src/protocols/sync/messages.ts'
import { PaxosTransport } from '../../src/protocols/paxos/index.ts'
import { ReplicateService } from '../../src/protocols/replicate/index.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { ChainMessage } from '../../src/protocols/paxos/index.ts'
import { encodeWrite } from '../../src/node/batch.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const KiB = 1024
const BUDGET = 1024 * KiB

/** A varint length prefix announcing `length` bytes, then `sent` bytes of the frame: the rest never comes. */
function partialFrame (length: number, sent: number): Uint8Array {
  const prefix: number[] = []
  for (let n = length; ; n = Math.floor(n / 128)) {
    if (n < 128) { prefix.push(n); break }
    prefix.push((n % 128) | 0x80)
  }
  const frame = new Uint8Array(prefix.length + sent)
  frame.set(prefix)
  return frame
}

/**
 * Four frames announced as 2 MiB on streams from `a` to `b`, 400 KiB of each sent (1.6 MiB held
 * against a budget of 1 MiB); resolves with the streams once at least two of them were reset.
 */
async function resetPast (a: VGuardNode, b: VGuardNode, protocol: string): Promise<Stream[]> {
  const streams: Stream[] = []
  for (let i = 0; i < 4; i++) {
    const stream = await a.libp2p.dialProtocol(b.peerId, protocol)
    stream.send(partialFrame(2048 * KiB, 400 * KiB))
    streams.push(stream)
  }
  await waitFor(() => streams.filter(s => s.status !== 'open').length >= 2, { message: 'the fullest streams were reset' })
  return streams
}

describe('protocols - a node-wide budget for frames partly received', () => {
  const cluster = new TestCluster()
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    await cluster.teardown()
  })

  it('write: the fullest streams are reset past the budget; an honest write still commits', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const protocol = '/vguard-test/write-budget/1.0.0'
    let committed = 0
    const served = new WriteService({ libp2p: b.libp2p, logger: defaultLogger(), isMember: () => true, onWrite: async () => ({ height: ++committed, hash: new Uint8Array(32) }) }, { protocol, inboundBudget: BUDGET })
    await served.start()
    stops.push(async () => { await served.stop() })

    const streams = await resetPast(a, b, protocol)
    expect(served.inbound.usedBytes).toBeLessThanOrEqual(BUDGET)
    expect(streams.filter(s => s.status === 'open').length).toBeLessThanOrEqual(2)

    // an honest member's write goes through meanwhile
    const forwarder = new WriteService({ libp2p: a.libp2p, logger: defaultLogger(), isMember: () => true, onWrite: async () => ({ height: 0, hash: new Uint8Array(32) }) }, { protocol })
    const res = await forwarder.forward(b.peerId, 'chain', encodeWrite([{ key: 'k', value: new Uint8Array([1]) }]).payload, { timeout: 5_000 })
    expect(res.height).toBe(1)
    for (const s of streams) s.abort(new Error('done'))
    await waitFor(() => served.inbound.usedBytes === 0, { message: 'every stream gave its bytes back' })
  })

  it('a stream whose exchange is over drops what the peer sends on, and is reset if the peer keeps its end open', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const protocol = '/vguard-test/write-after/1.0.0'
    let committed = 0
    const served = new WriteService({ libp2p: b.libp2p, logger: defaultLogger(), isMember: () => true, onWrite: async () => ({ height: ++committed, hash: new Uint8Array(32) }) }, { protocol, inboundBudget: BUDGET })
    await served.start()
    stops.push(async () => { await served.stop() })
    const streams: Stream[] = []
    for (let i = 0; i < 8; i++) {
      const stream = await a.libp2p.dialProtocol(b.peerId, protocol)
      const pbs = pbStream(stream)
      await pbs.write({ chainId: 'c', payload: encodeWrite([{ key: 'k', value: new Uint8Array([i]) }]).payload as Uint8Array<ArrayBuffer>, timeout: 5_000, skipReplication: true, writeId: new Uint8Array(0), idempotencyKey: '' }, WriteRequest)
      const raw = pbs.unwrap()
      expect((await pbStream(raw).read(WriteResponse)).height).toBe(i + 1)
      // the answer came: 1 MiB more, and this side stays open (unfixed, the node held it all, unmetered, for good)
      raw.send(new Uint8Array(1024 * KiB))
      streams.push(raw)
    }
    const held = (): Stream[] => b.libp2p.getConnections(a.peerId).flatMap(c => c.streams).filter(s => s.protocol === protocol && s.status === 'open')
    await waitFor(() => held().length === 0, { timeout: HALF_CLOSED_GRACE + 5_000, interval: 50, message: 'the node let go of every finished stream' })
    for (const s of streams) s.abort(new Error('done'))
  })

  it('sync too: a finished exchange drops what the peer sends on and is reset if the peer keeps its end open (sync streams stayed half-open for good, 4 MiB buffered each)', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const protocol = protocolId(SYNC_NAME, SYNC_VERSION)
    await b.put('k', new Uint8Array([1]))
    const streams: Stream[] = []
    for (let i = 0; i < 8; i++) {
      const stream = await a.libp2p.dialProtocol(b.peerId, protocol)
      const lp = lpStream(stream)
      await lp.write(syncRequest({ type: SyncRequest.Type.TIP, chainId: b.peerId.toString() }))
      expect(decodeSyncResponse(await lp.read()).status).toBe(SyncResponse.Status.OK)
      const raw = lp.unwrap()
      raw.send(new Uint8Array(1024 * KiB))
      streams.push(raw)
    }
    const held = (): Stream[] => b.libp2p.getConnections(a.peerId).flatMap(c => c.streams).filter(s => s.protocol === protocol && s.status === 'open')
    await waitFor(() => held().length === 0, { timeout: HALF_CLOSED_GRACE + 5_000, interval: 50, message: 'the node let go of every finished sync stream' })
    for (const s of streams) s.abort(new Error('done'))
    // and it still serves
    await a.sync.fetch(b.peerId, b.peerId.toString())
  })

  it('replicate: offers partly received count until read whole; the fullest streams are reset past the budget', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const protocol = '/vguard-test/replicate-budget/1.0.0'
    const backup = new ReplicateService({ libp2p: b.libp2p, store: b.chains, logger: defaultLogger(), freeCapacity: async () => 1024 * 1024 * 1024, onStored: async () => {} }, { protocol, offerBudget: BUDGET })
    await backup.start()
    stops.push(async () => { await backup.stop() })
    const streams = await resetPast(a, b, protocol)
    expect(backup.offers.usedBytes).toBeLessThanOrEqual(BUDGET)
    // an honest owner's transfer goes through meanwhile
    await a.chains.append(createBlock({ prev: await a.chains.tip(a.peerId.toString()), proposer: a.peerId.toString(), timestamp: Date.now(), transactions: [{ key: 'k', value: new Uint8Array(100) }] }))
    const owner = proposerService(a, { protocol })
    expect((await owner.replicateTo(b.peerId, a.peerId.toString())).sentBlocks).toBe(1)
    for (const s of streams) s.abort(new Error('done'))
    await waitFor(() => backup.offers.usedBytes === 0, { message: 'every stream gave its bytes back' })
  })

  it('paxos: the fullest streams are reset past the budget; whole frames give their bytes back', async () => {
    const [a, b] = await connectedSwarm(cluster, 2)
    const tb = new PaxosTransport({ libp2p: b.libp2p, logger: b.libp2p.logger, isMember: () => true }, { protocolPrefix: 'vguard-budget-test', inboundBudget: BUDGET })
    const ta = new PaxosTransport({ libp2p: a.libp2p, logger: a.libp2p.logger, isMember: () => true }, { protocolPrefix: 'vguard-budget-test' })
    await Promise.all([ta.start(), tb.start()])
    stops.push(async () => { await Promise.all([ta.stop(), tb.stop()]) })
    const received: ChainMessage[] = []
    tb.onMessage = (_from, cm) => { received.push(cm) }

    const streams: Stream[] = []
    for (let i = 0; i < 3; i++) {
      const stream = await a.libp2p.dialProtocol(b.peerId, tb.protocol)
      stream.send(partialFrame(4096 * KiB, 500 * KiB))
      streams.push(stream)
    }
    await waitFor(() => streams.some(s => s.status !== 'open'), { message: 'a stream was reset' })
    expect(tb.inboundBytes.usedBytes).toBeLessThanOrEqual(BUDGET)

    // an honest member's messages arrive, and once read whole they are not counted
    const A = a.peerId.toString()
    for (let commit = 1; commit <= 5; commit++) {
      ta.send([{ chainId: 'c', message: { type: 'heartbeat', from: A, to: b.peerId.toString(), ballot: { round: 1, proposer: A }, commit } }])
    }
    await waitFor(() => received.length === 5, { message: 'the heartbeats arrived' })
    for (const s of streams) s.abort(new Error('done'))
    await waitFor(() => tb.inboundBytes.usedBytes === 0, { message: 'nothing held once the streams are gone and frames were read whole' })
  })
})
