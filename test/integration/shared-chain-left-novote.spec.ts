/**
 * A shared chain left while stranded is recorded as left (never taken part
 * in again) only if this node holds a vote in it: leaving clears its votes,
 * and a vehicle that forgot a promise must never vote there again. With no
 * vote of it on disk nothing is forgotten, and recording the chain only
 * shut the vehicle out of a chain it could safely join (until 2026-12-03 for
 * a chain whose founding the node knew). Real in-process nodes on loopback.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LeftChains } from '../../src/node/left-chains.ts'

const utf8 = new TextEncoder()

/** Two started nodes, the second bootstrapped to the first (priority 1 and 0: the first founds and leads). */
async function pair (cluster: TestCluster): Promise<[VGuardNode, VGuardNode]> {
  const a = await cluster.create({ priority: 1 })
  await a.start()
  const b = await cluster.create({ priority: 0, bootstrap: [a.multiaddrs[0].toString()] })
  await b.start()
  await waitFor(() => fullyConnected([a, b]) && [a, b].every(n => sharedLeader(n) === a.peerId.toString()), { timeout: 30_000, message: 'a pair running the first one\'s chain' })
  return [a, b]
}

describe('consensus - a stranded chain left without a vote here is not recorded as left', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle that left a chain in which it never voted (founding known) later takes part in it', async () => {
    const [P, Q] = await pair(cluster)
    const p = P.peerId.toString()
    const founding = P.consensus.driver.sharedFounding
    expect(founding).toBeDefined()
    const [R, S] = await pair(cluster)

    // N's record names P's chain, founding and all, but no vote of N is in it (joined, never asked anything)
    const N0 = await cluster.create()
    await N0.start()
    const { dataDir } = N0.config
    await cluster.stopNode(N0)
    const db = await openDatabase(dataDir)
    await db.sublevel('consensus').put(utf8.encode('shared-formation'), utf8.encode(JSON.stringify({ founder: p, announced: true, founding })))
    await db.close()

    // among R's chain's members only, P's chain is stranded here: N leaves it for R's
    let N = await cluster.create({ dataDir, bootstrap: [R.multiaddrs[0].toString()] })
    await N.start()
    expect(N.consensus.driver.sharedFounder).toBe(p)
    await waitFor(() => N.consensus.driver.sharedFounder === R.peerId.toString(), { timeout: 30_000, message: 'N left the stranded chain for R\'s' })
    await cluster.stopNode(N)
    const check = await openDatabase(dataDir)
    const left = new LeftChains(check.sublevel('consensus'))
    await left.load()
    await check.close()
    // nothing of P's chain was forgotten: not recorded
    expect(left.has(p, founding)).toBe(false)

    // R's chain goes away; N meets P's: its chain (in which it voted) is stranded now, and it takes P's
    await cluster.stopNode(R)
    await cluster.stopNode(S)
    N = await cluster.create({ dataDir, bootstrap: [P.multiaddrs[0].toString()] })
    await N.start()
    await waitFor(() => N.consensus.driver.sharedFounder === p && N.consensus.driver.sharedFounding === founding, { timeout: 30_000, message: 'N took part in P\'s chain again' })
    expect((await N.put('n', utf8.encode('in'), { chainId: 'shared' })).height).toBeGreaterThan(0)
    expect((await Q.get('shared', 'n', { consistency: 'leader' })).value).toEqual(utf8.encode('in'))
  })
})
