/**
 * /vguard/sync/1.0.0 serves connected members of our network only: a vehicle
 * of another network that asks the moment it connects (before identify has
 * shown which network it runs) gets no tip and no block, while a member that
 * does the same is served.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

/** A started node of the test network whose own chain holds three blocks. */
async function holder (cluster: TestCluster): Promise<VGuardNode> {
  const A = await cluster.create()
  await A.start()
  const chainId = A.peerId.toString()
  for (let i = 0; i < 3; i++) {
    await A.chains.append(createBlock({ prev: await A.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: `k${i}`, value: utf8.encode('v') }] }))
  }
  return A
}

describe('sync - only members of our network may sync', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle of another network gets no blocks; a member that fetches on connecting gets them all', async () => {
    const A = await holder(cluster)
    const chainId = A.peerId.toString()
    const outsider = await cluster.create({ network: `other-${process.pid}` })
    await outsider.start()

    // ask the moment the connection is up: identify has not run yet on either side
    await outsider.libp2p.dial(A.multiaddrs[0])
    await expect(outsider.sync.fetch(A.peerId, chainId)).rejects.toThrow()
    expect((await outsider.chains.tip(chainId)).height).toBe(0)
    expect(await outsider.chains.info(chainId)).toBeUndefined()

    const B = await cluster.create()
    await B.start()
    await B.libp2p.dial(A.multiaddrs[0])
    const fetched = await B.sync.fetch(A.peerId, chainId)
    expect(fetched).toMatchObject({ fetched: 3, complete: true, remoteHeight: 3 })
    expect(await B.chains.tip(chainId)).toEqual(await A.chains.tip(chainId))
  })
})
