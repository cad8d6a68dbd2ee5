/**
 * Booth consensus with real nodes (libp2p over TCP on 127.0.0.1, LevelDB in
 * temp dirs): a booth of 4 commits each vehicle's own chain; acceptors die
 * and come back.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { gpsTransaction } from '../../src/workload/gps.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { transactionsOf } from '../../src/chain/index.ts'

const utf8 = new TextEncoder()

async function cluster4 (cluster: TestCluster, overrides: Record<string, unknown> = {}): Promise<VGuardNode[]> {
  const first = await cluster.create({ kBackups: 2, ...overrides })
  await first.start()
  const bootstrap = [first.multiaddrs[0].toString()]
  const rest = await Promise.all([1, 2, 3].map(async () => await cluster.create({ kBackups: 2, bootstrap, ...overrides })))
  await Promise.all(rest.map(async n => { await n.start() }))
  const nodes = [first, ...rest]
  await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '4 nodes connected' })
  return nodes
}

describe('consensus - own chains on real nodes', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a booth of 4 commits 1,000 transactions on each vehicle\'s own chain', async () => {
    const nodes = await cluster4(cluster)
    const ids = nodes.map(n => n.peerId.toString())
    await Promise.all(nodes.map(async (node, v) => {
      const writes = Array.from({ length: 1_000 }, async (_, i) => await node.put(`gps/${i}`, gpsTransaction(v * 1_000 + i).value))
      const results = await Promise.all(writes)
      const heights = results.map(r => r.height)
      expect(Math.max(...heights)).toBeLessThanOrEqual(1_000)
    }))
    for (const [v, node] of nodes.entries()) {
      const self = ids[v]
      const tip = await node.chains.tip(self)
      let txs = 0
      for await (const block of node.chains.blocks(self)) {
        txs += transactionsOf(block).length
        expect(block.header.booth).toHaveLength(4)
        expect(block.header.booth[0]).toBe(self)
        expect(block.header.ballot?.proposer).toBe(self)
      }
      expect(txs).toBe(1_000)
      expect(tip.height).toBeGreaterThan(0)
      expect((await node.chains.get(self, 'gps/999'))?.value).toEqual(gpsTransaction(v * 1_000 + 999).value)
    }
  })

  it('one acceptor killed mid-stream: commits continue; two killed: writes fail with NoQuorumError, nothing written; one back: writes resume', async () => {
    const nodes = await cluster4(cluster, { commitTimeout: 3_000 })
    const [a, , c, d] = nodes
    const self = a.peerId.toString()
    await a.put('warmup', utf8.encode('x'))
    const booth = (await a.chains.getBlock(self, (await a.chains.tip(self)).height))?.header.booth
    expect(booth).toHaveLength(4)

    // 300 writes in flight; d dies once a third of them are committed
    let committed = 0
    const stream = Array.from({ length: 300 }, async (_, i) => {
      const r = await a.put(`fix/${i}`, gpsTransaction(i).value, { timeout: 30_000 })
      committed++
      return r
    })
    await waitFor(() => committed >= 100, { message: '100 commits before the kill' })
    await cluster.stopNode(d)
    const results = await Promise.all(stream)
    expect(results).toHaveLength(300)
    expect((await a.chains.get(self, 'fix/299'))?.value).toEqual(gpsTransaction(299).value)

    // c dies too: 2 of 4 booth members left, no quorum
    const cDir = c.config.dataDir
    await cluster.stopNode(c)
    await waitFor(() => a.peers().length === 1, { message: 'a sees only b' })
    const before = await a.chains.tip(self)
    const failed = await a.put('lost', utf8.encode('never'), { timeout: 1_500 }).catch((err: Error) => err)
    expect(failed).toBeInstanceOf(Error)
    expect((failed as Error).name).toBe('NoQuorumError')
    expect((await a.chains.tip(self)).height).toBe(before.height)
    expect(await a.chains.get(self, 'lost')).toBeUndefined()

    // c comes back (same data dir, same key): the booth has its majority again
    const back = await cluster.create({ dataDir: cDir, kBackups: 2, commitTimeout: 3_000, bootstrap: [a.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => a.peers().length === 2 && back.peers().some(p => p.peerId === self), { message: 'c reconnected' })
    const resumed = await a.put('resumed', utf8.encode('yes'), { timeout: 20_000 })
    expect(resumed.height).toBeGreaterThan(before.height)
    expect((await a.chains.get(self, 'resumed'))?.value).toEqual(utf8.encode('yes'))
    expect(await a.chains.get(self, 'lost')).toBeUndefined()
    // the chain is one hash-linked sequence
    let prev: Uint8Array | undefined
    for await (const block of a.chains.blocks(self)) {
      if (prev != null) expect(block.header.prevHash).toEqual(prev)
      prev = block.hash
    }
  })
})
