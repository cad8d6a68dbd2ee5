/**
 * A founder that lost its database (its peer.key kept) and joins its own
 * shared chain before any member says the chain's founding holds a vote
 * there made with its new database; if that chain strands here (no block, no
 * leader, no connected member runs it) it leaves it for the chain its
 * connected members run, and its votes there go. What it left is a chain of
 * its own founded with a database since lost: it is recorded `lostDatabase`
 * (left-chains.ts), every founding of its own but those made with this
 * database, so it never takes part in the chain left again, while the
 * chain's members go on with it, their blocks untouched.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { toHex } from '../../src/chain/index.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { LeftChains } from '../../src/node/left-chains.ts'
import type { LeftChain } from '../../src/node/left-chains.ts'
import { forgetFounding, wipeDatabase } from '../utils/lost-database.ts'

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** A stopped node's shared chains left, as stored, and read back as the node reads them with its incarnation. */
async function leftOf (dataDir: string, self: string, incarnation: string): Promise<{ stored: LeftChain[], left: LeftChains }> {
  const db = await openDatabase(dataDir)
  try {
    const raw = await db.sublevel('consensus').get(utf8.encode('shared-left'))
    const left = new LeftChains(db.sublevel('consensus'))
    await left.load({ self, incarnation })
    return { stored: raw == null ? [] : JSON.parse(utf8d.decode(raw)) as LeftChain[], left }
  } finally {
    await db.close()
  }
}

/** Every one of `nodes` is connected to every other (to others too, maybe). */
const allConnected = (nodes: VGuardNode[]): boolean =>
  nodes.every(n => nodes.every(m => m === n || n.peers().some(p => p.peerId === m.peerId.toString())))

const hashesOf = async (n: VGuardNode, top: number): Promise<string[]> =>
  await Promise.all(Array.from({ length: top }, async (_, i) => toHex((await n.chains.getBlock('shared', i + 1))?.hash ?? new Uint8Array())))

