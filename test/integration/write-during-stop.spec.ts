/**
 * Writes under way when their node stops: each is answered with its commit,
 * or fails with ConsensusStoppedError saying whether it may still commit
 * (`mayHaveCommitted`). A probe found writes rejected as "stopped" that were
 * in the chain after a reopen (a caller retrying without an idempotency key
 * wrote them twice), and shared-chain writes failing with NoLeaderError
 * "within 10000 ms" a quarter of a second after a stop, with the leader known
 * and reached. An error that says nothing was written must mean it.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, connectedSwarm, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { decodeTransactions } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

type Outcome = { key: string, height: number } | { key: string, error: Error & { mayHaveCommitted?: boolean } }

async function fire (node: VGuardNode, keys: string[], chainId?: string): Promise<Array<Promise<Outcome>>> {
  return keys.map(async key => await node.put(key, utf8.encode(key), chainId != null ? { chainId } : {})
    .then(r => ({ key, height: r.height }), (error: Error) => ({ key, error })))
}

/** Every key in the chain, with the height of the block that wrote it. */
async function keysIn (node: VGuardNode, chainId: string): Promise<Map<string, number>> {
  const keys = new Map<string, number>()
  for await (const block of node.chains.blocks(chainId)) {
    if (block.payload == null) continue
    for (const tx of decodeTransactions(block.payload)) keys.set(tx.key, block.header.height)
  }
  return keys
}

function check (outcomes: Outcome[], written: Map<string, number>): void {
  for (const o of outcomes) {
    if ('height' in o) {
      expect(written.get(o.key), `${o.key} was acknowledged at ${o.height}`).toBe(o.height)
      continue
    }
    expect(o.error.name, `${o.key}: ${o.error.message}`).toBe('ConsensusStoppedError')
    if (o.error.mayHaveCommitted !== true) expect(written.has(o.key), `${o.key} failed as not written (${o.error.message}), yet it is in the chain`).toBe(false)
  }
}

describe('consensus - writes under way when their node stops', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  it("a vehicle's own chain: an error saying nothing was written means nothing was", async () => {
    const node = await cluster.create()
    await node.start()
    const chainId = node.peerId.toString()
    await node.put('warm', utf8.encode('up'))
    const pending = await fire(node, Array.from({ length: 40 }, (_, i) => `stop/${i}`))
    await cluster.stopNode(node)
    const outcomes = await Promise.all(pending)

    const reopened = await cluster.create({ dataDir: node.config.dataDir })
    check(outcomes, await keysIn(reopened, chainId))
  })

  it('the shared chain: a write forwarded to the leader is not said to have found no leader', async () => {
    const nodes = await connectedSwarm(cluster, 3)
    const leaderOf = (n: VGuardNode): string | undefined => n.consensus.driver.shared()?.leader()
    await waitFor(() => nodes.every(n => leaderOf(n) != null && leaderOf(n) === leaderOf(nodes[0])), { timeout: 30_000, message: 'one shared-chain leader' })
    const leader = nodes.find(n => n.peerId.toString() === leaderOf(n))
    const writer = nodes.find(n => n !== leader)
    if (leader == null || writer == null) throw new Error('no leader and follower')
    await writer.put('warm', utf8.encode('up'), { chainId: 'shared' })

    const pending = await fire(writer, Array.from({ length: 30 }, (_, i) => `shared-stop/${i}`), 'shared')
    await cluster.stopNode(writer)
    const outcomes = await Promise.all(pending)
    // acknowledged ones the leader applied before answering; one never sent cannot turn up later
    check(outcomes, await keysIn(leader, 'shared'))
  })
  for (const keyed of [false, true]) {
    it(`the shared chain: a forward this node's stop kept from opening its stream says nothing was written, not that the leader may hold it (${keyed ? 'keyed' : 'unkeyed'})`, async () => {
      const nodes = await connectedSwarm(cluster, 3)
      await waitFor(() => nodes.every(n => sharedLeader(n) != null && sharedLeader(n) === sharedLeader(nodes[0])), { timeout: 30_000, message: 'one shared-chain leader' })
      const leader = nodes.find(n => n.peerId.toString() === sharedLeader(n))
      const writer = nodes.find(n => n !== leader)
      if (leader == null || writer == null) throw new Error('no leader and follower')
      await writer.put('warm', utf8.encode('up'), { chainId: 'shared' })

      // the forward is held until the writer's stop has stopped libp2p: its stream never opens
      const writes = writer.consensus.writes
      const forward = writes.forward.bind(writes)
      let handed = (): void => {}
      const handedOver = new Promise<void>(resolve => { handed = resolve })
      vi.spyOn(writes, 'forward').mockImplementation(async (...args) => {
        handed()
        await waitFor(() => writer.libp2p.status === 'stopped', { timeout: 60_000, message: 'the writer\'s libp2p stopped' })
        return await forward(...args)
      })
      const options = { chainId: 'shared', ...(keyed ? { idempotencyKey: 'never-sent' } : {}) }
      const outcome = writer.put('never-sent', utf8.encode('x'), options).then(() => new Error('the write committed'), (err: Error) => err)
      await handedOver
      await cluster.stopNode(writer)

      const err = await outcome as Error & { mayHaveCommitted?: boolean }
      expect(err.name, err.message).toBe('ConsensusStoppedError')
      // it was "may still commit", flagged, with "nothing was sent" in its own brackets (a helper's reading, 2026-12-03)
      if (!keyed) {
        expect(err.mayHaveCommitted, err.message).toBe(false)
        expect(err.message).not.toMatch(/may still commit/)
        expect(err.message).toMatch(/nothing was written/)
      } else {
        // a key's earlier attempt may commit (keyedFailure); this one's words say only that it was not sent
        expect(err.mayHaveCommitted, err.message).toBe(true)
        expect(err.message).toMatch(/this attempt was not sent.*this attempt wrote nothing; an earlier attempt under the same idempotency key/)
        expect(err.message).not.toMatch(/the write is not committed|nothing was (sent|written)/)
      }
      expect((await keysIn(leader, 'shared')).has('never-sent')).toBe(false)
    })
  }
})
