/**
 * Replication rounds that cannot go as planned: participants that are down
 * or do not exist, a booth too large for a header, and a consensus-driven
 * endOfBooth with a bad booth. Real nodes over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createHook } from 'node:async_hooks'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { boothsTopic } from '../../src/node/vguarddb.ts'
import { spawnNode } from '../../src/swarm/process.ts'
import { openDatabase } from '../../src/storage/database.ts'
import { transactionsOf } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'
import { signTable } from '../../src/backup/index.ts'
import { loadOrCreateKey } from '../../src/node/identity.ts'
import { madeUpPeerIds } from '../utils/peer-ids.ts'

const utf8 = new TextEncoder()
const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())
const gps = (i: number): { key: string, value: Uint8Array } => ({ key: `gps/${i}`, value: utf8.encode(`-27.71${i},-51.09${i}`) })

/** Keeps tables from reaching `node`: it hears no gossip, and a hand-off waits until the result's resolve(). */
function holdTables (node: VGuardNode): PromiseWithResolvers<void> {
  node.libp2p.services.pubsub.unsubscribe(boothsTopic(`test-${process.pid}`))
  const adopt = node.vguarddb.tables.adopt.bind(node.vguarddb.tables)
  const handOff = Promise.withResolvers<void>()
  node.vguarddb.tables.adopt = async (...args: Parameters<typeof adopt>) => {
    if (args[2]?.keep === true) await handOff.promise
    return await adopt(...args)
  }
  return handOff
}
describe('vguarddb - rounds that fall short', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('when the participants cannot take the chain, the previous backups keep it: never released with fewer than k copies left', async () => {
    const [A, B, C, D] = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const chainId = A.peerId.toString()
    const first = await A.endOfBooth({ participants: ids(B, C), transactions: [gps(1)] })
    expect(first.active.sort()).toEqual(ids(B, C).sort())

    // D, the only participant of the next booth, is down: B and C (not participants) are refreshed instead
    const [dId] = ids(D)
    await cluster.stopNode(D)
    const second = await A.endOfBooth({ participants: [dId], transactions: [gps(2)] })
    expect(second).toMatchObject({ height: 2, epoch: 2, complete: true })
    expect(second.active.sort()).toEqual(ids(B, C).sort())
    // D never got a byte (it was not even connected): nothing to release there
    expect(second.obsolete).toEqual([])
    expect(second.failures.map(f => f.peerId)).toEqual([dId])
    for (const n of [B, C]) expect((await n.chains.info(chainId))?.height).toBe(2)

    // now C is down too: B is refreshed, C cannot be, and stays named (at its older height) rather than released
    const [cId] = ids(C)
    await cluster.stopNode(C)
    const third = await A.endOfBooth({ participants: [dId], transactions: [gps(3)] })
    expect(third).toMatchObject({ height: 3, epoch: 3, complete: false })
    expect(third.active.sort()).toEqual([...ids(B), cId].sort())
    expect(third.obsolete).toEqual([])
    expect(A.vguarddb.pendingReleases()).toEqual([])
    expect((await B.chains.info(chainId))?.height).toBe(3)
  })

  it('a round leaves no long timer behind once it is over', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 2 })
    // every timer made while the rounds run (AbortSignal.timeout's cannot be cleared: one of
    // five minutes per backup per round stayed until it fired, thousands under steady writes)
    const timers: Array<{ _idleTimeout?: number, _destroyed?: boolean }> = []
    const hook = createHook({ init (_id, type, _trigger, resource) { if (type === 'Timeout') timers.push(resource as { _idleTimeout?: number }) } }).enable()
    try {
      for (let i = 1; i <= 5; i++) {
        const outcome = await A.endOfBooth({ participants: ids(B, C), transactions: [gps(i)] })
        expect(outcome).toMatchObject({ height: i, complete: true })
      }
    } finally {
      hook.disable()
    }
    // (a Paxos stream's 60 s idle timer lives as long as its stream, not a round: not counted)
    const long = timers.filter(t => t._destroyed !== true && (t._idleTimeout ?? 0) > 60_000)
    expect(long.map(t => t._idleTimeout)).toEqual([])
  })

  it('participants that do not exist are not taken for holders: no obsolete entries, no releases, no table overflow', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const first = await A.endOfBooth({ participants: await madeUpPeerIds(40), transactions: [gps(1)] })
    expect(first).toMatchObject({ height: 1, complete: false, active: [], obsolete: [] })
    expect(first.failures).toHaveLength(40)
    // B (connected, no participant) takes the chain in a round no write carries: k = 1 is made up
    await waitFor(() => A.vguarddb.tables.get(A.peerId.toString())?.table.active.includes(B.peerId.toString()) === true, { message: 'a round that takes B' })
    const second = await A.endOfBooth({ participants: await madeUpPeerIds(30), transactions: [gps(2)] })
    expect(second).toMatchObject({ height: 2, epoch: 3, obsolete: [] })
    expect(A.vguarddb.pendingReleases()).toEqual([])
    // and a real participant still works after them
    const third = await A.endOfBooth({ participants: ids(B), transactions: [gps(3)] })
    expect(third).toMatchObject({ height: 3, complete: true, active: ids(B) })
  })

  it('a round short of k keeps at most k + 2 previous backups it could not refresh, refreshed last first: the others are released, and the table stays within 64', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 2 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    // the table of a chain whose rounds fell short while backups came and went (vehicles that drove on):
    // 64 active backups, none of them reachable, the most recently refreshed listed first
    const gone = await madeUpPeerIds(64)
    const tip = await A.chains.tip(chainId)
    const aKey = await loadOrCreateKey(A.config.dataDir)
    const full = await signTable(aKey, chainId, { chainId, epoch: 2, active: gone, obsolete: [], height: tip.height, tipHash: tip.hash, timestamp: 0 })
    await A.vguarddb.tables.adopt(full.signed, chainId)

    // one fresh backup and one participant that does not exist: short of k again
    const outcome = await A.endOfBooth({ participants: [...ids(B), ...await madeUpPeerIds(1)], transactions: [gps(2)] })
    expect(outcome).toMatchObject({ height: 2, epoch: 3, complete: false })
    expect(outcome.active).toEqual([...ids(B), ...gone.slice(0, 4)])
    expect([...outcome.obsolete].sort()).toEqual(gone.slice(4).sort())
    expect(A.vguarddb.tables.get(chainId)?.table).toMatchObject({ epoch: 3, active: outcome.active })
    // those left out are told to release (when they come back: none is connected now)
    expect(A.vguarddb.pendingReleases().map(p => p.peerId).sort()).toEqual(gone.slice(4).sort())

    // the next round short of k keeps the same older copies, and still signs its table
    const next = await A.endOfBooth({ participants: ids(B), transactions: [gps(3)] })
    expect(next).toMatchObject({ height: 3, epoch: 4, complete: false, active: [...ids(B), ...gone.slice(0, 4)] })
  })

  it('a booth larger than a block header holds is refused before anything is appended', async () => {
    const [A] = await connectedSwarm(cluster, 1, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await expect(A.endOfBooth({ participants: await madeUpPeerIds(64), transactions: [gps(1)] }))
      .rejects.toMatchObject({ name: 'InvalidBoothError' })
    expect(await A.chains.info(chainId)).toBeUndefined()
    // 63 others and the proposer: 64, the most a header holds
    const ok = await A.endOfBooth({ participants: await madeUpPeerIds(63), transactions: [gps(1)] })
    expect(ok.height).toBe(1)
  })

  it('a transaction of another shape is refused, not stored as something else: append\'s { op: "DELETE" } is no put of an empty value', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const chainId = A.peerId.toString()
    const bad: Array<[unknown, RegExp]> = [
      [{ op: 'DELETE', key: 'gps/1' }, /unknown field "op"/],
      [{ key: 'gps/1', value: utf8.encode('x'), delete: true }, /a delete carries no value/],
      [{ key: 'gps/1', delete: 'yes' }, /delete is true or false/]
    ]
    for (const [tx, message] of bad) {
      await expect(A.endOfBooth({ participants: ids(B), transactions: [tx as { key: string }] }), JSON.stringify(tx))
        .rejects.toMatchObject({ name: 'InvalidBoothError', message: expect.stringMatching(message) })
    }
    expect(await A.chains.info(chainId)).toBeUndefined()
  })

  it('once consensus runs the own chain, endOfBooth gives up at its own timeout when no majority of the booth answers', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1, boothSize: 3, commitTimeout: 120_000 })
    await A.put('k', utf8.encode('v'))
    await expect(A.endOfBooth({ participants: ids(B), transactions: [gps(1)], timeout: 0 })).rejects.toMatchObject({ name: 'InvalidBoothError', message: expect.stringMatching(/^timeout/) })
    await cluster.stopNode(B)
    await cluster.stopNode(C)
    // the node's own commit timeout is two minutes: the booth's is a second
    const failed = await A.endOfBooth({ participants: ids(B), transactions: [gps(2)], timeout: 1_000 }).then(() => undefined, (err: Error) => err)
    expect(['NoQuorumError', 'CommitTimeoutError']).toContain(failed?.name)
  }, 30_000)

  it('once consensus runs the own chain, a bad booth is still refused whole: nothing appended, no backup released', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1, boothSize: 3 })
    const chainId = A.peerId.toString()
    // a write through consensus: from now on endOfBooth goes through it too
    await A.put('k', utf8.encode('v'))
    await waitFor(async () => (A.vguarddb.tables.get(chainId)?.table.active.length ?? 0) === 1, { message: 'a backup holds the chain' })
    const before = A.vguarddb.tables.get(chainId)?.table
    const height = (await A.chains.tip(chainId)).height
    await expect(A.endOfBooth({ participants: ['notapeer'], transactions: [gps(1)] })).rejects.toMatchObject({ name: 'InvalidBoothError' })
    await expect(A.endOfBooth({ participants: ids(B, C), transactions: [] })).rejects.toMatchObject({ name: 'InvalidBoothError' })
    expect((await A.chains.tip(chainId)).height).toBe(height)
    expect(A.vguarddb.tables.get(chainId)?.table.epoch).toBe(before?.epoch)
    expect(A.vguarddb.pendingReleases()).toEqual([])
  })

  it('once consensus runs the own chain, endOfBooth runs one round, in which its participants choose the backups', async () => {
    const [A, B, C, D] = await connectedSwarm(cluster, 4, { kBackups: 1, boothSize: 3 })
    const chainId = A.peerId.toString()
    await A.put('k', utf8.encode('v'))
    await waitFor(() => A.vguarddb.tables.get(chainId) != null, { message: 'the first round signed a table' })
    for (const participant of [D, B, C, D]) {
      const before = A.vguarddb.tables.get(chainId)?.table.epoch ?? 0
      const outcome = await A.endOfBooth({ participants: ids(participant), transactions: [gps(before)] })
      // one table per booth: the commit ran no round of its own before this one
      expect(outcome.epoch).toBe(before + 1)
      expect(outcome.active).toEqual(ids(participant))
      expect(A.vguarddb.tables.get(chainId)?.table).toMatchObject({ epoch: before + 1, active: ids(participant) })
    }
  })

  it('endOfBooth beside concurrent puts answers its own block\'s height, and only its participants become backups', async () => {
    const [A, B, C, D, E] = await connectedSwarm(cluster, 5, { kBackups: 1, boothSize: 3 })
    const chainId = A.peerId.toString()
    await A.put('k', utf8.encode('v'))
    const booth = new Set((await A.chains.getBlock(chainId, 1))?.header.booth)
    // a participant outside the booth: a round a put() queued with the booth could never name it
    const outsider = [B, C, D, E].find(n => !booth.has(n.peerId.toString())) as VGuardNode
    for (let i = 0; i < 12; i++) {
      const puts = Array.from({ length: 3 }, async (_, j) => await A.put(`p/${i}/${j}`, utf8.encode('x')))
      const outcome = await A.endOfBooth({ participants: ids(outsider), transactions: [gps(1000 + i)] })
      await Promise.all(puts)
      const block = await A.chains.getBlock(chainId, outcome.height)
      // through consensus its transactions may share a block with the puts', like any write's
      expect(transactionsOf(block as Block).map(t => t.key), `round ${i}: the height answered is its block's`).toContain(`gps/${1000 + i}`)
      expect(outcome.failures, `round ${i}`).toEqual([])
      expect(outcome.active, `round ${i}: its participants chose`).toEqual(ids(outsider))
    }
  })

  it('a backup released while its owner already offers it the chain again keeps its copy for that transfer', async () => {
    const [A, B, C, D] = await connectedSwarm(cluster, 4, { kBackups: 2 })
    // B and C back the chain, then D alone (B and C released, asynchronously), then B and C again at once:
    // the offers of the third round cross the releases of the second
    for (let round = 0; round < 3; round++) {
      const participants = round === 1 ? ids(D) : ids(B, C)
      const outcome = await A.endOfBooth({ participants, transactions: [gps(round)] })
      expect(outcome.failures, `round ${round}`).toEqual([])
      // D alone cannot make k = 2: one of B and C stays active with it, the other is released
      if (round === 1) {
        expect(outcome.active, `round ${round}`).toHaveLength(2)
        expect(outcome.active, `round ${round}`).toContain(D.peerId.toString())
      } else expect([...outcome.active].sort(), `round ${round}`).toEqual(ids(B, C).sort())
    }
    for (const backup of [B, C]) expect((await backup.chains.info(A.peerId.toString()))?.height, backup.peerId.toString()).toBe(3)
  })

  it('a copy retention pruned is no answer about its keys, and is taken again whole when it backs the chain again', async () => {
    const [A, B, C, R] = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const chainId = A.peerId.toString()
    for (let i = 0; i < 3; i++) await A.endOfBooth({ participants: ids(B, C), transactions: [gps(i)] })
    await waitFor(() => R.vguarddb.tables.get(chainId)?.table.epoch === 3, { message: 'R holds the table' })
    // B's copy went temporary at some point and retention took its oldest payloads
    expect((await B.chains.prune(chainId, [1, 2])).pruned).toEqual([1, 2])

    // its owner away, a reader sent to B first hears that B lacks the value, not that the key has none
    const { dataDir } = A.config
    await cluster.stopNode(A)
    const read = await R.vguarddb.readKey(chainId, 'gps/0', { via: ids(B) })
    expect(read).toMatchObject({ servedBy: C.peerId.toString(), stale: false })
    expect(new TextDecoder().decode(read.response.value)).toBe(new TextDecoder().decode(gps(0).value))
    expect(read.path.find(p => p.peerId === B.peerId.toString())).toMatchObject({ outcome: 'unavailable' })

    // what a user pinned on B's copy is not the copy's blocks: it stays
    await B.chains.pin(chainId, { type: 'key', key: 'gps/1' })
    await B.chains.pin(chainId, { type: 'range', from: 2, to: 3 })
    // back, the owner's next round offers B the chain: B takes it again whole, payloads and all
    const back = await cluster.create({ dataDir, kBackups: 2, bootstrap: [B.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => back.peers().length === 3, { message: 'A back' })
    const outcome = await back.endOfBooth({ participants: ids(B, C), transactions: [gps(3)] })
    expect(outcome.failures).toEqual([])
    expect(outcome.active.sort()).toEqual(ids(B, C).sort())
    expect(await B.chains.info(chainId)).toMatchObject({ height: 4, prunedBlocks: 0 })
    expect((await B.chains.get(chainId, 'gps/0'))?.value).toEqual(gps(0).value)
    expect(B.chains.pins(chainId)).toEqual([{ type: 'key', key: 'gps/1' }, { type: 'range', from: 2, to: 3 }])
  })

  it('a backup chosen again after its release keeps the copy whole while the table naming it active is on its way', async () => {
    const TAU = 500
    const [A, X, Y] = await connectedSwarm(cluster, 3, { kBackups: 1, retention: TAU, unclaimedGrace: TAU, pruneInterval: 86_400_000 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(X), transactions: [gps(1)] })
    const second = await A.endOfBooth({ participants: ids(Y), transactions: [gps(2)] })
    expect(second.active).toEqual(ids(Y))
    await waitFor(async () => X.vguarddb.tables.get(chainId)?.table.epoch === 2 && await X.chains.info(chainId) == null, { message: 'X released' })
    // the next table is slow to reach X: no gossip, and its hand-off held back
    const handOff = holdTables(X)
    // both blocks are older than τ when the owner picks X again and sends it the whole chain
    const born = (await A.chains.info(chainId))?.tipTimestamp ?? 0
    await waitFor(() => Date.now() > born + TAU, { message: 'blocks older than τ' })
    const third = await A.endOfBooth({ participants: ids(X), transactions: [gps(3)] })
    expect(third.active).toEqual(ids(X))
    expect(X.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
    await X.storageMaster.run()
    expect(await X.chains.info(chainId)).toMatchObject({ height: 3, prunedBlocks: 0 })
    handOff.resolve()
    await waitFor(() => X.vguarddb.tables.get(chainId)?.table.epoch === 3, { message: 'X holds the table naming it' })
    await X.storageMaster.run()
    expect(await X.chains.info(chainId)).toMatchObject({ height: 3, prunedBlocks: 0 })
  })

  it('with τ = 0 a fresh backup keeps its copy whole while the table naming it is on its way (the grace is not τ)', async () => {
    const [A, X] = await connectedSwarm(cluster, 2, { kBackups: 1, retention: 0, pruneInterval: 86_400_000 })
    const chainId = A.peerId.toString()
    // the table is slow to reach X: no gossip, and its hand-off held back
    const handOff = holdTables(X)
    const born = Date.now()
    const outcome = await A.endOfBooth({ participants: ids(X), transactions: [gps(1), gps(2)] })
    expect(outcome.active).toEqual(ids(X))
    expect(X.vguarddb.tables.get(chainId)).toBeUndefined()
    // the blocks are older than τ = 0: before, a run pruned the copy the owner counts on
    await waitFor(() => Date.now() > born, { message: 'blocks older than τ' })
    await X.storageMaster.run()
    expect(await X.chains.info(chainId)).toMatchObject({ height: 1, prunedBlocks: 0 })
    handOff.resolve()
    await waitFor(() => X.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'X holds the table naming it' })
    await X.storageMaster.run()
    expect(await X.chains.info(chainId)).toMatchObject({ height: 1, prunedBlocks: 0 })
  })

  it('a backup chosen again after its release and restarted before the table naming it active keeps the copy whole', async () => {
    const TAU = 500
    const options = { kBackups: 1, retention: TAU, unclaimedGrace: TAU, pruneInterval: 86_400_000 }
    const [A, X, Y] = await connectedSwarm(cluster, 3, options)
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(X), transactions: [gps(1)] })
    await A.endOfBooth({ participants: ids(Y), transactions: [gps(2)] })
    await waitFor(async () => X.vguarddb.tables.get(chainId)?.table.epoch === 2 && await X.chains.info(chainId) == null, { message: 'X released' })
    // both blocks are older than τ when the owner's next round sends X the whole chain again
    const born = (await A.chains.info(chainId))?.tipTimestamp ?? 0
    await waitFor(() => Date.now() > born + TAU, { message: 'blocks older than τ' })
    await A.vguarddb.replicate.replicateTo(X.peerId, chainId, { epoch: 3 })
    // X restarts before table 3 reaches it: its newest table still names it obsolete
    const xDir = X.config.dataDir
    await cluster.stopNode(X)
    const X2 = await cluster.create({ ...options, dataDir: xDir, bootstrap: [A.multiaddrs[0].toString()] })
    await X2.start()
    expect(X2.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
    expect(X2.vguarddb.offeredEpoch(chainId)).toBe(3)
    await X2.storageMaster.run()
    expect(await X2.chains.info(chainId)).toMatchObject({ height: 2, prunedBlocks: 0 })
  })

  it('an active backup offered the next epoch, whose table never comes (its owner died mid-round), keeps its copy whole', async () => {
    const TAU = 500
    const [A, X] = await connectedSwarm(cluster, 2, { kBackups: 1, retention: TAU, unclaimedGrace: TAU, pruneInterval: 86_400_000 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(X), transactions: [gps(1)] })
    await waitFor(() => X.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'X holds table 1' })
    // the next round's transfer reaches X (an offer of epoch 2); the owner dies before it signs table 2
    await A.vguarddb.replicate.replicateTo(X.peerId, chainId, { epoch: 2 })
    expect(X.vguarddb.offeredEpoch(chainId)).toBe(2)
    await cluster.stopNode(A)
    const born = (await X.chains.info(chainId))?.tipTimestamp ?? 0
    await waitFor(() => Date.now() > born + TAU, { message: 'blocks older than τ' })
    const first = Date.now()
    await X.storageMaster.run()
    // past any grace an unclaimed copy would get
    await waitFor(() => Date.now() > first + TAU, { message: 'τ after the first run' })
    await X.storageMaster.run()
    expect(await X.chains.info(chainId)).toMatchObject({ height: 1, prunedBlocks: 0 })
  })

  it('a backup that hears no gossip still gets the table that names it active (its copy is claimed)', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const chainId = A.peerId.toString()
    // B leaves the booths topic: the gossiped table cannot reach it
    B.libp2p.services.pubsub.unsubscribe(boothsTopic(`test-${process.pid}`))
    const outcome = await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    expect(outcome.active).toEqual(ids(B))
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B holds the table naming it' })
    expect(B.vguarddb.tables.get(chainId)?.table.active).toEqual(ids(B))
    expect((await B.chains.info(chainId))?.height).toBe(1)
    // C, still subscribed, hears it by gossip as before
    await waitFor(() => C.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'C heard the gossip' })
  })

  it('a backup that hears no gossip and misses the first hand-off of its table gets it again until it takes it', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const chainId = A.peerId.toString()
    B.libp2p.services.pubsub.unsubscribe(boothsTopic(`test-${process.pid}`))
    // B's disk fails the first hand-off (the backup answers ERROR): the owner must try again
    const adopt = B.vguarddb.tables.adopt.bind(B.vguarddb.tables)
    let failures = 1
    B.vguarddb.tables.adopt = async (...args: Parameters<typeof adopt>) => {
      if (args[2]?.keep === true && failures-- > 0) throw new Error('IO error: disk full')
      return await adopt(...args)
    }
    const outcome = await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    expect(outcome.active).toEqual(ids(B))
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B holds the table naming it' })
    expect(failures).toBe(-1)
  })

  it('rounds leave no transfer note on disk, those that noted a new backup and those that noted none (a restart would take one for an interrupted transfer)', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    // B new (noted), B again (a current backup: not noted), C new (noted; B is released)
    for (const [i, backup] of [B, B, C].entries()) {
      const outcome = await A.endOfBooth({ participants: ids(backup), transactions: [gps(i)] })
      expect(outcome.active).toEqual(ids(backup))
    }
    await cluster.stopNode(A)
    const database = await openDatabase(A.config.dataDir)
    try {
      expect(await database.sublevel('transfers-noted').keys().all()).toEqual([])
    } finally {
      await database.close()
    }
  })

  it('a proposer restarted hands its table again to the backups it names, which may have missed it', async () => {
    const [A, B] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B holds the table' })
    // as if B had never heard it (a crash of A before the hand-off, and no gossip)
    await cluster.stopNode(B)
    const bDir = B.config.dataDir
    const database = await openDatabase(bDir)
    for (const name of ['backup-tables', 'backup-tables-kept', 'backup-tables-used']) await database.sublevel(name).clear()
    await database.close()
    const again = await cluster.create({ dataDir: bDir, kBackups: 1, bootstrap: [A.multiaddrs[0].toString()] })
    await again.start()
    expect(again.vguarddb.tables.get(chainId)).toBeUndefined()
    await cluster.stopNode(A)
    const restarted = await cluster.create({ dataDir: A.config.dataDir, kBackups: 1, bootstrap: [again.multiaddrs[0].toString()] })
    await restarted.start()
    await waitFor(() => again.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B got the table from the restarted proposer' })
  })

  it('a proposer that crashed between its new table and its releases still releases the backups the table made obsolete', async () => {
    const [A, B, C] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    await waitFor(async () => (await B.chains.info(chainId))?.height === 1, { message: 'B holds a copy' })
    // the next round's table names C active and B obsolete, and the process dies before the release is recorded
    const releases = (A.vguarddb as unknown as { releases: { update: () => Promise<void> } }).releases
    releases.update = async () => { throw new Error('killed') }
    await expect(A.endOfBooth({ participants: ids(C), transactions: [gps(2)] })).rejects.toThrow('killed')
    expect(A.vguarddb.tables.get(chainId)?.table).toMatchObject({ active: ids(C), obsolete: ids(B) })
    await cluster.stopNode(A)
    const restarted = await cluster.create({ dataDir: A.config.dataDir, kBackups: 1, bootstrap: [B.multiaddrs[0].toString(), C.multiaddrs[0].toString()] })
    await restarted.start()
    await waitFor(async () => (await B.chains.info(chainId)) == null, { timeout: 20_000, message: 'B released its copy' })
    expect((await C.chains.info(chainId))?.height).toBe(2)
  })

  it('a proposer killed -9 mid-transfer names the copy it was making obsolete in its next round, and it is released', async () => {
    const [B, E] = await connectedSwarm(cluster, 2)
    const dataDir = await cluster.tempDir()
    const args = ['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--no-mdns',
      '--network', `test-${process.pid}`, '--k-backups', '1', '--bootstrap', B.multiaddrs[0].toString()]
    let a: NodeProcess | undefined
    try {
      a = await spawnNode({ args })
      const proposer = a
      const chainId = proposer.peerId
      await waitFor(() => B.peers().length === 2 && E.peers().length === 2, { timeout: 30_000, message: 'A connected to B and E' })
      const endOfBooth = async (url: string, participants: string[], n: number): Promise<Response> => await fetch(`${url}/booth/end`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ participants, transactions: Array.from({ length: 10 }, (_, i) => ({ key: `big/${n}/${i}`, value: Buffer.alloc(256 * 1024, n + i).toString('base64'), encoding: 'base64' })) })
      })
      // ~20 MiB on A, backed up by B
      for (let n = 0; n < 8; n++) expect((await endOfBooth(proposer.httpUrl, ids(B), n)).status).toBe(200)
      // E is chosen next: kill A as soon as E has stored part of the chain
      const pending = endOfBooth(proposer.httpUrl, ids(E), 8).catch(() => undefined)
      await waitFor(async () => ((await E.chains.info(chainId))?.height ?? 0) > 0, { timeout: 30_000, interval: 5, message: 'E stored part of the chain' })
      await proposer.stop('SIGKILL')
      await pending
      const partial = await E.chains.info(chainId)
      expect(partial).toBeDefined()
      // the epoch of the table E releases its copy on
      const released = new Promise<number>((resolve) => {
        E.addEventListener('backup:released', (e) => { if (e.detail.chainId === chainId) resolve(e.detail.epoch) })
      })

      a = await spawnNode({ args })
      const restarted = a
      await waitFor(() => [B, E].every(n => n.peers().some(p => p.peerId === chainId)), { timeout: 30_000, message: 'A back' })
      const res = await endOfBooth(restarted.httpUrl, ids(B), 9)
      expect(res.status).toBe(200)
      const outcome = await res.json() as { active: string[], obsolete: string[], epoch: number }
      expect(outcome.active).toEqual(ids(B))
      await waitFor(async () => await E.chains.info(chainId) == null, { timeout: 30_000, message: 'E released its partial copy' })
      // named obsolete by this round, or by the one the restarted node runs at start to settle the transfers a
      // crash cut short (it may end, and E release, before this one: a CI run)
      const epoch = await released
      if (!outcome.obsolete.includes(E.peerId.toString())) expect(epoch).toBeLessThan(outcome.epoch)
    } finally {
      await a?.stop('SIGKILL')
    }
  })
})
