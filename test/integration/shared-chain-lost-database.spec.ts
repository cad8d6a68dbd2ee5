/**
 * A shared-chain booth member that restarts with its key but without its
 * database (a wiped disk) must not vote as if it had never voted: with the
 * member that decided the last blocks with it away, it and a member that
 * missed those blocks elected a leader and decided other blocks at their
 * heights (a review: acknowledged writes lost, no error). Its peers know it
 * by the incarnation its database made; another one holds its votes back
 * until a leader confirmed by a majority of the others counts it again
 * (ForgetfulPeers), and a newcomer learns from them to hold it back too.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { toHex } from '../../src/chain/index.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { HelloInfo } from '../../src/protocols/paxos/transport.ts'
import { statusOf } from '../../src/http/status.ts'
import { forgetFounding, wipeDatabase } from '../utils/lost-database.ts'

const utf8 = new TextEncoder()

/** The incarnation a node keeps on record for a peer (kept once the peer is in its shared booth). */
function recorded (node: VGuardNode, peer: VGuardNode): string | undefined {
  return (node.consensus.driver as unknown as { incarnations: { of: (id: string) => string | undefined } }).incarnations.of(peer.peerId.toString())
}

/**
 * `writer` writes to the shared chain until a write commits (the chain takes writes again), every
 * node applies up to it, and all hold the same block at every height: the height written.
 */
async function goesOnAsOne (writer: VGuardNode, nodes: VGuardNode[]): Promise<number> {
  let top = 0
  await waitFor(async () => {
    top = (await writer.put('after', utf8.encode('z'), { chainId: 'shared', timeout: 10_000 }).catch(() => ({ height: 0 }))).height
    return top > 0
  }, { timeout: 60_000, message: 'the chain takes writes again' })
  await waitFor(async () => (await Promise.all(nodes.map(async n => (await n.chains.tip('shared')).height))).every(h => h >= top), { timeout: 30_000, message: 'all applied everything' })
  for (let h = 1; h <= top; h++) {
    const hashes = await Promise.all(nodes.map(async n => toHex((await n.chains.getBlock('shared', h))?.hash ?? new Uint8Array())))
    expect(new Set(hashes).size, `height ${h}`).toBe(1)
  }
  return top
}

