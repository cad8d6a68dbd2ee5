/**
 * /vguard/replicate/1.0.0 on a backup serving several proposers at once: an
 * accepted offer reserves its room for the transfer, so concurrent offers
 * cannot together overfill the backup, and the reservation is given back
 * however the transfer ends (done, aborted, refused block, timed out).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { pbStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock, emptyTip, encodeBlock, tipOf } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { REPLICATE_PROTOCOL, ReplicateService } from '../../src/protocols/replicate/index.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'
import { ChainKeys } from '../../src/storage/keys.ts'
import { CHAINS_SUBLEVEL } from '../../src/storage/level.ts'
import { ChainMeta } from '../../src/storage/pb/store.ts'
import { statusOf } from '../../src/http/status.ts'

const CAPACITY = 2_500_000

/** Appends blocks of ~500 KB to `node`'s own chain until it holds about `bytes` (no replication round runs). */
async function ownChain (node: VGuardNode, bytes: number): Promise<string> {
  const chainId = node.peerId.toString()
  for (let i = 0; ((await node.chains.info(chainId))?.bytes ?? 0) < bytes; i++) {
    const transactions = Array.from({ length: 5 }, (_, j) => ({ key: `k${i}-${j}`, value: new Uint8Array(100_000).fill(i + j) }))
    await node.chains.append(createBlock({ prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions }))
  }
  return chainId
}

async function used (node: VGuardNode): Promise<number> {
  return (await node.chains.chains()).reduce((n, ch) => n + ch.bytes, 0)
}

/** A raw replicate client: frames are written by hand so the test decides when a transfer stops. */
async function rawTransfer (from: VGuardNode, to: VGuardNode, protocol = REPLICATE_PROTOCOL): Promise<{
  stream: Stream
  send: (r: Partial<ReplicateRequest>) => Promise<void>
  answer: () => Promise<ReplicateResponse>
}> {
  const stream = await from.libp2p.dialProtocol(to.peerId, protocol)
  const pbs = pbStream(stream, { maxDataLength: 8 * 1024 * 1024 })
  const chainId = from.peerId.toString()
  return {
    stream,
    send: async (r) => { await pbs.write({ type: ReplicateRequest.Type.OFFER, chainId, height: 0, tipHash: new Uint8Array(0), bytes: 0, epoch: 1, reset: false, blocks: [], ...r }, ReplicateRequest) },
    answer: async () => await pbs.read(ReplicateResponse, { signal: AbortSignal.timeout(15_000) })
  }
}

function block (chainId: string, prev = emptyTip(chainId)): Block {
  return createBlock({ prev, proposer: chainId, timestamp: Date.now(), transactions: [{ key: 'k', value: new Uint8Array(1000) }] })
}

