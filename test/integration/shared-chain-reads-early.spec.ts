/**
 * Reads of the shared chain from a node that has not joined it yet (just
 * started, its connections still coming up): a leader or quorum read waits
 * for the chain to form here, as a write from the same node does, instead
 * of failing at once (a library probe: "no leader is known" after 0 ms,
 * 4 runs of 4, where the node's write waited 300 ms and committed).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'

const utf8 = new TextEncoder()
const text = (v: Uint8Array | undefined): string | undefined => v == null ? undefined : new TextDecoder().decode(v)

describe('shared chain - reads from a node that has not joined it yet', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a leader read and a quorum read right after start wait for the chain and answer the value written', async () => {
    const nodes = await connectedSwarm(cluster, 3, { boothSize: 3 })
    await nodes[0].put('road', utf8.encode('open'), { chainId: 'shared' })
    await waitFor(() => nodes.every(n => sharedLeader(n) != null), { message: 'the chain formed' })
    for (const consistency of ['leader', 'quorum'] as const) {
      const late = await cluster.create({ boothSize: 3 })
      await late.start()
      // asked before it meets anyone: no connection is up, let alone the chain
      expect(late.consensus.driver.shared()).toBeUndefined()
      const reading = late.get('shared', 'road', { consistency })
      await late.libp2p.dial(nodes[1].multiaddrs[0])
      const read = await reading
      expect(text(read.value), consistency).toBe('open')
      await cluster.stopNode(late)
    }
  })
})