describe('consensus - a shared-chain member that lost its database', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  /** W founds the shared chain with A and B, and writes three blocks they all applied. */
  async function foundedByW (): Promise<{ W: VGuardNode, A: VGuardNode, B: VGuardNode, w: string }> {
    const W = await cluster.create({ priority: 9 })
    await W.start()
    const bootstrap = [W.multiaddrs[0].toString()]
    const [A, B] = await Promise.all([cluster.create({ bootstrap, priority: 3 }), cluster.create({ bootstrap, priority: 1 })])
    await Promise.all([A.start(), B.start()])
    await waitFor(() => fullyConnected([W, A, B]), { timeout: 30_000, message: 'three connected' })
    const w = W.peerId.toString()
    await waitFor(() => [W, A, B].every(n => sharedLeader(n) === w), { timeout: 30_000, message: 'W leads' })
    for (let i = 0; i < 3; i++) await W.put(`old/${i}`, utf8.encode('x'), { chainId: 'shared' })
    await waitFor(async () => (await Promise.all([A, B].map(async n => (await n.chains.tip('shared')).height))).every(h => h >= 3), { message: 'A and B applied the blocks' })
    return { W, A, B, w }
  }

  /** L leads the shared chain (priority 5), F follows it. */
  async function leaderAndFollower (): Promise<{ L: VGuardNode, F: VGuardNode, l: string }> {
    const L = await cluster.create({ priority: 5 })
    await L.start()
    const F = await cluster.create({ bootstrap: [L.multiaddrs[0].toString()], priority: 1 })
    await F.start()
    const l = L.peerId.toString()
    await waitFor(() => [L, F].every(n => sharedLeader(n) === l), { timeout: 30_000, message: 'L leads' })
    return { L, F, l }
  }

  it('does not vote until a leader confirmed by the others counts it again: no height holds two blocks, nothing acknowledged is lost', async () => {
    const L = await cluster.create({ priority: 5 })
    await L.start()
    const bootstrap = [L.multiaddrs[0].toString()]
    const [F1, F2] = await Promise.all([cluster.create({ bootstrap, priority: 3 }), cluster.create({ bootstrap, priority: 1 })])
    await Promise.all([F1.start(), F2.start()])
    await waitFor(() => fullyConnected([L, F1, F2]), { timeout: 30_000, message: 'three connected' })
    const l = L.peerId.toString()
    await waitFor(() => [L, F1, F2].every(n => sharedLeader(n) === l), { timeout: 30_000, message: 'L leads' })
    for (let i = 0; i < 3; i++) await L.put(`pre/${i}`, utf8.encode('x'), { chainId: 'shared' })
    await waitFor(async () => (await F2.chains.tip('shared')).height >= 3, { message: 'F2 applied the first blocks' })
    await waitFor(() => [L, F2].every(n => recorded(n, F1) != null), { message: 'L and F2 keep F1\'s incarnation' })

    // F2 away: L and F1 decide five more
    const [f1Dir, f2Dir, lDir] = [F1.config.dataDir, F2.config.dataDir, L.config.dataDir]
    await cluster.stopNode(F2)
    const acked: Array<{ key: string, height: number, hash: string }> = []
    for (let i = 0; i < 5; i++) {
      const r = await L.put(`during/${i}`, utf8.encode('y'), { chainId: 'shared' })
      acked.push({ key: `during/${i}`, height: r.height, hash: toHex(r.hash) })
    }
    // L away too, and F1 comes back without its database
    await Promise.all([cluster.stopNode(L), cluster.stopNode(F1)])
    await wipeDatabase(f1Dir)
    const F2b = await cluster.create({ dataDir: f2Dir, priority: 1 })
    await F2b.start()
    const F1b = await cluster.create({ dataDir: f1Dir, priority: 3, bootstrap: [F2b.multiaddrs[0].toString()] })
    await F1b.start()
    await waitFor(() => fullyConnected([F1b, F2b]), { timeout: 30_000, message: 'F1 and F2 connected' })
    await waitFor(() => F2b.consensus.driver.forgetfulPeers().includes(F1b.peerId.toString()), { message: 'F2 knows F1 lost its database' })
    // before, they elected a leader and wrote heights 4-8 again
    // and the write says why there is no leader: F1 is connected but does not count
    const f1 = F1b.peerId.toString()
    const refused = await F2b.put('after/0', utf8.encode('z'), { chainId: 'shared', timeout: 6_000 }).then(() => undefined, (err: Error) => err)
    expect(refused?.name).toBe('NoQuorumError')
    expect(refused?.message).toContain(`${f1} lost its database`)
    expect((await statusOf(F2b)).shared.heldBack).toEqual([f1])
    expect((await F2b.chains.tip('shared')).height).toBe(3)

    // a newcomer that never met F1's earlier database holds it back too: F2 says it does
    const N = await cluster.create({ priority: 0, bootstrap: [F2b.multiaddrs[0].toString()] })
    await N.start()
    await waitFor(() => N.consensus.driver.forgetfulPeers().includes(F1b.peerId.toString()), { timeout: 30_000, message: 'N holds F1 back' })

    // L back: the chain goes on from L's blocks, and F1 learns them
    const Lb = await cluster.create({ dataDir: lDir, priority: 5, bootstrap: [F2b.multiaddrs[0].toString()] })
    await Lb.start()
    await waitFor(() => fullyConnected([Lb, F1b, F2b, N]), { timeout: 30_000, message: 'all four connected' })
    // L leads again and confirms it with a majority of the others: F1 counts again, no write needed
    await waitFor(() => [Lb, F2b, N].every(n => n.consensus.driver.forgetfulPeers().length === 0), { timeout: 30_000, message: 'F1 counted again' })
    expect((await statusOf(F2b)).shared.heldBack).toEqual([])
    let top = 0
    for (let i = 0; i < 3; i++) top = (await Lb.put(`later/${i}`, utf8.encode('w'), { chainId: 'shared', timeout: 20_000 })).height
    await waitFor(async () => (await Promise.all([Lb, F1b, F2b, N].map(async n => (await n.chains.tip('shared')).height))).every(h => h >= top), { timeout: 30_000, message: 'all applied everything' })
    for (let h = 1; h <= top; h++) {
      const hashes = await Promise.all([Lb, F1b, F2b, N].map(async n => toHex((await n.chains.getBlock('shared', h))?.hash ?? new Uint8Array())))
      expect(new Set(hashes).size, `height ${h}`).toBe(1)
    }
    for (const a of acked) {
      for (const n of [Lb, F1b, F2b, N]) expect(toHex((await n.chains.getBlock('shared', a.height))?.hash ?? new Uint8Array()), a.key).toBe(a.hash)
    }
    // F1 votes again: with L away, F1, F2 and N go on (with L away, no majority without F1)
    const l2 = Lb.peerId.toString()
    await cluster.stopNode(Lb)
    await waitFor(() => [F1b, F2b, N].every(n => { const leader = sharedLeader(n); return leader != null && leader !== l2 }), { timeout: 30_000, message: 'F1, F2 and N elect a leader' })
    const last = await F2b.put('last', utf8.encode('v'), { chainId: 'shared', timeout: 20_000 })
    expect(last.height).toBe(top + 1)
  })

  it('takes a member\'s word that it counts one again, or holds one back, only from a member of its own shared chain', async () => {
    const { L, F, l } = await leaderAndFollower()
    await L.put('k', utf8.encode('v'), { chainId: 'shared' })
    await waitFor(async () => (await F.chains.tip('shared')).height >= 1, { message: 'F applied it' })
    const [wiped, foreigner, foreignFounder] = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const before = Uint8Array.from({ length: 16 }, (_, i) => i)
    const after = Uint8Array.from({ length: 16 }, (_, i) => 100 + i)
    const hello = (F.consensus.driver as unknown as { onHello: (from: string, info: HelloInfo) => void }).onHello.bind(F.consensus.driver)
    hello(wiped, { priority: 0, sharedGenesis: '', incarnation: before })
    hello(wiped, { priority: 0, sharedGenesis: '', incarnation: after })
    expect(F.consensus.driver.forgetfulPeers()).toEqual([wiped])
    // a member of another shared chain: its slots are its chain's (a review forked a chain so)
    const word = { readmitted: [{ peer: wiped, incarnation: after, slot: 1 }] }
    hello(foreigner, { priority: 0, sharedGenesis: foreignFounder, ...word })
    expect(F.consensus.driver.forgetfulPeers()).toEqual([wiped])
    // nor whom it holds back: on our chain that member's votes may well count (a review stopped a chain so)
    hello(foreigner, { priority: 0, sharedGenesis: foreignFounder, heldBack: [{ peer: l, incarnation: after }] })
    expect(F.consensus.driver.forgetfulPeers()).toEqual([wiped])
    // the leader of our own chain, at a slot we decided too
    hello(l, { priority: 5, sharedGenesis: l, ...word })
    expect(F.consensus.driver.forgetfulPeers()).toEqual([])
  })

  it('takes a member\'s record of an incarnation it has none of: a member that shows another one later is held back, as by those that remember it', async () => {
    const { L, F, l } = await leaderAndFollower()
    const [ghost, known, foreigner] = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const before = Uint8Array.from({ length: 16 }, (_, i) => i)
    const after = Uint8Array.from({ length: 16 }, (_, i) => 100 + i)
    const hello = (F.consensus.driver as unknown as { onHello: (from: string, info: HelloInfo) => void }).onHello.bind(F.consensus.driver)
    // F met `known` itself
    hello(known, { priority: 0, sharedGenesis: l, incarnation: after })
    // a member of another shared chain: its records are of its own chain's members, not taken
    hello(foreigner, { priority: 0, sharedGenesis: foreigner, recorded: [{ peer: ghost, incarnation: before }] })
    // L has `ghost` on record from before it lost its database (F never met that one); L's record of
    // `known` does not replace F's own, and one that is no incarnation is not taken
    hello(l, { priority: 5, sharedGenesis: l, recorded: [{ peer: ghost, incarnation: before }, { peer: known, incarnation: before }, { peer: foreigner, incarnation: Uint8Array.of(1) }] })
    hello(ghost, { priority: 0, sharedGenesis: l, incarnation: after })
    hello(known, { priority: 0, sharedGenesis: l, incarnation: after })
    hello(foreigner, { priority: 0, sharedGenesis: l, incarnation: after })
    expect(F.consensus.driver.forgetfulPeers()).toEqual([ghost])
    // F's own hello names what it has on record for its chain's members: L's incarnation, as L shows it
    const hellos = (L.consensus.driver as unknown as { hellos: Map<string, HelloInfo> }).hellos
    await waitFor(() => (hellos.get(F.peerId.toString())?.recorded ?? []).some(r => r.peer === l), { message: 'F\'s hello names its record of L' })
  })

  it('a founder that lost its database and met none of its members founds another chain: they refuse it, go on, and show it as a conflict', async () => {
    const { W, A, B, w } = await foundedByW()
    const hashes = async (n: VGuardNode, top: number): Promise<string[]> => await Promise.all(Array.from({ length: top }, async (_, i) => toHex((await n.chains.getBlock('shared', i + 1))?.hash ?? new Uint8Array())))
    const old = await hashes(A, 3)
    const [wDir, aDir, bDir] = [W.config.dataDir, A.config.dataDir, B.config.dataDir]
    await Promise.all([W, A, B].map(async n => { await cluster.stopNode(n) }))
    await wipeDatabase(wDir)

    // W comes back with a newcomer only: it founds its chain again, under the same id, and writes on it
    const W2 = await cluster.create({ dataDir: wDir, priority: 9 })
    await W2.start()
    const N = await cluster.create({ bootstrap: [W2.multiaddrs[0].toString()], priority: 0 })
    await N.start()
    await waitFor(() => [W2, N].every(n => sharedLeader(n) === w), { timeout: 30_000, message: 'W2 leads a chain again' })
    for (let i = 0; i < 2; i++) await W2.put(`new/${i}`, utf8.encode('y'), { chainId: 'shared', timeout: 20_000 })
    const refounded = await hashes(W2, 2)
    expect(refounded[0]).not.toBe(old[0])

    // the old members come back: W2's chain is another one, not theirs
    const [A2, B2] = await Promise.all([cluster.create({ dataDir: aDir, priority: 3, bootstrap: [W2.multiaddrs[0].toString()] }), cluster.create({ dataDir: bDir, priority: 1, bootstrap: [W2.multiaddrs[0].toString()] })])
    await Promise.all([A2.start(), B2.start()])
    await waitFor(() => fullyConnected([W2, N, A2, B2]), { timeout: 30_000, message: 'all four connected' })
    await waitFor(() => [A2, B2].every(n => n.consensus.driver.sharedConflicts().includes(w)), { timeout: 30_000, message: 'A and B show W2 as a conflict' })
    await waitFor(() => W2.consensus.driver.sharedConflicts().length === 2, { timeout: 30_000, message: 'W2 shows A and B as conflicts' })
    const a = A2.peerId.toString()
    await waitFor(() => [A2, B2].every(n => sharedLeader(n) === a), { timeout: 30_000, message: 'A leads its chain' })
    const next = await A2.put('after', utf8.encode('z'), { chainId: 'shared', timeout: 20_000 })
    expect(next.height).toBe(4)
    expect(await hashes(A2, 3)).toEqual(old)
    await waitFor(async () => (await B2.chains.tip('shared')).height >= 4, { message: 'B applied it' })
    // a quorum read asks no member of the other chain (it answered with its own blocks: a review)
    for (let i = 0; i < 6; i++) {
      const read = await A2.getBlock('shared', 1, { consistency: 'quorum' })
      expect(toHex(read.block?.hash ?? new Uint8Array())).toBe(old[0])
      expect(read.servedBy).not.toContain(w)
    }
    expect(await hashes(B2, 3)).toEqual(old)
    // W2's chain keeps its own blocks, nothing of the other came into it, and it goes on: N does not
    // hold W2 back on A's and B's word (they are no members of its chain: a review stopped it so)
    expect(await hashes(W2, 2)).toEqual(refounded)
    const own = await W2.put('new/2', utf8.encode('y'), { chainId: 'shared', timeout: 20_000 })
    expect(own.height).toBe(3)
    expect(N.consensus.driver.forgetfulPeers()).toEqual([])
  })

  it('a member that lost its database after the founder did joins by the founding its members announce, and stays in the chain when it restarts', async () => {
    const founding = (n: VGuardNode): string | undefined => n.consensus.driver.sharedFounding
    const { W, A, B } = await foundedByW()
    const [wDir, aDir] = [W.config.dataDir, A.config.dataDir]
    const chain = founding(B)
    expect(chain).toBeDefined()
    // the founder loses its database and comes back: a new incarnation, the same chain
    await cluster.stopNode(W)
    await wipeDatabase(wDir)
    const W2 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [B.multiaddrs[0].toString()] })
    await W2.start()
    await waitFor(() => founding(W2) === chain, { timeout: 30_000, message: 'W2 back in its chain' })
    // counted again by A and B (with two of three held back the chain would wait: by design)
    const w2 = W2.peerId.toString()
    await waitFor(() => [A, B].every(n => !n.consensus.driver.forgetfulPeers().includes(w2)), { timeout: 30_000, message: 'W2 counted again' })
    // then A does: it hears the founder's new incarnation, and took it for the founding (every member's was dropped)
    await cluster.stopNode(A)
    await wipeDatabase(aDir)
    const bootstrap = [B.multiaddrs[0].toString()]
    const A2 = await cluster.create({ dataDir: aDir, priority: 3, bootstrap })
    await A2.start()
    await waitFor(() => A2.consensus.driver.shared() != null, { timeout: 30_000, message: 'A2 joined the chain' })
    expect(founding(A2)).toBe(chain)
    // a plain restart: it split from the others for good (each took the other for another chain)
    await cluster.stopNode(A2)
    const A3 = await cluster.create({ dataDir: aDir, priority: 3, bootstrap })
    await A3.start()
    await waitFor(() => fullyConnected([W2, A3, B]), { timeout: 30_000, message: 'three connected again' })
    expect(founding(A3)).toBe(chain)
    await waitFor(async () => await A3.put('after', utf8.encode('z'), { chainId: 'shared', timeout: 5_000 }).then(() => true, () => false), { timeout: 60_000, message: 'A3 writes to the shared chain' })
    for (const n of [W2, A3, B]) expect(n.consensus.driver.sharedConflicts(), n.peerId.toString()).toEqual([])
  }, 150_000)

  it('a founder that lost its database and joins its own chain again decides nothing alone: it learns the chain first', async () => {
    const { W, A, B } = await foundedByW()
    const [wDir, aDir, bDir] = [W.config.dataDir, A.config.dataDir, B.config.dataDir]
    await Promise.all([cluster.stopNode(W), cluster.stopNode(A)])
    await wipeDatabase(wDir)

    // W comes back with B only: it joins its own chain (B announces it), then B goes away too
    const W2 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [B.multiaddrs[0].toString()] })
    await W2.start()
    await waitFor(() => W2.consensus.driver.shared() != null, { timeout: 30_000, message: 'W2 joined the chain' })
    await cluster.stopNode(B)
    // before, its genesis booth (itself) let it lead alone and write heights 1-4 over the chain's
    await expect(W2.put('alone', utf8.encode('y'), { chainId: 'shared', timeout: 6_000 })).rejects.toThrow()
    expect((await W2.chains.tip('shared')).height).toBeLessThanOrEqual(3)

    // A and B back: the chain goes on from their blocks, and W2 has them too
    const [A2, B2] = await Promise.all([cluster.create({ dataDir: aDir, priority: 3, bootstrap: [W2.multiaddrs[0].toString()] }), cluster.create({ dataDir: bDir, priority: 1, bootstrap: [W2.multiaddrs[0].toString()] })])
    await Promise.all([A2.start(), B2.start()])
    await waitFor(() => fullyConnected([W2, A2, B2]), { timeout: 30_000, message: 'three connected again' })
    expect(await goesOnAsOne(A2, [W2, A2, B2])).toBe(4)
  })

  it('a founder that lost its database and joins its own chain before any member says its founding learns the founding from them: not its incarnation, nothing decided alone, one chain with the members that know it, across a restart', async () => {
    const { W, A, B } = await foundedByW()
    const chain = B.consensus.driver.sharedFounding
    expect(chain).toMatch(/^[0-9a-f]{32}$/)
    const [wDir, aDir, bDir] = [W.config.dataDir, A.config.dataDir, B.config.dataDir]
    await Promise.all([W, A, B].map(async n => { await cluster.stopNode(n) }))
    await wipeDatabase(wDir)
    await forgetFounding(bDir)

    // W comes back with B only, which says no founding: W joins its own chain without one; then B goes away
    const B2 = await cluster.create({ dataDir: bDir, priority: 1 })
    await B2.start()
    const W2 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [B2.multiaddrs[0].toString()] })
    await W2.start()
    await waitFor(() => W2.consensus.driver.shared() != null, { timeout: 30_000, message: 'W2 joined the chain' })
    await cluster.stopNode(B2)
    // its votes there went with its database: it leads nothing alone from its genesis booth (itself)
    await expect(W2.put('alone', utf8.encode('y'), { chainId: 'shared', timeout: 6_000 })).rejects.toThrow()
    expect((await W2.chains.tip('shared')).height).toBeLessThanOrEqual(3)
    // nor does it take its incarnation for the founding (with it, it and B would run another chain than A)
    expect(W2.consensus.driver.sharedFounding).toBeUndefined()

    // B and A, which knows the founding, come back: all three take it, and the chain goes on from its blocks
    const bootstrap = [W2.multiaddrs[0].toString()]
    const [A2, B3] = await Promise.all([cluster.create({ dataDir: aDir, priority: 3, bootstrap }), cluster.create({ dataDir: bDir, priority: 1, bootstrap })])
    await Promise.all([A2.start(), B3.start()])
    const nodes = [W2, A2, B3]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: 'three connected' })
    await waitFor(() => nodes.every(n => n.consensus.driver.sharedFounding === chain), { timeout: 30_000, message: 'all three on the founding A says' })
    const top = await goesOnAsOne(A2, nodes)
    expect(top).toBe(4)
    for (const n of nodes) expect(n.consensus.driver.sharedConflicts(), n.peerId.toString()).toEqual([])

    // a restart keeps it in that chain
    await cluster.stopNode(W2)
    const W3 = await cluster.create({ dataDir: wDir, priority: 9, bootstrap: [A2.multiaddrs[0].toString()] })
    await W3.start()
    expect(W3.consensus.driver.sharedFounding).toBe(chain)
    await waitFor(() => fullyConnected([W3, A2, B3]), { timeout: 30_000, message: 'three connected again' })
    await waitFor(async () => await W3.put('back', utf8.encode('w'), { chainId: 'shared', timeout: 5_000 }).then(r => r.height > top, () => false), { timeout: 60_000, message: 'W3 writes to the shared chain' })
    for (const n of [W3, A2, B3]) expect(n.consensus.driver.sharedConflicts(), n.peerId.toString()).toEqual([])
  }, 150_000)
})
