/**
 * The shared chain of a permissioned network (an allow list): no founder,
 * every member starts from the same genesis booth (all of them), so it takes
 * a majority of the members to start it, and two groups that cannot see each
 * other never both start one (shared-formation.ts). Real in-process nodes on
 * loopback.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { loadOrCreateKey } from '../../src/node/identity.ts'
import { toHex } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { ChainReplica } from '../../src/node/paxos-replica.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { statusOf } from '../../src/http/status.ts'

const utf8 = new TextEncoder()
/** Long enough for several elections (a candidate campaigns after 1–2 s without a leader). */
const MINORITY_WRITE_TIMEOUT = 4_000

async function sharedHashes (nodes: VGuardNode[], height: number): Promise<Set<string>> {
  const hashes = new Set<string>()
  for (let h = 1; h <= height; h++) {
    for (const n of nodes) hashes.add(`${h}:${toHex((await n.chains.getBlock('shared', h))?.hash ?? new Uint8Array())}`)
  }
  return hashes
}

/** Writes one key to the shared chain through each node; resolves with the highest height acknowledged. */
async function writeFromEach (nodes: VGuardNode[], tag: string): Promise<number> {
  const results = await Promise.all(nodes.map(async (n, i) => await n.put(`${tag}/${i}`, utf8.encode(tag), { chainId: 'shared' })))
  return Math.max(...results.map(r => r.height))
}

async function expectNoSharedWrite (node: VGuardNode): Promise<void> {
  const attempt = node.put('minority', utf8.encode('x'), { chainId: 'shared', timeout: MINORITY_WRITE_TIMEOUT })
  await expect(attempt).rejects.toSatisfy((err: Error) => err.name === 'NoLeaderError' || err.name === 'NoQuorumError')
}

