/**
 * A copy nobody claims is temporary after a grace of τ: a chain pushed to a
 * node with no backup table naming it is kept whole for τ (its table may be
 * on its way), then pruned like any temporary chain; a copy whose table names
 * the node active, and the node's own chain, are never pruned.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { TestCluster } from '../utils/nodes.ts'
import { createBlock } from '../../src/chain/index.ts'
import type { Block, ChainTip } from '../../src/chain/index.ts'
import { signTable } from '../../src/backup/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
/** τ: short, so that the grace ends within the test. */
const RETENTION = 400

/** Three old blocks (timestamps long before now − τ) of `chainId`, proposed by `owner`. */
function oldChain (chainId: string, owner: string): Block[] {
  const blocks: Block[] = []
  let prev: ChainTip = { chainId, height: 0, hash: new Uint8Array(32) }
  for (let h = 1; h <= 3; h++) {
    const block = createBlock({ prev, proposer: owner, timestamp: 1_000 * h, transactions: [{ key: `k${h}`, value: utf8.encode('v'.repeat(100)) }] })
    blocks.push(block)
    prev = { chainId, height: h, hash: block.hash }
  }
  return blocks
}

async function vehicle (): Promise<{ key: PrivateKey, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

const payloadOf = async (node: VGuardNode, chainId: string): Promise<number> => (await node.chains.info(chainId))?.payloadBytes ?? -1

describe('retention - unclaimed copies', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('keeps an unclaimed copy whole for τ, then prunes it; never a claimed copy or its own chain', async () => {
    // the storage master's own timer stays out of the way: runs are called below
    const A = await cluster.create({ retention: RETENTION, unclaimedGrace: RETENTION, pruneInterval: 24 * 3_600_000 })
    await A.start()
    const self = A.peerId.toString()
    const [pushed, claimed] = await Promise.all([vehicle(), vehicle()])
    const own = oldChain(self, self)
    await A.chains.appendMany(own)
    // what a replicate push leaves behind: a copy, and (for one of them) no table
    await A.chains.appendMany(oldChain(pushed.id, pushed.id))
    const claimedBlocks = oldChain(claimed.id, claimed.id)
    await A.chains.appendMany(claimedBlocks)
    const table = await signTable(claimed.key, claimed.id, {
      chainId: claimed.id, epoch: 1, active: [self], obsolete: [], height: 3, tipHash: claimedBlocks[2].hash, timestamp: Date.now()
    })
    await A.vguarddb.tables.adopt(table.signed, claimed.id)
    const whole = await payloadOf(A, pushed.id)
    expect(whole).toBeGreaterThan(0)

    // first seen now: its table may be on its way, nothing is pruned although its blocks are old
    const started = Date.now()
    const first = await A.storageMaster.run()
    expect(first.pruned).toEqual({})
    expect(await payloadOf(A, pushed.id)).toBe(whole)

    // τ later nobody has claimed it: it is temporary storage like any other
    await new Promise(resolve => setTimeout(resolve, Math.max(0, started + RETENTION - Date.now()) + 20))
    const later = await A.storageMaster.run()
    expect(later.pruned).toEqual({ [pushed.id]: [1, 2, 3] })
    expect(await payloadOf(A, pushed.id)).toBe(0)
    // headers stay: the chain is still there and verifies
    expect((await A.chains.tip(pushed.id)).height).toBe(3)
    // the claimed copy and the node's own chain are untouched
    expect(await payloadOf(A, claimed.id)).toBeGreaterThan(0)
    expect(await payloadOf(A, self)).toBeGreaterThan(0)

    // /status says how each copy is kept (heldAs), by the same rule retention follows
    expect((await A.vguarddb.status(pushed.id)).heldAs).toBe('unclaimed')
    expect((await A.vguarddb.status(claimed.id)).heldAs).toBe('active')
    expect((await A.vguarddb.status(self)).heldAs).toBeUndefined()
    const newer = await signTable(claimed.key, claimed.id, {
      chainId: claimed.id, epoch: 2, active: [pushed.id], obsolete: [self], height: 3, tipHash: claimedBlocks[2].hash, timestamp: Date.now()
    })
    await A.vguarddb.tables.adopt(newer.signed, claimed.id)
    expect((await A.vguarddb.status(claimed.id)).heldAs).toBe('temporary')
  })
})
