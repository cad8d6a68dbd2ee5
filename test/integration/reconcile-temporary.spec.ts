/**
 * What a node catches up when a member connects: its own chain, the shared
 * chain, and the copies it keeps for others as a backup (active, or unclaimed:
 * a fresh backup whose table is on its way), not the copies it keeps only as
 * temporary storage. Those hold what the node validated or held before (an
 * obsolete backup's copy, a booth member's blocks) until retention prunes it:
 * growing them at every connection made the node a holder of chains no table
 * names it for, against VGuardDB's point that only the proposer and its k
 * active backups hold a chain.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { Block, ChainTip } from '../../src/chain/index.ts'
import { signTable } from '../../src/backup/index.ts'
import type { ReconcileResult } from '../../src/protocols/sync/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const HEIGHT = 6

async function vehicle (): Promise<{ key: PrivateKey, id: string, blocks: Block[] }> {
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  const blocks: Block[] = []
  let prev: ChainTip = { chainId: id, height: 0, hash: new Uint8Array(32) }
  for (let h = 1; h <= HEIGHT; h++) {
    const block = createBlock({ prev, proposer: id, timestamp: Date.now(), transactions: [{ key: `k${h}`, value: utf8.encode(`v${h}`) }] })
    blocks.push(block)
    prev = { chainId: id, height: h, hash: block.hash }
  }
  return { key, id, blocks }
}

/** The vehicle's table at epoch 1 naming `active` its backups, signed by the vehicle, adopted by `node`. */
async function adoptTable (node: VGuardNode, v: { key: PrivateKey, id: string, blocks: Block[] }, active: string[], obsolete: string[]): Promise<void> {
  const table = await signTable(v.key, v.id, {
    chainId: v.id, epoch: 1, active, obsolete, height: HEIGHT, tipHash: v.blocks[HEIGHT - 1].hash, timestamp: Date.now()
  })
  await node.vguarddb.tables.adopt(table.signed, v.id)
}

describe('reconcile on connect - temporary copies', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('catches up the copies it backs up, not those it keeps as temporary storage', async () => {
    const holder = await cluster.create()
    const node = await cluster.create()
    await Promise.all([holder.start(), node.start()])
    const holderId = holder.peerId.toString()
    const self = node.peerId.toString()
    const [backedUp, released, unclaimed] = await Promise.all([vehicle(), vehicle(), vehicle()])

    // the holder has every chain whole, as their active backup
    for (const v of [backedUp, released, unclaimed]) {
      await holder.chains.appendMany(v.blocks)
      await adoptTable(holder, v, [holderId], [])
    }
    // the node holds half of each: an active backup behind, an obsolete backup's copy
    // (temporary storage), and a copy whose table has not reached it
    for (const v of [backedUp, released, unclaimed]) await node.chains.appendMany(v.blocks.slice(0, HEIGHT / 2))
    await adoptTable(node, backedUp, [self, holderId], [])
    await adoptTable(node, released, [holderId], [self])
    expect((await node.vguarddb.status(backedUp.id)).heldAs).toBe('active')
    expect((await node.vguarddb.status(released.id)).heldAs).toBe('temporary')
    expect((await node.vguarddb.status(unclaimed.id)).heldAs).toBe('unclaimed')

    const reconciles: Array<Promise<ReconcileResult[]>> = []
    const reconcile = node.sync.reconcile.bind(node.sync)
    vi.spyOn(node.sync, 'reconcile').mockImplementation(async (chainId, options) => {
      const done = reconcile(chainId, options)
      reconciles.push(done)
      return await done
    })
    await node.libp2p.dial(holder.multiaddrs[0])
    await waitFor(() => reconciles.length > 0, { message: 'the node reconciled with the member that connected' })
    const results = await reconciles[0]

    const tipOf = async (chainId: string): Promise<number> => (await node.chains.tip(chainId)).height
    expect(results.map(r => r.chainId)).not.toContain(released.id)
    expect(results.find(r => r.chainId === backedUp.id)).toMatchObject({ before: HEIGHT / 2, after: HEIGHT, sources: [holderId] })
    // looked at (no table vouches for the holder's blocks of it here, so none is taken)
    expect(results.map(r => r.chainId)).toContain(unclaimed.id)
    expect(await tipOf(backedUp.id)).toBe(HEIGHT)
    // the temporary copy keeps what it held, no more
    expect(await tipOf(released.id)).toBe(HEIGHT / 2)
    // asked by name, it is still fetched (an operator's or a reader's choice)
    const asked = await node.sync.reconcile(released.id, { peers: [holder.peerId] })
    expect(asked[0]).toMatchObject({ before: HEIGHT / 2, after: HEIGHT })
  })
})
