/**
 * A write the shared chain's leader proposed while cut off from its booth
 * (accepted by itself alone), retried with its id through the leader elected
 * meanwhile and committed there, is not proposed again when the old leader
 * leads once more and learns its proposal's slot chose another value: it
 * commits once, and both answers name that block. Real nodes over TCP; the
 * cut drops the shared chain's consensus messages to and from the leader
 * (its connections stay, so it still takes writes as it would before its
 * quorum check tells it it lost its booth).
 *
 * And a write the cut-off leader proposed for itself that times out after it
 * lost the lead says it may still commit: losing the lead does not answer its
 * proposal (only the decision of its slot does), so its attempt never ends as
 * one that wrote nothing while its own acceptance may still be chosen.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, fullyConnected, prioritySwarm, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { transactionsOf } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { CommitResult } from '../../src/node/replica-types.ts'

const utf8 = new TextEncoder()

/** Drops the shared chain's consensus messages from `leader` and to it while `cut.on`. */
function cutConsensus (nodes: VGuardNode[], leader: VGuardNode, cut: { on: boolean }): void {
  const id = leader.peerId.toString()
  for (const node of nodes) {
    const transport = node.consensus.driver.transport
    const send = transport.send.bind(transport)
    vi.spyOn(transport, 'send').mockImplementation((messages) => {
      send(cut.on ? messages.filter(cm => cm.chainId !== 'shared' || (node !== leader && cm.message.to !== id)) : messages)
    })
  }
}

/**
 * Three vehicles, the priority-9 one leading the shared chain with a block behind it, then cut off: its
 * consensus messages are dropped both ways until `cut.on` is false.
 */
async function leaderCutOff (cluster: TestCluster): Promise<{ nodes: VGuardNode[], leader: VGuardNode, next: VGuardNode, third: VGuardNode, cut: { on: boolean } }> {
  const nodes = await prioritySwarm(cluster, [9, 5, 0])
  const [leader, next, third] = nodes
  await waitFor(() => nodes.every(n => sharedLeader(n) === leader.peerId.toString()), { timeout: 30_000, message: 'every node follows the priority-9 leader' })
  await third.put('before', utf8.encode('x'), { chainId: 'shared' })
  const cut = { on: true }
  cutConsensus(nodes, leader, cut)
  return { nodes, leader, next, third, cut }
}

/** The heights of the shared chain's blocks on `node` that write `key`. */
async function heightsWriting (node: VGuardNode, key: string): Promise<number[]> {
  const heights: number[] = []
  const top = (await node.chains.tip('shared')).height
  for (let h = 1; h <= top; h++) {
    const block = await node.chains.getBlock('shared', h)
    if (block != null && transactionsOf(block).some(tx => tx.key === key)) heights.push(h)
  }
  return heights
}

describe('consensus - shared chain, a cut-off leader\'s proposal retried elsewhere', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  for (const how of ['keyed, sent to the leader, retried through another vehicle', 'forwarded to the leader, retried by its vehicle (one id)'] as const) {
    it(`commits once when the old leader leads again (${how})`, async () => {
      const { leader, next, third, cut } = await leaderCutOff(cluster)

      // the leader proposes the write; only it accepts it
      const keyed = how.startsWith('keyed')
      const options = { chainId: 'shared', timeout: 60_000, ...(keyed ? { idempotencyKey: 'road-17' } : {}) }
      const first = (keyed ? leader : third).put('road', utf8.encode('open'), options).catch((err: Error) => err)
      await waitFor(() => (leader.consensus.driver.shared()?.status().outstanding ?? 0) > 0, { message: 'the leader proposed the write' })
      // the other two elect the next; the write commits through it (a retry under the key, or the same call's next attempt)
      await waitFor(() => sharedLeader(third) === next.peerId.toString(), { timeout: 30_000, message: 'the other two follow the next' })
      const committed: CommitResult | Error = keyed ? await third.put('road', utf8.encode('open'), options) : await first
      if (committed instanceof Error) throw committed
      // the next leaves; back with the third, the old leader leads again and learns its proposal's slot chose another value
      await cluster.stopNode(next)
      const live = [leader, third]
      cut.on = false
      await waitFor(() => fullyConnected(live) && live.every(n => sharedLeader(n) === leader.peerId.toString()), { timeout: 60_000, message: 'the old leader leads the two' })

      const answer = await first
      if (answer instanceof Error) throw answer
      expect(answer.height).toBe(committed.height)
      const after = await third.put('after', utf8.encode('y'), { chainId: 'shared' })
      await waitFor(async () => (await Promise.all(live.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= after.height), { message: 'both applied every block' })
      for (const n of live) expect(await heightsWriting(n, 'road'), n === leader ? 'the old leader' : 'the third').toEqual([committed.height])
    }, 120_000)
  }

  it('a write the leader proposed alone and timed out after it lost the lead says it may still commit; it commits at most once', async () => {
    const { nodes, leader, next, third, cut } = await leaderCutOff(cluster)

    // the leader proposes its own write; only it accepts it
    const first = leader.put('road', utf8.encode('open'), { chainId: 'shared', timeout: 10_000 }).catch((err: Error) => err)
    await waitFor(() => (leader.consensus.driver.shared()?.status().outstanding ?? 0) > 0, { message: 'the leader proposed the write' })
    // it loses the lead (the others elect the next), its proposal undecided; the write's deadline comes after
    await waitFor(() => sharedLeader(third) === next.peerId.toString() && leader.consensus.driver.shared()?.isLeader() === false, { timeout: 30_000, message: 'the leader stepped down, the others follow the next' })
    const failed = await first
    expect(failed).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: /may still commit/ })
    expect((failed as Error).message).not.toMatch(/nothing was written/)

    // back together, the old leader leads again: its proposal is chosen (phase 1 recovers it) or its slot takes another value
    cut.on = false
    await waitFor(() => fullyConnected(nodes) && nodes.every(n => sharedLeader(n) === leader.peerId.toString()), { timeout: 60_000, message: 'the old leader leads the three' })
    const after = await third.put('after', utf8.encode('y'), { chainId: 'shared' })
    await waitFor(async () => (await Promise.all(nodes.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= after.height), { message: 'all applied every block' })
    const heights = await Promise.all(nodes.map(async n => await heightsWriting(n, 'road')))
    expect(heights[0].length).toBeLessThanOrEqual(1)
    for (const h of heights) expect(h).toEqual(heights[0])
  }, 120_000)
})
