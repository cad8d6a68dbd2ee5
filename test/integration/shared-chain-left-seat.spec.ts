/**
 * A vehicle that left a shared chain (recorded as left: it cleared its votes
 * there) refuses every message of that chain for good. Its members must not
 * count it: no booth seat, no candidacy. It says so in its hello
 * (Hello.sharedRefused); until 2026-12-03 it announced only "no chain", read
 * as "joins when it hears of ours", and the leader kept or gave it a seat it
 * never filled. Real in-process nodes on loopback.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, fullyConnected, prioritySwarm, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode, VGuardNodeOptions } from '../../src/node/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LeftChains } from '../../src/node/left-chains.ts'

const utf8 = new TextEncoder()

const booth = (n: VGuardNode): string[] => n.consensus.driver.shared()?.status().booth ?? []

/**
 * Stops `n`, records the shared chain it runs as left (what a leave writes first, synced, before it clears
 * the chain's state: a start that finds it finishes the leave), and starts it again, bootstrapped to `to`.
 * Its connected members run only that chain, so it runs none.
 */
async function leaveChain (cluster: TestCluster, n: VGuardNode, to: VGuardNode, overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode> {
  const { dataDir } = n.config
  const priority = n.config.priority
  await cluster.stopNode(n)
  const db = await openDatabase(dataDir)
  const formation = JSON.parse(new TextDecoder().decode(await db.sublevel('consensus').get(utf8.encode('shared-formation')))) as { founder: string, founding?: string }
  await new LeftChains(db.sublevel('consensus')).add({ founder: formation.founder, ...(formation.founding == null ? {} : { founding: formation.founding }) })
  await db.close()
  const again = await cluster.create({ dataDir, priority, bootstrap: [to.multiaddrs[0].toString()], ...overrides })
  await again.start()
  expect(again.consensus.driver.sharedFounder).toBeUndefined()
  return again
}

describe('consensus - a vehicle that left the shared chain holds no seat in it', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  it('its seat is dropped though nobody replaces it, it is no candidate, and the booth left keeps committing with one member less', async () => {
    const nodes = await prioritySwarm(cluster, [3, 2, 1, 0])
    const [L, A, B] = nodes
    const leader = L.peerId.toString()
    await waitFor(() => nodes.every(n => sharedLeader(n) === leader) && booth(L).length === 4, { timeout: 30_000, message: 'a booth of all four, led by L' })
    expect((await A.put('before', utf8.encode('4'), { chainId: 'shared' })).height).toBe(1)

    const S = await leaveChain(cluster, nodes[3], L)
    const s = S.peerId.toString()
    await waitFor(() => fullyConnected([L, A, B, S]), { timeout: 30_000, message: 'the vehicle that left is connected again' })
    await waitFor(() => !booth(L).includes(s), { timeout: 20_000, message: `the seat of the vehicle that left is dropped (booth ${JSON.stringify(booth(L))})` })
    expect(booth(L)).toHaveLength(3)
    // the others hear its new hello once they no longer hold its new process as a possible clone of the old
    await waitFor(() => [L, A, B].every(n => n.consensus.driver.sharedCandidates?.includes(s) === false), { timeout: 30_000, message: 'no member counts it as a candidate' })

    // a booth of three: L and A are its majority. With S's dead seat kept, L and A were two of four
    await cluster.stopNode(B)
    expect((await A.put('after', utf8.encode('3'), { chainId: 'shared', timeout: 20_000 })).height).toBe(2)
    expect(booth(L)).not.toContain(s)
    expect(S.consensus.driver.sharedFounder).toBeUndefined()
  })

  it('its founder, once it left the chain, is no candidate either (by its hello; until 2026-12-03 a founder always was one)', async () => {
    const nodes = await prioritySwarm(cluster, [3, 2, 1, 0])
    const [F, A, B, C] = nodes
    const founder = F.peerId.toString()
    await waitFor(() => nodes.every(n => sharedLeader(n) === founder) && booth(F).length === 4, { timeout: 30_000, message: 'a booth of all four, led by its founder' })
    const left = await leaveChain(cluster, F, A)
    const a = A.peerId.toString()
    await waitFor(() => [A, B, C].every(n => sharedLeader(n) === a) && !booth(A).includes(founder), { timeout: 30_000, message: 'the next best leads, the founder\'s seat dropped' })
    await waitFor(() => [A, B, C].every(n => n.consensus.driver.sharedCandidates?.includes(founder) === false), { timeout: 30_000, message: 'no member counts the founder as a candidate' })
    expect((await C.put('on', utf8.encode('without its founder'), { chainId: 'shared' })).height).toBe(1)
    expect(left.consensus.driver.sharedFounder).toBeUndefined()
  })

  it('a vehicle that meets the others only through one that left their chain does not wait for it to found: it founds, and that one joins it', async () => {
    const nodes = await prioritySwarm(cluster, [3, 2, 1])
    const [L, A] = nodes
    await waitFor(() => nodes.every(n => sharedLeader(n) === L.peerId.toString()), { timeout: 30_000, message: 'the three run L\'s chain' })
    const S = await leaveChain(cluster, nodes[2], L)
    await waitFor(() => fullyConnected([L, A, S]), { timeout: 30_000, message: 'the vehicle that left is connected again' })
    // X meets S alone: L and A refuse its connections, it refuses theirs (a partial view, as on the road)
    const X = await cluster.create({ priority: 0, bootstrap: [S.multiaddrs[0].toString()] })
    const apart = (node: VGuardNode, others: VGuardNode[]): void => {
      const peering = (node as unknown as { peering: { gate: (peerId: VGuardNode['peerId']) => boolean } }).peering
      const gate = peering.gate.bind(peering)
      vi.spyOn(peering, 'gate').mockImplementation(peerId => others.some(o => peerId.equals(o.peerId)) || gate(peerId))
    }
    apart(X, [L, A])
    apart(L, [X])
    apart(A, [X])
    await X.start()
    const x = X.peerId.toString()
    // S outranks X, but founds nothing (the chain its members run it left), and names neither itself nor them
    // as the best to found: until 2026-12-03 X waited for it for good
    await waitFor(() => X.consensus.driver.sharedFounder === x && S.consensus.driver.sharedFounder === x, { timeout: 30_000, message: 'X founds, and the vehicle that left joins X\'s chain' })
    expect((await S.put('s', utf8.encode('in'), { chainId: 'shared' })).height).toBe(1)
  })

  it('a leader with room in its booth seats a newcomer, never the vehicle that left', async () => {
    const nodes = await prioritySwarm(cluster, [3, 2, 1, 0], { boothSize: 5 })
    const [L, A, B] = nodes
    const leader = L.peerId.toString()
    await waitFor(() => nodes.every(n => sharedLeader(n) === leader) && booth(L).length === 4, { timeout: 30_000, message: 'a booth of all four, led by L' })
    const S = await leaveChain(cluster, nodes[3], L, { boothSize: 5 })
    const s = S.peerId.toString()
    await waitFor(() => !booth(L).includes(s), { timeout: 20_000, message: 'the seat of the vehicle that left is dropped' })

    const N = await cluster.create({ priority: 0, boothSize: 5, bootstrap: [L.multiaddrs[0].toString()] })
    await N.start()
    const n = N.peerId.toString()
    await waitFor(() => booth(L).includes(n), { timeout: 30_000, message: 'the newcomer is seated' })
    // one seat still free, and the vehicle that left connected: not taken
    expect(L.peers().map(p => p.peerId)).toContain(s)
    expect(booth(L)).toHaveLength(4)
    expect(booth(L)).not.toContain(s)
    expect((await N.put('newcomer', utf8.encode('in'), { chainId: 'shared' })).height).toBeGreaterThan(0)
    expect(booth(L)).not.toContain(s)
    await waitFor(() => [L, A, B, N].every(x => x.consensus.driver.sharedCandidates?.includes(s) === false), { timeout: 30_000, message: 'no member counts it as a candidate' })
  })
})