describe('consensus - a founder that lost its database leaves its own chain stranded here', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('records it lostDatabase and never takes part in it again; the chain\'s members keep their blocks and go on', async () => {
    // W founds the shared chain with A and B; three writes are acknowledged
    const W = await cluster.create({ priority: 9 })
    await W.start()
    const wBoot = [W.multiaddrs[0].toString()]
    const [A, B] = await Promise.all([cluster.create({ bootstrap: wBoot, priority: 3 }), cluster.create({ bootstrap: wBoot, priority: 1 })])
    await Promise.all([A.start(), B.start()])
    await waitFor(() => fullyConnected([W, A, B]), { timeout: 30_000, message: 'three connected' })
    const w = W.peerId.toString()
    await waitFor(() => [W, A, B].every(n => sharedLeader(n) === w), { timeout: 30_000, message: 'W leads' })
    const acked: Array<{ height: number, hash: string }> = []
    for (let i = 0; i < 3; i++) {
      const r = await W.put(`old/${i}`, utf8.encode('x'), { chainId: 'shared' })
      acked.push({ height: r.height, hash: toHex(r.hash) })
    }
    await waitFor(async () => (await Promise.all([A, B].map(async n => (await n.chains.tip('shared')).height))).every(h => h >= 3), { message: 'A and B applied the blocks' })
    const chain = B.consensus.driver.sharedFounding
    expect(chain).toBe(W.consensus.driver.incarnation())
    const [wDir, aDir, bDir] = [W.config.dataDir, A.config.dataDir, B.config.dataDir]
    await Promise.all([W, A, B].map(async n => { await cluster.stopNode(n) }))

    // W loses its database, keeps its key; B says no founding (a member of an earlier version)
    await wipeDatabase(wDir)
    await forgetFounding(bDir)
    const B2 = await cluster.create({ dataDir: bDir, priority: 1 })
    await B2.start()
    const W2 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [B2.multiaddrs[0].toString()] })
    await W2.start()
    const incarnation = W2.consensus.driver.incarnation()
    expect(incarnation).not.toBe(chain)
    await waitFor(() => W2.consensus.driver.shared() != null, { timeout: 30_000, message: 'W2 joined its own chain' })
    expect(W2.consensus.driver.sharedFounder).toBe(w)
    expect(W2.consensus.driver.sharedFounding).toBeUndefined()
    // best-ranked, it campaigns there: a promise of its new database on disk, and nothing decided with it
    await waitFor(() => (W2.consensus.driver.shared()?.status().ballot.round ?? 0) > 0, { timeout: 30_000, message: 'W2 campaigns in its own chain' })
    expect(sharedLeader(W2)).toBeUndefined()
    await cluster.stopNode(B2)

    // C and D run another chain; W2 meets them, alone of its own chain
    const C = await cluster.create({ priority: 5 })
    await C.start()
    const D = await cluster.create({ priority: 0, bootstrap: [C.multiaddrs[0].toString()] })
    await D.start()
    const c = C.peerId.toString()
    await waitFor(() => [C, D].every(n => sharedLeader(n) === c), { timeout: 30_000, message: 'C leads its chain' })
    // stranded here: no block of it, no leader, and no connected member runs it
    expect((await W2.chains.tip('shared')).height).toBe(0)
    await W2.libp2p.dial(C.multiaddrs[0])
    await waitFor(() => allConnected([W2, C, D]), { timeout: 30_000, message: 'W2, C and D connected' })
    await waitFor(() => W2.consensus.driver.sharedFounder === c, { timeout: 30_000, message: 'W2 left its stranded chain for C\'s' })
    const cFounding = C.consensus.driver.sharedFounding
    expect(W2.consensus.driver.sharedFounding).toBe(cFounding)

    // A and B back: their chain goes on from the blocks acknowledged, without W2
    const bootstrap = [W2.multiaddrs[0].toString()]
    const [A2, B3] = await Promise.all([cluster.create({ dataDir: aDir, priority: 3, bootstrap }), cluster.create({ dataDir: bDir, priority: 1, bootstrap })])
    await Promise.all([A2.start(), B3.start()])
    await waitFor(() => allConnected([W2, A2, B3]), { timeout: 30_000, message: 'W2, A and B connected' })
    await waitFor(() => [A2, B3].every(n => n.consensus.driver.sharedFounding === chain), { timeout: 30_000, message: 'A and B on the chain W founded' })
    let next = 0
    await waitFor(async () => {
      next = (await A2.put('after', utf8.encode('z'), { chainId: 'shared', timeout: 10_000 }).catch(() => ({ height: 0 }))).height
      return next > 0
    }, { timeout: 60_000, message: 'the chain W founded takes writes again' })
    expect(next).toBe(4)
    await waitFor(async () => (await B3.chains.tip('shared')).height >= 4, { message: 'B applied it' })
    const old = await hashesOf(A2, 4)
    expect(await hashesOf(B3, 4)).toEqual(old)
    for (const k of acked) expect(old[k.height - 1]).toBe(k.hash)
    // W2 stays in C's chain: A and B show it as another chain's, and it them
    expect(W2.consensus.driver.sharedFounder).toBe(c)
    await waitFor(() => [A2, B3].every(n => n.consensus.driver.sharedConflicts().includes(w)), { timeout: 30_000, message: 'A and B show W2 as a conflict' })

    // what W2 recorded: its own chain founded with a database since lost, not one founded with this one
    await cluster.stopNode(W2)
    const { stored, left } = await leftOf(wDir, w, incarnation)
    expect(stored).toEqual([{ founder: w, lostDatabase: true }])
    expect(left.has(w, chain)).toBe(true)
    expect(left.has(w, incarnation)).toBe(false)

    // W restarts among the old chain's members and E, the one member of a third chain it meets (C and D
    // away, so C's chain, which holds no block here, strands): it leaves C's chain for E's, never for the
    // chain it left, which most of them run
    await Promise.all([C, D].map(async n => { await cluster.stopNode(n) }))
    const E = await cluster.create({ priority: 4 })
    await E.start()
    const F = await cluster.create({ priority: 0, bootstrap: [E.multiaddrs[0].toString()] })
    await F.start()
    const e = E.peerId.toString()
    await waitFor(() => [E, F].every(n => sharedLeader(n) === e), { timeout: 30_000, message: 'E leads its chain' })
    await cluster.stopNode(F)
    const W3 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [A2.multiaddrs[0].toString(), E.multiaddrs[0].toString()] })
    await W3.start()
    expect(W3.consensus.driver.incarnation()).toBe(incarnation)
    expect(W3.consensus.driver.sharedFounder).toBe(c)
    await waitFor(() => allConnected([W3, A2, B3, E]), { timeout: 30_000, message: 'W3, A, B and E connected' })
    // (no record for a moment while it leaves: the left chain's state is cleared before the other is taken)
    await waitFor(() => ![undefined, c].includes(W3.consensus.driver.sharedFounder), { timeout: 30_000, message: 'W3 left C\'s stranded chain' })
    expect(W3.consensus.driver.sharedFounder).toBe(e)
    expect(W3.consensus.driver.sharedFounding).toBe(E.consensus.driver.sharedFounding)
    // the old chain goes on without it, its blocks as they were
    await waitFor(() => [A2, B3].every(n => n.consensus.driver.sharedConflicts().includes(w)), { timeout: 30_000, message: 'A and B show W3 as a conflict' })
    const last = await A2.put('last', utf8.encode('v'), { chainId: 'shared', timeout: 20_000 })
    expect(last.height).toBe(5)
    await waitFor(async () => (await B3.chains.tip('shared')).height >= 5, { message: 'B applied it' })
    expect(await hashesOf(B3, 5)).toEqual(await hashesOf(A2, 5))
    expect(await hashesOf(A2, 4)).toEqual(old)
    expect(W3.consensus.driver.sharedFounder).toBe(e)
    await cluster.stopNode(W3)
    // the lostDatabase entry stayed as it was across the restart (never bound to this database), C's chain beside it
    expect((await leftOf(wDir, w, incarnation)).stored).toEqual([{ founder: w, lostDatabase: true }, { founder: c, founding: cFounding }])
  }, 180_000)
})
