/**
 * Keyed retries across a snapshot, with real nodes. A vehicle that was away
 * while the shared chain went on catches up from a snapshot: it fetches the
 * blocks, which carry no write ids. It used to lead again without knowing
 * which writes those blocks hold, so a retry of one (its first answer lost)
 * reaching it was proposed again and committed twice. It now fetches the
 * write ids of those blocks from the member whose snapshot it installed
 * (sync WRITES), and answers the retry with the first commit.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { toHex, transactionsOf } from '../../src/chain/index.ts'

const utf8 = new TextEncoder()

describe('consensus - write ids across a snapshot', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a leader that caught up by snapshot answers a keyed retry with the first commit, not a second one', async () => {
    const first = await cluster.create({ priority: 9 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all([0, 0].map(async (priority) => await cluster.create({ bootstrap, priority })))
    await Promise.all(rest.map(async n => { await n.start() }))
    await waitFor(() => fullyConnected([first, ...rest]), { timeout: 30_000, message: 'three nodes connected' })
    const best = first.peerId.toString()
    await waitFor(() => [first, ...rest].every(n => sharedLeader(n) === best), { timeout: 30_000, message: 'every node follows the priority-9 leader' })
    // the booth has grown to all three (it starts as the founder alone): without it the other two are no majority
    await waitFor(() => [first, ...rest].every(n => n.consensus.driver.shared()?.status().booth.length === 3), { timeout: 30_000, message: 'a booth of three' })

    // the best-ranked vehicle goes away; the others go on
    const dataDir = first.config.dataDir
    await cluster.stopNode(first)
    const [b, c] = rest
    await waitFor(() => sharedLeader(b) != null && sharedLeader(b) !== best && sharedLeader(b) === sharedLeader(c), { timeout: 60_000, message: 'an interim leader' })
    const value = utf8.encode('closed')
    const written = await b.put('road', value, { chainId: 'shared', idempotencyKey: 'road-closure-1' })
    // enough slots that the interim leader compacts its log past what the returning vehicle holds
    for (let i = 0; i < 340; i++) await c.put(`fix/${i}`, utf8.encode(String(i)), { chainId: 'shared' })
    const interim = sharedLeader(b) === b.peerId.toString() ? b : c
    await waitFor(() => (interim.consensus.driver.shared()?.status().compacted ?? 0) > written.height, { timeout: 30_000, message: 'the interim leader compacted past the keyed write' })

    // it comes back, catches up from a snapshot, and leads again
    const back = await cluster.create({ dataDir, priority: 9, bootstrap: [b.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => [back, b, c].every(n => sharedLeader(n) === best), { timeout: 60_000, message: 'the returning vehicle leads again' })
    expect(back.consensus.driver.shared()?.status().compacted, 'it caught up by snapshot').toBeGreaterThan(written.height)

    // the writer's first answer was lost: it retries through the returning leader
    const retry = await back.put('road', value, { chainId: 'shared', idempotencyKey: 'road-closure-1' })
    expect({ height: retry.height, hash: toHex(retry.hash) }).toEqual({ height: written.height, hash: toHex(written.hash) })
    // and the chain holds the write once
    const tip = await back.chains.tip('shared')
    let copies = 0
    for await (const block of back.chains.blocks('shared', { from: 1, to: tip.height })) {
      copies += transactionsOf(block).filter(tx => tx.key === 'road').length
    }
    expect(copies).toBe(1)
    // an upper bound: ~11 s alone, but 340 commits one after another and three elections outlast
    // the default 60 s on a loaded 2-core machine (a CI run beside a soak did)
  }, 180_000)
})
