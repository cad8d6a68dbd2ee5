/**
 * A transfer asked to top up sends the blocks committed while it runs before
 * DONE, within the room the backup said it had; one not asked stops at the
 * tip it read at the start. Real nodes over TCP on 127.0.0.1, real LevelDB on
 * both sides; the backup runs a real ReplicateService on a test protocol whose
 * offer hook lets the test commit blocks while the transfer is under way.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { proposerService } from '../utils/replicate.ts'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ReplicateService } from '../../src/protocols/replicate/index.ts'

const GIB = 1024 * 1024 * 1024

async function grow (node: VGuardNode, blocks: number, tag: string): Promise<void> {
  const chainId = node.peerId.toString()
  for (let i = 0; i < blocks; i++) {
    const transactions = [{ key: `${tag}/${i}`, value: new Uint8Array(2048).fill(i) }]
    await node.chains.append(createBlock({ prev: await node.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions }))
  }
}

interface Transfer {
  A: VGuardNode
  B: VGuardNode
  chainId: string
  /** The proposer's service; the backup's runs a real service that commits 3 more blocks on A while it answers the first offer. */
  proposer: ReplicateService
}

/**
 * A with 5 blocks and B a backup on a test protocol, whose free capacity is
 * `free` (given A's chain bytes). B's service stops with the test (its stop
 * is pushed on `stops`).
 */
async function setUp (cluster: TestCluster, name: string, free: (offered: number) => number, stops: Array<() => Promise<void>>): Promise<Transfer> {
  const [A, B] = await connectedSwarm(cluster, 2)
  const chainId = A.peerId.toString()
  await grow(A, 5, 'before')
  const offered = (await A.chains.info(chainId))?.bytes ?? 0
  const protocol = `/test/replicate-top-up/${process.pid}/${name}`
  let once = false
  const backup = new ReplicateService({
    libp2p: B.libp2p,
    store: B.chains,
    logger: defaultLogger(),
    freeCapacity: async () => free(offered),
    onStored: async () => {},
    onOffer: async () => {
      if (once) return
      once = true
      await grow(A, 3, 'during')
    }
  }, { protocol })
  await backup.start()
  stops.push(async () => { await backup.stop() })
  const proposer = proposerService(A, { protocol })
  return { A, B, chainId, proposer }
}

describe('replicate - topping a transfer up with the blocks committed while it runs', () => {
  const cluster = new TestCluster()
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop()
    await cluster.teardown()
  })

  it('with topUp the backup gets the blocks committed mid-transfer before DONE, and the result names the tip it holds', async () => {
    const { A, B, chainId, proposer } = await setUp(cluster, 'on', () => GIB, stops)
    const result = await proposer.replicateTo(B.peerId, chainId, { topUp: true })
    const tip = await A.chains.tip(chainId)
    expect(tip.height).toBe(8)
    expect(result).toMatchObject({ height: 8, sentBlocks: 8, resumedFrom: 0 })
    expect(result.tipHash).toEqual(tip.hash)
    expect(await B.chains.tip(chainId)).toEqual(tip)
  })

  it('without topUp the transfer ends at the tip it read at the start; the next one brings the rest', async () => {
    const { B, chainId, proposer } = await setUp(cluster, 'off', () => GIB, stops)
    expect(await proposer.replicateTo(B.peerId, chainId)).toMatchObject({ height: 5, sentBlocks: 5 })
    expect((await B.chains.tip(chainId)).height).toBe(5)
    expect(await proposer.replicateTo(B.peerId, chainId)).toMatchObject({ height: 8, sentBlocks: 3, resumedFrom: 5 })
  })

  it('a backup with room for the offer only is not topped up: it gets what was offered, and the transfer succeeds', async () => {
    const { B, chainId, proposer } = await setUp(cluster, 'full', (offered) => offered + 100, stops)
    expect(await proposer.replicateTo(B.peerId, chainId, { topUp: true })).toMatchObject({ height: 5, sentBlocks: 5 })
    expect((await B.chains.tip(chainId)).height).toBe(5)
  })
})
