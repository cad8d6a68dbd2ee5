/**
 * A best-ranked vehicle that left the shared chain it founded (recorded in
 * its left chains) founds a fresh one when formation comes to it again,
 * rather than waiting for good while the others wait on it. Real nodes over
 * TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LeftChains } from '../../src/node/left-chains.ts'
import type { Formation } from '../../src/node/shared-chain-choice.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

/** The formation record a stopped node keeps in its data dir. */
async function recordIn (dataDir: string): Promise<Formation | undefined> {
  const db = await openDatabase(dataDir)
  try {
    const stored = await db.sublevel('consensus').get(utf8.encode('shared-formation'))
    return stored == null ? undefined : JSON.parse(new TextDecoder().decode(stored)) as Formation
  } finally {
    await db.close()
  }
}

describe('consensus - a founder that left its shared chain', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  /** A best-ranked founder leads the chain it founded with one member; both stop. */
  async function foundThenStop (): Promise<{ id: string, dataDir: string }> {
    const founder = await cluster.create({ priority: 5 })
    await founder.start()
    const id = founder.peerId.toString()
    const member = await cluster.create({ bootstrap: [founder.multiaddrs[0].toString()] })
    await member.start()
    await waitFor(() => [founder, member].every(n => sharedLeader(n) === id && n.consensus.driver.sharedFounder === id), { timeout: 30_000, message: 'the founder leads its chain' })
    const { dataDir } = founder.config
    await Promise.all([cluster.stopNode(founder), cluster.stopNode(member)])
    return { id, dataDir }
  }

  /**
   * The founder restarts from its data dir, again the best-ranked, among two new vehicles that run
   * no chain (nobody else may found): resolves once all three run one chain the founder leads.
   */
  async function restartAmongNewcomers (id: string, dataDir: string): Promise<{ founder: VGuardNode, others: VGuardNode[] }> {
    const founder = await cluster.create({ dataDir, priority: 5 })
    await founder.start()
    const others = await Promise.all([0, 0].map(async () => await cluster.create({ bootstrap: [founder.multiaddrs[0].toString()] })))
    await Promise.all(others.map(async n => { await n.start() }))
    const nodes: VGuardNode[] = [founder, ...others]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '3 nodes connected' })
    await waitFor(() => nodes.every(n => n.consensus.driver.sharedFounder === id && sharedLeader(n) === id), { timeout: 30_000, message: 'a chain formed, led by the founder' })
    return { founder, others }
  }

  it('founds a fresh chain (another founding, marked refounded) when it is the best to found again: a chain forms, written from the others', async () => {
    const { id, dataDir } = await foundThenStop()

    // it left that chain (as a stranded chain is left: recorded first, synced); its start finishes the leave
    const old = await recordIn(dataDir)
    expect(old?.founder).toBe(id)
    expect(old?.founding).toMatch(/^[0-9a-f]{32}$/)
    const db = await openDatabase(dataDir)
    await new LeftChains(db.sublevel('consensus')).add({ founder: id, founding: old?.founding })
    await db.close()

    const restarted = await restartAmongNewcomers(id, dataDir)
    let founder = restarted.founder
    const others = restarted.others

    const founding = founder.consensus.driver.sharedFounding
    expect(founding).toMatch(/^[0-9a-f]{32}$/)
    expect(founding).not.toBe(old?.founding)
    expect(others.map(n => n.consensus.driver.sharedFounding)).toEqual([founding, founding])
    for (const [i, n] of others.entries()) expect((await n.put(`after/${i}`, utf8.encode('ok'), { chainId: 'shared' })).height).toBe(i + 1)

    // its record says so, and survives a restart: the founder's own votes still count (it leads again)
    await cluster.stopNode(founder)
    expect(await recordIn(dataDir)).toMatchObject({ founder: id, founding, refounded: true })
    founder = await cluster.create({ dataDir, priority: 5, bootstrap: [others[0].multiaddrs[0].toString()] })
    await founder.start()
    await waitFor(() => [founder, ...others].every(n => sharedLeader(n) === id), { timeout: 30_000, message: 'the founder leads again after its restart' })
    expect(founder.consensus.driver.sharedFounding).toBe(founding)
    expect((await founder.put('back', utf8.encode('yes'), { chainId: 'shared' })).height).toBe(3)
  })

  it('founds a fresh chain too when its left entry was written without a founding (an earlier version\'s): the entry is bound to the chain founded with this database', async () => {
    const { id, dataDir } = await foundThenStop()
    const old = await recordIn(dataDir)
    expect(old?.founding).toMatch(/^[0-9a-f]{32}$/)

    // the left entry as an earlier version stored it: the founder alone, no founding (every founding of it)
    const db = await openDatabase(dataDir)
    await db.sublevel('consensus').put(utf8.encode('shared-left'), utf8.encode(JSON.stringify([{ founder: id }])))
    await db.close()

    const restarted = await restartAmongNewcomers(id, dataDir)
    let founder = restarted.founder
    const others = restarted.others
    const founding = founder.consensus.driver.sharedFounding
    expect(founding).not.toBe(old?.founding)
    expect(others.map(n => n.consensus.driver.sharedFounding)).toEqual([founding, founding])
    expect((await others[0].put('after', utf8.encode('ok'), { chainId: 'shared' })).height).toBe(1)

    // the entry now names the chain it left (the one founded with this database), and only it: after a
    // restart the fresh chain is not taken for the one left (a start would finish "leaving" it)
    await cluster.stopNode(founder)
    const check = await openDatabase(dataDir)
    const left = new LeftChains(check.sublevel('consensus'))
    await left.load()
    await check.close()
    expect(left.has(id, old?.founding)).toBe(true)
    expect(left.has(id, founding)).toBe(false)
    expect(await recordIn(dataDir)).toMatchObject({ founder: id, founding, refounded: true })
    founder = await cluster.create({ dataDir, priority: 5, bootstrap: [others[0].multiaddrs[0].toString()] })
    await founder.start()
    await waitFor(() => [founder, ...others].every(n => sharedLeader(n) === id), { timeout: 30_000, message: 'the founder leads again after its restart' })
    expect((await founder.put('back', utf8.encode('yes'), { chainId: 'shared' })).height).toBe(2)
  })
})
