/**
 * A round of a vehicle's chain that fell short of k backups is made up
 * without a write, once a member that could take the chain is there: before,
 * a vehicle that stopped writing kept its chain on fewer than k up-to-date
 * copies until its next commit, for good if it never wrote again. Real nodes
 * over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode, VGuardNodeOptions } from '../../src/node/index.ts'
import type { BackupTable } from '../../src/backup/index.ts'
import { pbStream } from '@libp2p/utils'
import { createBlock, emptyTip, encodeBlock, tipOf } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import { gpsTransaction } from '../../src/workload/gps.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { statusOf } from '../../src/http/routes.ts'
import type { OwnReplicationStatus } from '../../src/node/index.ts'
import { sample } from '../utils/prometheus.ts'

const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString()).sort()

describe('replicate - a round short of k, made up without a write', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a backup that was down during the last round is brought up to the tip when it comes back', async () => {
    const [a, b, c] = await connectedSwarm(cluster, 3, { kBackups: 2 })
    const self = a.peerId.toString()
    await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))
    expect(await activeAt(a, 1)).toEqual(ids(b, c))

    const { dataDir } = c.config
    await cluster.stopNode(c)
    await waitFor(() => a.peers().length === 1, { message: 'a sees c gone' })
    const written = await a.put('gps/2', new TextEncoder().encode('-27.7102,-51.0902'))
    // c could not be refreshed: named still, at its older height, and the round says it fell short
    expect(written.replication).toMatchObject({ state: 'partial', backups: ids(b) })
    const short = a.vguarddb.tables.get(self)?.table
    expect(short?.active.slice().sort()).toEqual(ids(b, c))
    // the operator sees it: one of two up to date, and c (of the table) away
    expect(await ownReplication(a)).toMatchObject({ k: 2, fresh: ids(b), shortOfK: true, away: [{ peerId: c.peerId.toString() }] })
    expect(sample(await a.metrics.metrics(), 'vguard_own_chain_short_of_k')).toBe(1)
    expect(sample(await a.metrics.metrics(), 'vguard_own_chain_fresh_backups')).toBe(1)

    const back = await cluster.create({ dataDir, kBackups: 2, bootstrap: [a.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => fullyConnected([a, b, back]), { message: 'c back among the others' })
    // no write: a round of the chain as it stands brings c up to the tip
    await roundEnded(a, short?.epoch ?? 0, 'a round after c came back')
    const table = a.vguarddb.tables.get(self)?.table
    expect(table?.active.slice().sort()).toEqual(ids(b, back))
    // every backup it names holds the tip: no older held point
    expect(table).toMatchObject({ height: 2 })
    expect(table?.heldHeight).toBeUndefined()
    expect((await back.chains.info(self))?.height).toBe(2)
    expect((await a.chains.tip(self)).height).toBe(2)
    expect(await ownReplication(a)).toMatchObject({ fresh: ids(b, back), shortOfK: false, away: [] })
    expect(sample(await a.metrics.metrics(), 'vguard_own_chain_short_of_k')).toBe(0)
    expect(sample(await a.metrics.metrics(), 'vguard_own_chain_fresh_backups')).toBe(2)
  })

  it('a member ruled out by the room it advertises was not tried: it is not paused as one that failed', async () => {
    const [a, c] = await connectedSwarm(cluster, 2, { kBackups: 2 })
    // b keeps its whole disk for itself: it advertises no room for others
    const b = await cluster.create({ kBackups: 2, diskReserve: 2 ** 50, bootstrap: [a.multiaddrs[0].toString()] })
    await b.start()
    await waitFor(() => a.peers().find(p => p.peerId === b.peerId.toString())?.storage?.free === 0, { timeout: 15_000, message: 'a hears that b has no room' })
    expect((await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))).replication).toMatchObject({ state: 'partial', backups: ids(c) })
    // listed as failed lately, its pause doubled by every round short of k, though never offered the chain (a review)
    expect(await ownReplication(a)).toMatchObject({ fresh: ids(c), shortOfK: true, paused: [] })
  })

  it('a vehicle alone with one other takes a new arrival as its second backup, and runs no round before one arrives', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 2 })
    const self = a.peerId.toString()
    const written = await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))
    expect(written.replication).toMatchObject({ state: 'partial', backups: ids(b) })
    const epoch = a.vguarddb.tables.get(self)?.table.epoch ?? 0
    const rounds: number[] = []
    a.addEventListener('backup:table', (e) => { if (e.detail.chainId === self) rounds.push(e.detail.epoch) })

    const d = await cluster.create({ kBackups: 2, bootstrap: [a.multiaddrs[0].toString()] })
    await d.start()
    await waitFor(() => fullyConnected([a, b, d]), { message: 'd among the others' })
    await waitFor(() => rounds.length > 0, { timeout: 30_000, message: 'a round after d arrived' })
    // one round, the one d made possible: none with b alone (each would have signed an epoch for nothing)
    expect(rounds).toEqual([epoch + 1])
    const table = a.vguarddb.tables.get(self)?.table
    expect(table?.active.slice().sort()).toEqual(ids(b, d))
    expect((await d.chains.info(self))?.height).toBe(1)
  })
})

describe('replicate - a backup gone for good, replaced without a write', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a backup away longer than memberIdle is replaced by another member and named obsolete; one back in time is kept', async () => {
    // memberIdle: how long a vehicle that left is remembered (short here, 60 s by default)
    const { a, self, first, stays, leaves, spare } = await oneWriteInFour(cluster, { kBackups: 2, memberIdle: 4_000 })

    // a restart shorter than memberIdle moves nothing
    const { dataDir } = stays.config
    await cluster.stopNode(stays)
    const back = await cluster.create({ dataDir, kBackups: 2, memberIdle: 4_000, bootstrap: [a.multiaddrs[0].toString()] })
    await back.start()
    await waitFor(() => fullyConnected([a, back, leaves, spare]), { message: 'the backup back' })

    // a backup that stays away is replaced: no write, the chain is on k fresh copies again
    await cluster.stopNode(leaves)
    // meanwhile /status says when it is taken for gone (the replacement may come first: both are checked)
    const away = await ownReplication(a)
    if (away.away.length > 0) {
      expect(away.away).toEqual([{ peerId: leaves.peerId.toString(), goneInMs: expect.any(Number) }])
      expect(away.away[0].goneInMs).toBeLessThanOrEqual(4_000)
      expect(away).toMatchObject({ shortOfK: false, fresh: ids(back, leaves) })
    }
    await roundEnded(a, first.epoch, 'a round after the backup left')
    const table = a.vguarddb.tables.get(self)?.table
    expect(table?.active.slice().sort()).toEqual(ids(back, spare))
    expect(table?.obsolete).toEqual(ids(leaves))
    expect(table?.epoch).toBe(first.epoch + 1)
    expect(await ownReplication(a)).toMatchObject({ fresh: ids(back, spare), shortOfK: false, away: [] })
    expect((await spare.chains.info(self))?.height).toBe(1)
    expect((await a.chains.tip(self)).height).toBe(1)
    // it is told to let its copy go when it comes back: the release waits for it
    expect(a.vguarddb.pendingReleases()).toMatchObject([{ chainId: self, peerId: leaves.peerId.toString() }])
    await waitFor(() => a.vguarddb.pendingReleases().every(p => p.offline), { message: 'the release waits for the vehicle that left' })
  })
})

describe('replicate - a backup replaced without a write, in a swarm larger than the booth', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('takes a member of the next booth, whom the next write\'s round keeps: the chain is not sent a second time', async () => {
    // six vehicles, a booth of four: two are outside a's booth. Offered to every member, the round took
    // one of those about one time in three, and the next write's round sent the chain to a booth member
    // and released it (test/unit/node/idle-rounds.spec.ts checks the choice itself)
    const nodes = await connectedSwarm(cluster, 6, { kBackups: 2, backupAway: 1_500 })
    const [a] = nodes
    const self = a.peerId.toString()
    await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))
    const first = a.vguarddb.tables.get(self)?.table
    if (first == null) throw new Error('no table')
    const leaves = nodes.find(n => n.peerId.toString() === first.active[1]) as VGuardNode
    await cluster.stopNode(leaves)
    await waitFor(() => (a.vguarddb.tables.get(self)?.table.epoch ?? 0) > first.epoch, { timeout: 30_000, message: 'a round after the backup left' })
    const replaced = a.vguarddb.tables.get(self)?.table
    expect(replaced?.obsolete).toEqual([leaves.peerId.toString()])
    const taken = replaced?.active.find(p => !first.active.includes(p)) as string
    // the member taken is one the next write's booth holds (the booth that write is about to get)
    expect((await a.consensus.driver.own()).nextBooth()).toContain(taken)

    const transfers: string[] = []
    a.addEventListener('replicate:finished', (e) => { if (e.detail.chainId === self) transfers.push(e.detail.peer) })
    const written = await a.put('gps/2', new TextEncoder().encode('-27.7102,-51.0902'))
    expect(written.replication).toMatchObject({ state: 'complete' })
    expect(written.replication?.backups.slice().sort()).toEqual(replaced?.active.slice().sort())
    const after = a.vguarddb.tables.get(self)?.table
    expect(after?.active.slice().sort()).toEqual(replaced?.active.slice().sort())
    expect(after?.obsolete).not.toContain(taken)
    // both backups took only the new block
    expect(transfers.sort()).toEqual(replaced?.active.slice().sort())
  })
})

describe('replicate - a restarted vehicle whose backup does not come back', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('replaces it without a write once it has been away backupAway since the start', async () => {
    // backupAway on its own: a vehicle that left is remembered 60 s still
    const options = { kBackups: 2, backupAway: 1_500 }
    const four = await oneWriteInFour(cluster, options)
    const { self, first, stays, leaves, spare } = four
    let a = four.a

    const { dataDir } = a.config
    await cluster.stopNode(a)
    await cluster.stopNode(leaves)
    a = await cluster.create({ ...options, dataDir, bootstrap: [stays.multiaddrs[0].toString()] })
    await a.start()
    await waitFor(() => fullyConnected([a, stays, spare]), { message: 'a back beside two of the others' })
    // no write: the backup that never came back is replaced
    await waitFor(() => (a.vguarddb.tables.get(self)?.table.epoch ?? 0) > first.epoch, { timeout: 30_000, message: 'a round after the restart' })
    const table = a.vguarddb.tables.get(self)?.table
    expect(table?.active.slice().sort()).toEqual(ids(stays, spare))
    expect(table?.obsolete).toEqual(ids(leaves))
    expect((await spare.chains.info(self))?.height).toBe(1)
    expect((await a.chains.tip(self)).height).toBe(1)
  })

  it('counts fresh only the backups its last round brought to the tip, and makes up the rest without a write', async () => {
    // a long backupAway: only the shortfall the restart carries over calls for a round
    const options = { kBackups: 2, backupAway: 3_600_000 }
    const [first, b, c] = await connectedSwarm(cluster, 3, options)
    let a = first
    const self = a.peerId.toString()
    const fix = new TextEncoder().encode('-27.7101,-51.0901')
    await a.put('gps/1', fix)
    await cluster.stopNode(c)
    await waitFor(() => a.peers().length === 1, { message: 'c gone' })
    // short of k: the table names b (at the tip) and c's older copy, kept
    expect((await a.put('gps/2', fix)).replication).toMatchObject({ state: 'partial', backups: ids(b) })
    expect(a.vguarddb.tables.get(self)?.table.active.slice().sort()).toEqual(ids(b, c))
    const { dataDir } = a.config
    await cluster.stopNode(a)
    a = await cluster.create({ ...options, dataDir, bootstrap: [b.multiaddrs[0].toString()] })
    await a.start()
    await waitFor(() => fullyConnected([a, b]), { message: 'a back beside b' })
    // it counted c's copy fresh: k up to date, said /status and the gauges, and nothing was made up (a review)
    await waitFor(async () => (await ownReplication(a)).shortOfK, { message: 'a short of k after its restart' })
    expect(await ownReplication(a)).toMatchObject({ fresh: ids(b), shortOfK: true })
    expect(sample(await a.metrics.metrics(), 'vguard_own_chain_fresh_backups')).toBe(1)
    const d = await cluster.create({ ...options, bootstrap: [b.multiaddrs[0].toString()] })
    await d.start()
    await waitFor(() => fullyConnected([a, b, d]), { message: 'd arrived' })
    await waitFor(async () => (await d.chains.info(self))?.height === 2, { timeout: 30_000, message: 'd given the chain without a write' })
    await waitFor(async () => !(await ownReplication(a)).shortOfK, { message: 'a holds k fresh backups' })
    expect((await ownReplication(a)).fresh).toEqual(ids(b, d))
  })
})

describe('replicate - a transfer asked to keep a diverged copy', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('fails with DivergedCopyError and sends nothing: the backup keeps its copy; asked without, the copy is replaced', async () => {
    const [m, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const chainId = m.peerId.toString()
    // b holds two blocks of m's chain that m's store does not: its own block 1 is another
    const b2 = await pushOtherCopy(m, b)
    const other = createBlock({ prev: emptyTip(chainId), proposer: chainId, timestamp: 9, transactions: [gpsTransaction(9)] })
    await m.chains.append(other, { sync: true })

    await expect(m.vguarddb.replicate.replicateTo(b.peerId, chainId, { epoch: 2, keepDiverged: true }))
      .rejects.toMatchObject({ name: 'DivergedCopyError', message: expect.stringContaining('went another way at height 2') })
    expect((await b.chains.tip(chainId)).hash).toEqual(b2.hash)
    // asked without it, the transfer replaces the copy from block 1
    const replaced = await m.vguarddb.replicate.replicateTo(b.peerId, chainId, { epoch: 3 })
    expect(replaced).toMatchObject({ height: 1, resumedFrom: 0 })
    expect((await b.chains.tip(chainId)).hash).toEqual(other.hash)
  })
})

describe('replicate - a round without a write and a diverged copy', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('leaves the copy where it is: the member fails as a candidate, is not named obsolete and is told nothing', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1, memberIdle: 1_000 })
    const self = a.peerId.toString()
    await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))
    expect(await activeAt(a, 1)).toEqual(ids(b))
    // c arrives holding a copy of a's chain that went another way
    const c = await cluster.create({ kBackups: 1, memberIdle: 1_000, bootstrap: [a.multiaddrs[0].toString()] })
    await c.start()
    await waitFor(() => fullyConnected([a, b, c]), { message: 'c among the others' })
    const held = await pushOtherCopy(a, c)
    const epoch = a.vguarddb.tables.get(self)?.table.epoch ?? 0
    const transfers: Array<{ peer: string, error?: string }> = []
    a.addEventListener('replicate:finished', (e) => { if (e.detail.chainId === self) transfers.push({ peer: e.detail.peer, error: e.detail.error }) })

    // b leaves for good: the round that would replace it finds c's copy another chain
    await cluster.stopNode(b)
    await waitFor(() => (a.vguarddb.tables.get(self)?.table.epoch ?? 0) > epoch, { timeout: 30_000, message: 'a round after b left' })
    expect(transfers).toContainEqual({ peer: c.peerId.toString(), error: 'DivergedCopyError' })
    const table = a.vguarddb.tables.get(self)?.table
    // b, not refreshed, stays named (better than no copy); c is neither backup nor obsolete
    expect(table?.active).toEqual(ids(b))
    expect(table?.obsolete).toEqual([])
    expect(a.vguarddb.pendingReleases()).toEqual([])
    expect((await c.chains.tip(self)).hash).toEqual(held.hash)
    expect((await a.chains.tip(self)).height).toBe(1)
  })
})

/** The own chain's row of the node's /status: its backups as the node knows them. */
async function ownReplication (node: VGuardNode): Promise<OwnReplicationStatus> {
  const status = await statusOf(node)
  const own = status.chains.find(c => c.role === 'own')
  if (own?.replication == null) throw new Error('no replication on the own chain\'s row')
  expect(status.chains.filter(c => c.role !== 'own').every(c => c.replication == null)).toBe(true)
  return { ...own.replication, fresh: own.replication.fresh.slice().sort() }
}

