/**
 * Temporary storage yields to backup duty: a vehicle whose capacity is taken
 * by a copy no table names it active for (released, or pushed unasked)
 * advertises that copy's payload as room, and an offer that needs it prunes
 * it, oldest first, instead of being refused.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { randomBytes } from 'node:crypto'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock, emptyTip, tipOf } from '../../src/chain/index.ts'
import { CHAINS_SUBLEVEL } from '../../src/storage/level.ts'
import { ChainKeys } from '../../src/storage/keys.ts'
import { statusOf } from '../../src/http/routes.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { StoragePrunedDetail } from '../../src/node/events.ts'
import { sample } from '../utils/prometheus.ts'

const KiB = 1024

/** Appends `count` blocks of one 40 KiB value each to the node's own chain (no consensus: the chain's bytes are what matter). */
async function grow (node: VGuardNode, count: number): Promise<void> {
  const chainId = node.peerId.toString()
  for (let i = 0; i < count; i++) {
    await node.chains.append(createBlock({
      prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: `b${i}`, value: randomBytes(40 * KiB) }]
    }))
  }
}

describe('storage - temporary copies yield to backup duty', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a copy nobody names this node active for is pruned to make room for an offer, and counted as room when advertised', async () => {
    const [v1, v2, y] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const x = await cluster.create({ kBackups: 1, capacity: 1024 * KiB, bootstrap: [v1.multiaddrs[0].toString()] })
    await x.start()
    await waitFor(() => fullyConnected([v1, v2, y, x]), { timeout: 30_000, message: 'four vehicles connected' })
    const [id1, id2, idx] = [v1, v2, x].map(n => n.peerId.toString())
    // V2's chain (~800 KiB) is backed up by Y; X holds a copy too, which V2's table does not name
    await grow(v2, 20)
    const round = await v2.endOfBooth({ participants: [y.peerId.toString()], transactions: [{ key: 'end', value: new Uint8Array(1) }] })
    expect(round.active).toEqual([y.peerId.toString()])
    // a push outside any round: offered at the table's own epoch, a copy the table does not name is the part a round
    // short of k left to resume (unclaimed, kept whole for a grace)
    await v2.vguarddb.replicate.replicateTo(x.peerId, id2)
    await waitFor(() => x.vguarddb.tables.get(id2)?.table.epoch === round.epoch, { message: "X heard V2's table" })
    const copy = await x.chains.info(id2)
    expect(copy?.payloadBytes).toBeGreaterThan(780 * KiB)

    // what X advertises counts that copy's payload as room
    const storage = (await statusOf(x)).storage
    expect(storage.used).toBe(copy?.bytes)
    expect(storage.free).toBeGreaterThan(storage.capacity - storage.used + 780 * KiB)
    await waitFor(() => (v1.peers().find(p => p.peerId === idx)?.storage?.free ?? 0) > 600 * KiB, { timeout: 15_000, message: 'V1 hears the room X advertises' })

    // pinned, the copy is no room: X says so at once (not at its next periodic check), and says so again unpinned
    const announce = vi.spyOn((x as unknown as { peering: { announceSoon: () => void } }).peering, 'announceSoon')
    const all = { type: 'range', from: 1, to: 21 } as const
    expect(await x.pin(id2, all)).toEqual({ changed: true, alreadyPruned: 0 })
    expect(announce).toHaveBeenCalledTimes(1)
    expect((await statusOf(x)).storage.free).toBeLessThan(storage.capacity - storage.used + 1)
    await waitFor(() => (v1.peers().find(p => p.peerId === idx)?.storage?.free ?? Infinity) < 300 * KiB, { timeout: 15_000, message: 'V1 hears X has no room once the copy is pinned' })
    // nothing changed: nothing to say
    expect(await x.pin(id2, { type: 'range', from: 2, to: 3 })).toEqual({ changed: false, alreadyPruned: 0 })
    expect(announce).toHaveBeenCalledTimes(1)
    expect(await x.unpin(id2, all)).toEqual({ changed: true })
    expect(announce).toHaveBeenCalledTimes(2)
    await waitFor(() => (v1.peers().find(p => p.peerId === idx)?.storage?.free ?? 0) > 600 * KiB, { timeout: 15_000, message: 'V1 hears the room again once unpinned' })
    // our own chain is never room: pinning it has nothing to announce
    expect((await x.pin(idx, { type: 'range', from: 1, to: 1 })).changed).toBe(true)
    expect(announce).toHaveBeenCalledTimes(2)
    announce.mockRestore()

    // V1's chain (~600 KiB) does not fit beside the copy; the offer prunes the copy's oldest payloads
    await grow(v1, 15)
    const events: StoragePrunedDetail[] = []
    x.addEventListener('storage:pruned', (evt) => { events.push(evt.detail) })
    const outcome = await v1.endOfBooth({ participants: [idx], transactions: [{ key: 'end', value: new Uint8Array(1) }] })
    expect(outcome.complete, JSON.stringify(outcome.failures)).toBe(true)
    expect(outcome.active).toEqual([idx])
    expect((await x.chains.info(id1))?.bytes).toBe((await v1.chains.info(id1))?.bytes)
    const after = await x.chains.info(id2)
    expect(after?.prunedBlocks).toBeGreaterThan(0)
    // oldest first: the copy's first block went, its last is whole
    await expect(x.chains.get(id2, 'b0')).rejects.toMatchObject({ name: 'PayloadPrunedError' })
    expect((await x.chains.get(id2, 'end'))?.height).toBe(21)
    const used = (await x.chains.chains()).reduce((n, c) => n + c.bytes, 0)
    expect(used).toBeLessThanOrEqual(1024 * KiB)
    // Y, the copy's active backup, is untouched
    expect((await y.chains.info(id2))?.prunedBlocks).toBe(0)
    // told as an event and counted
    expect(events).toEqual([{ freedBytes: expect.any(Number), chains: [{ chainId: id2, blocks: after?.prunedBlocks }], overBound: false, reason: 'room', failed: [] }])
    expect(sample(await x.metrics.metrics(), 'vguard_retention_pruned_bytes_total', { reason: 'room' })).toBe(events[0].freedBytes)
  })

  it('a write whose round falls short says why', async () => {
    const [v] = await connectedSwarm(cluster, 1, { kBackups: 1, boothSize: 2 })
    const small = await cluster.create({ kBackups: 1, boothSize: 2, capacity: 1024, bootstrap: [v.multiaddrs[0].toString()] })
    await small.start()
    await waitFor(() => fullyConnected([v, small]), { timeout: 30_000, message: 'two vehicles connected' })
    const commit = await v.put('gps/1', randomBytes(4 * KiB))
    expect(commit.replication?.state).toBe('partial')
    expect(commit.replication?.backups).toEqual([])
    expect(commit.replication?.problem).toMatch(new RegExp(`^0 fresh copies: ${small.peerId.toString()}: NoCapacityError: `))
  })

  it('says when pins keep temporary storage above its bound: /status, the event (once), the metric', async () => {
    const [v, y] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const x = await cluster.create({ kBackups: 1, capacity: 1024 * KiB, retentionBytes: 100 * KiB, bootstrap: [v.multiaddrs[0].toString()] })
    await x.start()
    await waitFor(() => fullyConnected([v, y, x]), { timeout: 30_000, message: 'three vehicles connected' })
    const id = v.peerId.toString()
    await grow(v, 5)
    const round = await v.endOfBooth({ participants: [y.peerId.toString()], transactions: [{ key: 'end', value: new Uint8Array(1) }] })
    // X holds a copy no table names it active for, all of it pinned: 200 KiB of payload against a bound of 100 KiB
    await x.chains.pin(id, { type: 'range', from: 1, to: 6 })
    await v.vguarddb.replicate.replicateTo(x.peerId, id)
    await waitFor(() => x.vguarddb.tables.get(id)?.table.epoch === round.epoch, { message: "X heard V's table" })
    expect((await statusOf(x)).storage.overBound).toBe(false)
    const events: StoragePrunedDetail[] = []
    x.addEventListener('storage:pruned', (evt) => { events.push(evt.detail) })
    const report = await x.storageMaster.run()
    expect(report).toMatchObject({ freedBytes: 0, overBound: true })
    expect(events).toEqual([{ freedBytes: 0, chains: [], overBound: true, reason: 'policy', failed: [] }])
    expect((await statusOf(x)).storage.overBound).toBe(true)
    expect(sample(await x.metrics.metrics(), 'vguard_retention_over_bound')).toBe(1)
    // over it again, nothing freed: no news (an event came every run, once a minute, for good: a probe)
    expect(await x.storageMaster.run()).toMatchObject({ freedBytes: 0, overBound: true })
    expect(events).toHaveLength(1)
    // unpinned, the next run prunes below the bound and says so
    await x.chains.unpin(id, { type: 'range', from: 1, to: 6 })
    const after = await x.storageMaster.run()
    expect(after).toMatchObject({ overBound: false })
    expect(after.freedBytes).toBeGreaterThan(0)
    expect((await statusOf(x)).storage.overBound).toBe(false)
    expect(sample(await x.metrics.metrics(), 'vguard_retention_over_bound')).toBe(0)
    expect(sample(await x.metrics.metrics(), 'vguard_retention_pruned_bytes_total', { reason: 'policy' })).toBe(after.freedBytes)
  })

  it('a chain retention cannot read is told (the event, the metric) and left as it is; the others are pruned; it is not advertised as room', async () => {
    const x = await cluster.create({ retention: 1_000, unclaimedGrace: 0, pruneInterval: 24 * 3_600_000, capacity: 1024 * KiB })
    await x.start()
    // two copies pushed unasked (no table names them), old enough to go at once
    for (const chainId of ['car-a', 'car-b']) {
      let tip = emptyTip(chainId)
      for (let h = 1; h <= 3; h++) {
        const block = createBlock({ prev: tip, proposer: chainId, timestamp: h * 1_000, transactions: [{ key: `k${h}`, value: randomBytes(KiB) }] })
        await x.chains.append(block)
        tip = tipOf(block)
      }
    }
    // car-b's second record cut short on disk (bit rot, a torn sector)
    const keys = new ChainKeys(x.store.sublevel(CHAINS_SUBLEVEL).prefix)
    const record = await x.store.db.get(keys.block('car-b', 2))
    expect(record).toBeDefined()
    await x.store.db.put(keys.block('car-b', 2), (record ?? new Uint8Array()).subarray(0, 10))
    const events: StoragePrunedDetail[] = []
    x.addEventListener('storage:pruned', (evt) => { events.push(evt.detail) })
    const report = await x.storageMaster.run()
    expect(report.pruned).toEqual({ 'car-a': [1, 2, 3] })
    expect(Object.keys(report.failed)).toEqual(['car-b'])
    expect((await x.chains.info('car-b'))?.prunedBlocks).toBe(0)
    expect(events).toEqual([{ freedBytes: report.freedBytes, chains: [{ chainId: 'car-a', blocks: 3 }], overBound: false, reason: 'policy', failed: [{ chainId: 'car-b', error: expect.stringContaining('corrupt block record') }] }])
    expect(sample(await x.metrics.metrics(), 'vguard_retention_failed_chains')).toBe(1)
    // failing again, nothing freed: no news
    expect(Object.keys((await x.storageMaster.run()).failed)).toEqual(['car-b'])
    expect(events).toHaveLength(1)
    // car-b's payload is no room a run could free: what X advertises is its capacity less what it holds
    // (it counted car-b's payload as free: a probe, 2026-12-03)
    const used = (await x.chains.chains()).reduce((n, c) => n + c.bytes, 0)
    expect((await x.chains.info('car-b'))?.payloadBytes).toBeGreaterThan(2 * KiB)
    expect((await statusOf(x)).storage.free).toBe(1024 * KiB - used)
  })
})
