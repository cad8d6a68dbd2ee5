/**
 * A vehicle whose data dir is put back to an older copy while its chain went
 * on (an SD card restored from an image): its booth is ahead of it and keeps
 * no chain to hand over. It does not get its chain going again by itself (a
 * known gap, docs/consensus.md); what it must do is refuse writes with the
 * truth (not "no majority of the booth answered", while every member
 * answers) and never acknowledge a write it did not store.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { cp, rm } from 'node:fs/promises'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const value = (i: number): Uint8Array => new TextEncoder().encode(`fix ${i}`)

describe('consensus - a vehicle whose data dir went back to an older copy', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('refuses writes saying its booth is ahead and why, and acknowledges none it did not store', async () => {
    const nodes = await connectedSwarm(cluster, 4)
    let a = nodes[0]
    const { dataDir } = a.config
    const restart = async (): Promise<VGuardNode> => {
      const node = await cluster.create({ dataDir, bootstrap: [nodes[1].multiaddrs[0].toString()] })
      await node.start()
      await waitFor(() => fullyConnected([node, ...nodes.slice(1)]), { message: 'a back in the swarm' })
      return node
    }
    for (let i = 0; i < 30; i++) await a.put(`gps/${i}`, value(i))
    await cluster.stopNode(a)
    const copy = `${dataDir}-copy`
    await cp(dataDir, copy, { recursive: true })
    a = await restart()
    // well past what booth members keep of another vehicle's chain (they compact every 32 slots, keeping 8)
    for (let i = 30; i < 75; i++) await a.put(`gps/${i}`, value(i))
    await cluster.stopNode(a)
    await rm(dataDir, { recursive: true })
    await cp(copy, dataDir, { recursive: true })
    a = await restart()

    const tipBefore = (await a.chains.tip(a.peerId.toString())).height
    const attempt = await a.put('after', value(99), { timeout: 5_000 }).then(r => r, (err: Error) => err)
    expect(attempt).toBeInstanceOf(Error)
    expect((attempt as Error).name).toBe('NoQuorumError')
    expect((attempt as Error).message).toMatch(/phase 1 has not completed: its booth decided this chain up to slot \d+, past what this node holds, and 12D3KooW\w+ cannot hand the chain over \(was the data dir restored from an older copy, or its database lost\?\)/)
    expect((await a.get(a.peerId.toString(), 'after')).value).toBeUndefined()
    expect((await a.chains.tip(a.peerId.toString())).height).toBeGreaterThanOrEqual(tipBefore)
    await rm(copy, { recursive: true, force: true })
  })
})