/**
 * Four vehicles; a writes one fix: `stays` and `leaves` are the backups its
 * table names, `spare` the other vehicle.
 */
async function oneWriteInFour (cluster: TestCluster, options: Partial<VGuardNodeOptions>): Promise<{ a: VGuardNode, self: string, first: BackupTable, stays: VGuardNode, leaves: VGuardNode, spare: VGuardNode }> {
  const nodes = await connectedSwarm(cluster, 4, options)
  const [a] = nodes
  const self = a.peerId.toString()
  await a.put('gps/1', new TextEncoder().encode('-27.7101,-51.0901'))
  const first = a.vguarddb.tables.get(self)?.table
  if (first == null) throw new Error('no table')
  const [stays, leaves] = first.active.map(id => nodes.find(n => n.peerId.toString() === id) as VGuardNode)
  const spare = nodes.find(n => n !== a && n !== stays && n !== leaves) as VGuardNode
  return { a, self, first, stays, leaves, spare }
}

/**
 * Pushes `to` a copy of `owner`'s chain that its store does not hold (two
 * blocks of another history), over the replicate protocol as the owner.
 * Returns the copy's tip block.
 */
async function pushOtherCopy (owner: VGuardNode, to: VGuardNode): Promise<Block> {
  const chainId = owner.peerId.toString()
  const b1 = createBlock({ prev: emptyTip(chainId), proposer: chainId, timestamp: 1, transactions: [gpsTransaction(1)] })
  const b2 = createBlock({ prev: tipOf(b1), proposer: chainId, timestamp: 2, transactions: [gpsTransaction(2)] })
  const stream = await owner.libp2p.dialProtocol(to.peerId, REPLICATE_PROTOCOL)
  const pbs = pbStream(stream, { maxDataLength: 8 * 1024 * 1024 })
  const request = (r: Partial<ReplicateRequest>): ReplicateRequest => ({ type: ReplicateRequest.Type.OFFER, chainId, height: 2, tipHash: b2.hash as Uint8Array<ArrayBuffer>, bytes: 1000, epoch: 1, reset: false, blocks: [], ...r })
  for (const r of [request({}), request({ type: ReplicateRequest.Type.BLOCKS, blocks: [b1, b2].map(x => encodeBlock(x) as Uint8Array<ArrayBuffer>) }), request({ type: ReplicateRequest.Type.DONE })]) {
    await pbs.write(r, ReplicateRequest)
    expect(await pbs.read(ReplicateResponse)).toMatchObject({ status: ReplicateResponse.Status.OK })
  }
  stream.abort(new Error('done'))
  return b2
}

/**
 * Resolves once a round of a's own chain past `epoch` has ended with k fresh
 * backups. Its table is held (in memory, before it is synced) while the round
 * still queues its releases and records its transfers; only then does it say
 * on /status whom it left fresh. A test that waited for the table alone read
 * /status in between when the machine was loaded (CI), and found the
 * previous round's shortfall beside the new table.
 */
async function roundEnded (a: VGuardNode, epoch: number, message: string): Promise<void> {
  const self = a.peerId.toString()
  const table = (): BackupTable | undefined => a.vguarddb.tables.get(self)?.table
  await waitFor(async () => (table()?.epoch ?? 0) > epoch && !(await ownReplication(a)).shortOfK, {
    timeout: 30_000,
    message,
    state: async () => ({ table: table(), replication: await ownReplication(a) })
  })
}

/** The backups a's newest table names, once it covers `height`. */
async function activeAt (a: VGuardNode, height: number): Promise<string[]> {
  const self = a.peerId.toString()
  await waitFor(() => (a.vguarddb.tables.get(self)?.table.height ?? 0) >= height, { message: `a table at height ${height}` })
  return (a.vguarddb.tables.get(self)?.table.active ?? []).slice().sort()
}