describe('replicate - a backup\'s capacity under concurrent transfers', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('two proposers replicating 1.5 MB each at once to a backup with room for one: one is refused NO_CAPACITY, the backup stays within capacity', async () => {
    const [n1, n4, n7] = await connectedSwarm(cluster, 3, { capacity: CAPACITY, kBackups: 1 })
    const chains = await Promise.all([ownChain(n1, 1_500_000), ownChain(n4, 1_500_000)])
    const results = await Promise.allSettled([
      n1.vguarddb.replicate.replicateTo(n7.peerId, chains[0], { epoch: 1 }),
      n4.vguarddb.replicate.replicateTo(n7.peerId, chains[1], { epoch: 1 })
    ])
    const done = results.filter(r => r.status === 'fulfilled')
    const refused = results.filter(r => r.status === 'rejected').map(r => r.reason as Error)
    expect(done).toHaveLength(1)
    expect(refused).toHaveLength(1)
    expect(refused[0].name).toBe('NoCapacityError')
    expect(await used(n7)).toBeLessThanOrEqual(CAPACITY)
    expect(await used(n7)).toBeGreaterThan(1_500_000)
    expect(n7.vguarddb.replicate.reservedBytes).toBe(0)
  })

  it('an offer holds its room until its stream is aborted; a refused block gives it back too', async () => {
    const [n1, n4, n7] = await connectedSwarm(cluster, 3, { capacity: CAPACITY, kBackups: 1 })
    const first = await rawTransfer(n1, n7)
    await first.send({ bytes: 1_500_000 })
    expect((await first.answer()).status).toBe(ReplicateResponse.Status.OK)
    expect(n7.vguarddb.replicate.reservedBytes).toBe(1_500_000)

    // nothing written yet, but the room is taken
    const second = await rawTransfer(n4, n7)
    await second.send({ bytes: 1_500_000 })
    expect(await second.answer()).toMatchObject({ status: ReplicateResponse.Status.NO_CAPACITY, free: CAPACITY - 1_500_000 })
    // /status says what offers are told
    expect((await statusOf(n7)).storage.free).toBe(CAPACITY - 1_500_000)

    first.stream.abort(new Error('proposer gone'))
    await waitFor(() => n7.vguarddb.replicate.reservedBytes === 0, { message: 'the aborted transfer\'s room to be released' })

    const third = await rawTransfer(n4, n7)
    await third.send({ bytes: 1_500_000 })
    expect((await third.answer()).status).toBe(ReplicateResponse.Status.OK)
    const chainId = n4.peerId.toString()
    const b1 = block(chainId)
    await third.send({ type: ReplicateRequest.Type.BLOCKS, blocks: [encodeBlock(b1) as Uint8Array<ArrayBuffer>] })
    expect(await third.answer()).toMatchObject({ status: ReplicateResponse.Status.OK, height: 1 })
    // what was written is counted as used now, not reserved as well
    expect(n7.vguarddb.replicate.reservedBytes).toBe(1_500_000 - ((await n7.chains.info(chainId))?.bytes ?? 0))
    const b2 = block(chainId, tipOf(b1))
    const tampered = { ...b2, payload: Uint8Array.from(b2.payload as Uint8Array).map((x, i) => i === 10 ? x ^ 1 : x) }
    await third.send({ type: ReplicateRequest.Type.BLOCKS, blocks: [encodeBlock(tampered) as Uint8Array<ArrayBuffer>] })
    expect((await third.answer()).status).toBe(ReplicateResponse.Status.INVALID)
    await waitFor(() => n7.vguarddb.replicate.reservedBytes === 0, { message: 'the refused transfer\'s room to be released' })
    third.stream.abort(new Error('done'))
  })

  it('a proposer that goes silent after its offer times out and its room is released', async () => {
    const [n1, n7] = await connectedSwarm(cluster, 2, { capacity: CAPACITY, kBackups: 1 })
    const protocol = '/vguard-test/replicate-timeout/1.0.0'
    const backup = new ReplicateService({
      libp2p: n7.libp2p,
      store: n7.chains,
      logger: defaultLogger(),
      freeCapacity: async () => CAPACITY - await used(n7),
      onStored: async () => {}
    }, { protocol, messageTimeout: 500 })
    await backup.start()
    try {
      const silent = await rawTransfer(n1, n7, protocol)
      await silent.send({ bytes: 1_000_000 })
      expect((await silent.answer()).status).toBe(ReplicateResponse.Status.OK)
      expect(backup.reservedBytes).toBe(1_000_000)
      await waitFor(() => backup.reservedBytes === 0, { message: 'the timed-out transfer\'s room to be released' })
      silent.stream.abort(new Error('done'))
    } finally {
      await backup.stop()
    }
  })
})

describe('replicate - a backup confirms a transfer once it is durable', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('flushes the chain before answering DONE: its meta counts every payload durable', async () => {
    const [proposer, backup] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    // blocks of ~500 KB: their payloads go to segment files, which a synced write of other records does not flush
    const chainId = await ownChain(proposer, 1_500_000)
    const height = (await proposer.chains.tip(chainId)).height
    const outcome = await proposer.vguarddb.afterCommit(chainId, [backup.peerId.toString()])
    expect(outcome.complete).toBe(true)
    expect((await backup.chains.tip(chainId)).height).toBe(height)
    const keys = new ChainKeys(backup.store.sublevel(CHAINS_SUBLEVEL).prefix)
    const meta = ChainMeta.decode(await backup.store.db.get(keys.meta(chainId)) ?? new Uint8Array())
    expect(meta.fileId).not.toBe(0)
    expect(meta.durableHeight).toBe(height)
  })
})