describe('consensus - the shared chain of a permissioned network', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  /** Data dirs with their keys made first, so the allow list can name every member before any starts. */
  async function members (n: number): Promise<Array<{ dataDir: string, id: string }>> {
    return await Promise.all(Array.from({ length: n }, async () => {
      const dataDir = await cluster.tempDir()
      return { dataDir, id: peerIdFromPrivateKey(await loadOrCreateKey(dataDir)).toString() }
    }))
  }

  it('starts without a founder once a majority of the members is connected; members who come later join it', async () => {
    const m = await members(5)
    const allowedPeers = m.map(x => x.id)
    const a = await cluster.create({ dataDir: m[0].dataDir, allowedPeers })
    await a.start()
    const bootstrap = [a.multiaddrs[0].toString()]
    const b = await cluster.create({ dataDir: m[1].dataDir, allowedPeers, bootstrap })
    await b.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a and b connected' })

    // two of five: no majority of the genesis booth, so no chain and no write
    await expectNoSharedWrite(b)
    expect(sharedLeader(a)).toBeUndefined()
    expect((await a.chains.tip('shared')).height).toBe(0)

    const c = await cluster.create({ dataDir: m[2].dataDir, allowedPeers, bootstrap })
    await c.start()
    const three = [a, b, c]
    await waitFor(() => fullyConnected(three), { timeout: 30_000, message: '3 members connected' })
    await waitFor(() => three.every(n => sharedLeader(n) != null && sharedLeader(n) === sharedLeader(a)), { timeout: 30_000, message: 'one leader for the three' })
    const ids = new Set(three.map(n => n.consensus.driver.sharedFounder))
    expect(ids.size).toBe(1)
    expect([...ids][0]).toMatch(/^members:[0-9a-f]{32}$/)
    const top = await writeFromEach(three, 'three')

    const late = await Promise.all([m[3], m[4]].map(async x => await cluster.create({ dataDir: x.dataDir, allowedPeers, bootstrap })))
    await Promise.all(late.map(async n => { await n.start() }))
    const all = [...three, ...late]
    await waitFor(() => fullyConnected(all), { timeout: 30_000, message: '5 members connected' })
    const top2 = await writeFromEach(all, 'five')
    expect(top2).toBeGreaterThan(top)
    await waitFor(async () => (await Promise.all(all.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= top2), { timeout: 30_000, message: 'every member applied every block' })
    // one block per height everywhere
    expect((await sharedHashes(all, top2)).size).toBe(top2)
    for (const n of all) expect((await n.chains.get('shared', 'three/0'))?.value).toEqual(utf8.encode('three'))
  })

  /** Starts these members (the first the others' bootstrap) with this allow list (none: an open network), fully connected. */
  async function swarmOf (dirs: Array<{ dataDir: string }>, allowedPeers?: string[], first?: VGuardNode): Promise<VGuardNode[]> {
    const lead = first ?? await cluster.create({ dataDir: dirs[0].dataDir, allowedPeers })
    if (lead.status !== 'started') await lead.start()
    const bootstrap = [lead.multiaddrs[0].toString()]
    const rest = await Promise.all(dirs.slice(1).map(async x => await cluster.create({ dataDir: x.dataDir, allowedPeers, bootstrap })))
    await Promise.all(rest.map(async n => { await n.start() }))
    const nodes = [lead, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: `${nodes.length} vehicles connected` })
    return nodes
  }

  /** Waits until every node applied the shared chain up to `height`, then checks each height holds one block everywhere. */
  async function oneChain (nodes: VGuardNode[], height: number): Promise<void> {
    await waitFor(async () => (await Promise.all(nodes.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= height), { timeout: 30_000, message: 'every member applied every block' })
    expect((await sharedHashes(nodes, height)).size).toBe(height)
  }

  it('a member once started alone with a wrong allow list takes the right one\'s chain when nothing of the other is on its disk', async () => {
    const m = await members(3)
    const allowedPeers = m.map(x => x.id)
    const wrong = await cluster.create({ dataDir: m[0].dataDir, allowedPeers: [m[0].id, m[1].id] })
    await wrong.start()
    const wrongId = wrong.consensus.driver.sharedFounder
    await cluster.stopNode(wrong)
    const a = await cluster.create({ dataDir: m[0].dataDir, allowedPeers })
    await a.start()
    expect(a.consensus.driver.sharedFounder).not.toBe(wrongId)
    // the genesis booth the wrong list's replica saved is gone with it: two of three would decide
    expect(a.consensus.driver.shared()?.status().booth).toEqual([...allowedPeers].sort())
    const all = await swarmOf(m, allowedPeers, a)
    expect(new Set(all.map(n => n.consensus.driver.sharedFounder)).size).toBe(1)
    await oneChain(all, await writeFromEach(all, 'right'))
  })

  it('a member added to every allow list after the chain began joins that chain; the others keep it', async () => {
    const m = await members(4)
    let nodes = await swarmOf(m.slice(0, 3), m.slice(0, 3).map(x => x.id))
    const top = await writeFromEach(nodes, 'three')
    const chain = nodes[0].consensus.driver.sharedFounder
    // the fourth vehicle joins the fleet: every list names it, the three restart with the new one
    for (const n of nodes) await cluster.stopNode(n)
    nodes = await swarmOf(m, m.map(x => x.id))
    await waitFor(() => nodes.every(n => n.consensus.driver.sharedFounder === chain), { timeout: 30_000, message: 'the new member runs the chain the three run' })
    // /status names the members that chain starts from (its genesis booth: the three), on every member,
    // the new one included: the list each has now makes another id, and until 2026-12-03 members was null
    for (const n of nodes) expect((await statusOf(n)).shared.members, n.peerId.toString()).toEqual(m.slice(0, 3).map(x => x.id).sort())
    const top2 = await writeFromEach(nodes, 'four')
    expect(top2).toBeGreaterThan(top)
    await oneChain(nodes, top2)
    expect((await nodes[3].chains.get('shared', 'three/0'))?.value).toEqual(utf8.encode('three'))
  })

  it.each(['with its genesis booth', 'without it, as older versions did'])('a network that drops its allow list goes on with the permissioned chain it holds (formation recorded %s)', async (recorded) => {
    const m = await members(3)
    let all = await swarmOf(m, m.map(x => x.id))
    const top = await writeFromEach(all, 'listed')
    const founder = all[0].consensus.driver.sharedFounder
    for (const n of all) await cluster.stopNode(n)
    if (recorded.startsWith('without')) {
      for (const { dataDir } of m) {
        const database = await openDatabase(dataDir)
        const formation = database.sublevel('consensus')
        const key = utf8.encode('shared-formation')
        const record = JSON.parse(new TextDecoder().decode(await formation.get(key))) as Record<string, unknown>
        delete record.booth
        await formation.put(key, utf8.encode(JSON.stringify(record)))
        await database.close()
      }
    }
    // the whole network opens up (no allow list) and restarts
    all = await swarmOf(m)
    for (const n of all) expect(n.consensus.driver.sharedFounder).toBe(founder)
    const top2 = await writeFromEach(all, 'open')
    expect(top2).toBeGreaterThan(top)
    await oneChain(all, top2)
  })

  it('two halves that cannot see each other start no chain; joined, they start one', async () => {
    const m = await members(4)
    const allowedPeers = m.map(x => x.id)
    const start = async (i: number, bootstrap: string[] = []): Promise<VGuardNode> => {
      const n = await cluster.create({ dataDir: m[i].dataDir, allowedPeers, bootstrap })
      await n.start()
      return n
    }
    const a = await start(0)
    const b = await start(1, [a.multiaddrs[0].toString()])
    const c = await start(2)
    const d = await start(3, [c.multiaddrs[0].toString()])
    await waitFor(() => fullyConnected([a, b]) && fullyConnected([c, d]), { message: 'each half connected' })
    expect(a.peers().length + c.peers().length).toBe(2)

    // founding would let each half start its own chain after 3 s; here neither has 3 of 4
    await Promise.all([expectNoSharedWrite(a), expectNoSharedWrite(c)])
    for (const n of [a, b, c, d]) expect((await n.chains.tip('shared')).height).toBe(0)

    await b.libp2p.dial(c.multiaddrs[0])
    const all = [a, b, c, d]
    await waitFor(() => fullyConnected(all), { timeout: 30_000, message: 'the halves joined' })
    const top = await writeFromEach(all, 'joined')
    await waitFor(async () => (await Promise.all(all.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= top), { timeout: 30_000, message: 'every member applied every block' })
    expect((await sharedHashes(all, top)).size).toBe(top)
    expect(all.every(n => n.consensus.driver.sharedConflicts().length === 0)).toBe(true)
  })

  // Under load in CI a member's hello could arrive while its shared chain's
  // consensus was still opening (reading its state from disk): the replica
  // then ran with an election that lacked the sender, dropped its prepares and
  // heartbeats as coming from someone who "may not lead this chain", and the
  // network was left without a leader. Here the open is held until the hello
  // has come, every time.
  it('a hello that arrives while the shared chain opens is not lost: its sender may lead', async () => {
    const m = await members(2)
    const allowedPeers = m.map(x => x.id)
    const a = await cluster.create({ dataDir: m[0].dataDir, allowedPeers })
    await a.start()
    const b = await cluster.create({ dataDir: m[1].dataDir, allowedPeers, bootstrap: [a.multiaddrs[0].toString()] })

    const helloFromA = Promise.withResolvers<void>()
    const transport = b.consensus.driver.transport
    const onHello = transport.onHello
    transport.onHello = (from, hello) => {
      onHello(from, hello)
      if (from === m[0].id) helloFromA.resolve()
    }
    const open = ChainReplica.open.bind(ChainReplica)
    let held = false
    vi.spyOn(ChainReplica, 'open').mockImplementation(async (d, setup) => {
      const replica = await open(d, setup)
      if (d.self === m[1].id && d.chainId === 'shared') {
        await helloFromA.promise
        held = true
      }
      return replica
    })
    await b.start()
    expect(held).toBe(true)

    await waitFor(() => b.consensus.driver.sharedCandidates?.includes(m[0].id) === true, { timeout: 10_000, message: 'b accepts a as a leader of the shared chain' })
    await waitFor(() => a.consensus.driver.sharedCandidates?.includes(m[1].id) === true, { message: 'a accepts b as a leader of the shared chain' })
    const top = await writeFromEach([a, b], 'both')
    await waitFor(async () => (await Promise.all([a, b].map(async n => (await n.chains.tip('shared')).height))).every(h => h >= top), { message: 'both applied every block' })
    expect((await sharedHashes([a, b], top)).size).toBe(top)
  })
})
