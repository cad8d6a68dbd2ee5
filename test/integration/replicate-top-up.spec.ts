/**
 * A transfer asked to top up sends the blocks committed while it runs before
 * DONE, within the room the backup said it had; one not asked stops at the
 * tip it read at the start. Real nodes over TCP on 127.0.0.1, real LevelDB on
 * both sides; the backup runs a real ReplicateService on a test protocol whose
 * offer hook lets the test commit blocks while the transfer is under way.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
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

interface Pair { proposer: ReplicateService, backup: ReplicateService }

/** The proposer's service and a backup's, on a test protocol; the backup calls `duringOffer` before it answers an offer. */
async function services (A: VGuardNode, B: VGuardNode, protocol: string, free: () => Promise<number>, duringOffer: () => Promise<void>): Promise<Pair> {
  const proposer = new ReplicateService({ libp2p: A.libp2p, store: A.chains, logger: defaultLogger(), freeCapacity: async () => 0, onStored: async () => {} }, { protocol })
  const backup = new ReplicateService({
    libp2p: B.libp2p,
    store: B.chains,
    logger: defaultLogger(),
    freeCapacity: free,
    onStored: async () => {},
    onOffer: duringOffer
  }, { protocol })
  await backup.start()
  return { proposer, backup }
}

describe('replicate - topping a transfer up with the blocks committed while it runs', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('with topUp the backup gets the blocks committed mid-transfer before DONE, and the result names the tip it holds', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    const chainId = A.peerId.toString()
    await grow(A, 5, 'before')
    let once = false
    const { proposer, backup } = await services(A, B, `/test/replicate-top-up/${process.pid}/on`, async () => GIB, async () => {
      if (once) return
      once = true
      await grow(A, 3, 'during')
    })
    try {
      const result = await proposer.replicateTo(B.peerId, chainId, { topUp: true })
      const tip = await A.chains.tip(chainId)
      expect(tip.height).toBe(8)
      expect(result).toMatchObject({ height: 8, sentBlocks: 8, resumedFrom: 0 })
      expect(result.tipHash).toEqual(tip.hash)
      expect(await B.chains.tip(chainId)).toEqual(tip)
    } finally {
      await backup.stop()
    }
  })

  it('without topUp the transfer ends at the tip it read at the start; the next one brings the rest', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    const chainId = A.peerId.toString()
    await grow(A, 5, 'before')
    let once = false
    const { proposer, backup } = await services(A, B, `/test/replicate-top-up/${process.pid}/off`, async () => GIB, async () => {
      if (once) return
      once = true
      await grow(A, 3, 'during')
    })
    try {
      expect(await proposer.replicateTo(B.peerId, chainId)).toMatchObject({ height: 5, sentBlocks: 5 })
      expect((await B.chains.tip(chainId)).height).toBe(5)
      expect(await proposer.replicateTo(B.peerId, chainId)).toMatchObject({ height: 8, sentBlocks: 3, resumedFrom: 5 })
    } finally {
      await backup.stop()
    }
  })

  it('a backup with room for the offer only is not topped up: it gets what was offered, and the transfer succeeds', async () => {
    const [A, B] = await connectedSwarm(cluster, 2)
    const chainId = A.peerId.toString()
    await grow(A, 5, 'before')
    const offered = (await A.chains.info(chainId))?.bytes ?? 0
    let once = false
    const { proposer, backup } = await services(A, B, `/test/replicate-top-up/${process.pid}/full`, async () => offered + 100, async () => {
      if (once) return
      once = true
      await grow(A, 3, 'during')
    })
    try {
      expect(await proposer.replicateTo(B.peerId, chainId, { topUp: true })).toMatchObject({ height: 5, sentBlocks: 5 })
      expect((await B.chains.tip(chainId)).height).toBe(5)
    } finally {
      await backup.stop()
    }
  })
})
