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
})
