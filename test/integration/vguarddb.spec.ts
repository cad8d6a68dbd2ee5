import { describe, it, expect, afterEach } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { TestCluster, fullyConnected, connectedSwarm } from '../utils/nodes.ts'
import { gossipAgedOut, waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { VGuardNodeOptions } from '../../src/node/config.ts'
import { ReadRequest, ReadResponse } from '../../src/protocols/read/index.ts'
import { signTable } from '../../src/backup/index.ts'
import { loadOrCreateKey } from '../../src/node/identity.ts'
import { createBlock, decodeBlock, encodeBlock, tipOf } from '../../src/chain/index.ts'
import type { Block } from '../../src/chain/index.ts'
import { madeUpPeerIds } from '../utils/peer-ids.ts'
import { statusOf } from '../../src/http/status.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()

async function swarm (cluster: TestCluster, n: number, overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode[]> {
  return await connectedSwarm(cluster, n, { kBackups: 2, ...overrides })
}

const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())
const gps = (i: number): { key: string, value: Uint8Array } => ({ key: `gps/${i}`, value: utf8.encode(`-27.71${i},-51.09${i}`) })

describe('vguarddb - replicate, release, read', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('end of booth: k backups hold the chain durably, the table is gossiped, obsolete backups release', async () => {
    const [A, B, C, D, E, F] = await swarm(cluster, 6)
    const chainId = A.peerId.toString()

    const first = await A.endOfBooth({ participants: ids(E, F), transactions: [gps(1)] })
    expect(first).toMatchObject({ chainId, height: 1, epoch: 1, complete: true })
    expect(first.active.sort()).toEqual(ids(E, F).sort())
    expect((await E.chains.info(chainId))?.height).toBe(1)
    const epoch1 = A.vguarddb.tables.get(chainId)?.signed as Uint8Array

    const released: string[] = []
    for (const n of [E, F]) n.addEventListener('backup:released', () => { released.push(n.peerId.toString()) })
    const second = await A.endOfBooth({ participants: ids(B, C, D), transactions: [gps(2), { key: 'gps/1', delete: true }] })
    expect(second).toMatchObject({ height: 2, epoch: 2, complete: true })
    expect(second.active.every(p => ids(B, C, D).includes(p))).toBe(true)
    expect(second.obsolete.sort()).toEqual(ids(E, F).sort())
    for (const id of second.active) {
      const holder = [B, C, D].find(n => n.peerId.toString() === id) as VGuardNode
      expect((await holder.chains.info(chainId))?.height).toBe(2)
    }
    // gossip is a hint, but on a healthy mesh it arrives
    await waitFor(() => D.vguarddb.tables.get(chainId)?.table.epoch === 2, { message: 'table gossiped' })
    // release-and-forward: E and F delete their copies and keep the table as a pointer
    await waitFor(() => released.length === 2, { message: 'E and F released' })
    expect(await E.chains.info(chainId)).toBeUndefined()
    expect(E.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
    // its copy gone, the table counts among E's forward pointers, under their cap
    await waitFor(() => E.vguarddb.tables.pointerCount === 1, { message: 'E files the table as a forward pointer' })
    expect((await statusOf(E)).backupTables.find(t => t.chainId === chainId)).toMatchObject({ kind: 'pointer', epoch: 2 })
    await waitFor(() => A.vguarddb.pendingReleases().length === 0, { message: 'releases acknowledged' })

    // the paper's figure 1: G, who was away for booth 2, still has the epoch-1 table naming E and F.
    // gossipsub offers recent messages to a peer it meets: G joins once the
    // epoch-2 table has aged out of every node's gossip, as it had for the
    // vehicle in the paper, so the table can reach G only through a redirect
    await gossipAgedOut([A, B, C, D, E, F])
    const G = await cluster.create({ kBackups: 2, bootstrap: [B.multiaddrs[0].toString()] })
    await G.start()
    await waitFor(() => G.peers().length === 6, { message: 'G joined' })
    await G.vguarddb.tables.adopt(epoch1)
    expect(G.vguarddb.tables.get(chainId)?.table.epoch).toBe(1)
    // a table G was only shown is a hint: G never held the chain
    expect((await statusOf(G)).backupTables.find(t => t.chainId === chainId)).toMatchObject({ kind: 'hint', epoch: 1 })
    // A goes offline
    await cluster.stopNode(A)
    const read = await G.vguarddb.readKey(chainId, 'gps/2')
    expect(text.decode(read.response.value)).toBe('-27.712,-51.092')
    expect(read.path[0]).toMatchObject({ peerId: chainId, outcome: 'unreachable' })
    // G's table names E and F: the one it asks redirects to the epoch-2 backups
    expect(ids(E, F)).toContain(read.path[1].peerId)
    expect(read.path[1].outcome).toBe('redirect')
    // the redirect's newer table stands in for the proposer's word within this read: no lookup between
    expect(read.path).toHaveLength(3)
    expect(read.path.at(-1)).toMatchObject({ outcome: 'served', epoch: 2, height: 2 })
    expect(second.active).toContain(read.servedBy)
    // a reader sent to E (as G's epoch-1 table does): E was released and redirects to the epoch-2 backups
    const viaE = await G.vguarddb.readKey(chainId, 'gps/2', { via: ids(E) })
    expect(viaE.path.map(p => [p.peerId, p.outcome])).toEqual([[chainId, 'unreachable'], [E.peerId.toString(), 'redirect'], [viaE.servedBy, 'served']])
    expect(second.active).toContain(viaE.servedBy)
    expect(text.decode(viaE.response.value)).toBe('-27.712,-51.092')
    // E named as a CID, twice: one holder, named in its usual form (a CID form was a stranger asked twice)
    const cidOfE = E.peerId.toCID().toString()
    const viaCid = await G.vguarddb.readKey(chainId, 'gps/2', { via: [cidOfE, cidOfE] })
    expect(viaCid.path.map(p => [p.peerId, p.outcome])).toEqual([[chainId, 'unreachable'], [E.peerId.toString(), 'redirect'], [viaCid.servedBy, 'served']])
    await expect(G.vguarddb.readKey(chainId, 'gps/2', { via: ['notapeer'] })).rejects.toMatchObject({ name: 'InvalidReadError', message: 'via: not a peer id: notapeer' })
    // the deleted key is gone on the backup too
    const deleted = await G.vguarddb.readKey(chainId, 'gps/1')
    expect(deleted.response.status).toBe(ReadResponse.Status.NOT_FOUND)
  })

  it('reads every committed block from the one survivor when the proposer and k-1 backups are gone', async () => {
    const nodes = await swarm(cluster, 5)
    const [A, , , , R] = nodes
    const chainId = A.peerId.toString()
    let outcome
    for (let i = 1; i <= 5; i++) outcome = await A.endOfBooth({ participants: ids(...nodes.slice(1, 4)), transactions: [gps(i)] })
    expect(outcome?.active).toHaveLength(2)
    await waitFor(() => R.vguarddb.tables.get(chainId)?.table.epoch === 5, { message: 'reader has the table' })
    const [gone, survivor] = outcome?.active as string[]
    await cluster.stopNode(A)
    await cluster.stopNode(nodes.find(n => n.peerId.toString() === gone) as VGuardNode)
    for (let h = 1; h <= 5; h++) {
      const read = await R.vguarddb.readBlock(chainId, h)
      expect(read.servedBy).toBe(survivor)
      expect(read.response.blocks).toHaveLength(1)
    }
  })

  it('lists a departed vehicle\'s keys page by page from its backups; a booth member\'s copy is passed over for an active backup', async () => {
    const nodes = await swarm(cluster, 6)
    const [A, , , , , R] = nodes
    const chainId = A.peerId.toString()
    // 25 keys over 5 blocks, one deleted, and one key outside gps/
    let outcome
    for (let b = 0; b < 5; b++) {
      const transactions: Array<{ key: string, value?: Uint8Array, delete?: boolean }> = Array.from({ length: 5 }, (_, i) => gps(b * 5 + i + 1))
      if (b === 4) transactions.push({ key: 'gps/2', delete: true }, { key: 'speed', value: utf8.encode('88') })
      outcome = await A.endOfBooth({ participants: ids(...nodes.slice(1, 5)), transactions })
    }
    await waitFor(() => R.vguarddb.tables.get(chainId)?.table.epoch === 5, { message: 'reader has the table' })
    const active = outcome?.active as string[]
    const member = ids(...nodes.slice(1, 5)).find(id => !active.includes(id)) as string
    await cluster.stopNode(A)

    // R holds no copy: the proposer is out of reach, and the booth member named first is passed over
    const keys: string[] = []
    const servers = new Set<string>()
    let after: string | undefined
    for (;;) {
      const page = await R.vguarddb.readKeys(chainId, { prefix: 'gps/', after, limit: 10 }, { via: [member] })
      expect(page.stale).toBe(false)
      servers.add(page.servedBy)
      keys.push(...page.response.entries.map(e => e.key))
      if (after == null) {
        expect(page.path.map(p => p.peerId).slice(0, 2)).toEqual([chainId, member])
        expect(page.path[0].outcome).toBe('unreachable')
        expect(text.decode(page.response.entries[0].value)).toBe('-27.711,-51.091')
      }
      if (!page.response.more) break
      after = page.response.entries.at(-1)?.key
    }
    expect([...servers].every(s => active.includes(s))).toBe(true)
    // key order: gps/1, gps/10…gps/19, gps/20…, gps/3…; gps/2 deleted, speed not under gps/
    const expected = Array.from({ length: 25 }, (_, i) => `gps/${i + 1}`).filter(k => k !== 'gps/2').sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect(keys).toEqual(expected)
    const keysOnly = await R.vguarddb.readKeys(chainId, { values: false, limit: 1000 })
    expect(keysOnly.response.entries.map(e => e.key)).toEqual([...expected, 'speed'])
    expect(keysOnly.response.entries.every(e => e.value.byteLength === 0 && !e.pruned)).toBe(true)
    await expect(R.vguarddb.readKeys(chainId, { limit: 1001 })).rejects.toMatchObject({ name: 'InvalidReadError' })
    await expect(R.vguarddb.readKeys(chainId, { prefix: '\uD800' })).rejects.toMatchObject({ name: 'InvalidReadError' })
  })

  /** A chain of 3 blocks backed by two of five vehicles, the reader R holding its table: one backup to make lie, one honest. */
  async function withLiar (): Promise<{ A: VGuardNode, R: VGuardNode, chainId: string, liar: VGuardNode, liarId: string, honestId: string }> {
    const nodes = await swarm(cluster, 5)
    const [A, , , , R] = nodes
    const chainId = A.peerId.toString()
    let outcome
    for (let i = 1; i <= 3; i++) outcome = await A.endOfBooth({ participants: ids(...nodes.slice(1, 4)), transactions: [gps(i)] })
    await waitFor(() => R.vguarddb.tables.get(chainId)?.table.epoch === 3, { message: 'reader has the table' })
    const [liarId, honestId] = outcome?.active as string[]
    return { A, R, chainId, liar: nodes.find(n => n.peerId.toString() === liarId) as VGuardNode, liarId, honestId }
  }

  it('a backup that answers blocks that do not verify is passed over: the read is served by the other, and says why', async () => {
    const { A, R, chainId, liar, liarId, honestId } = await withLiar()
    const block2 = await A.chains.getBlock(chainId, 2)
    const block3 = await A.chains.getBlock(chainId, 3)
    // the liar's read service answers block 2 with block 3's payload (a forged block: its payload hash does not match)
    const answer = liar.vguarddb.read.answer.bind(liar.vguarddb.read)
    liar.vguarddb.read.answer = async (req) => {
      const res = await answer(req)
      return req.kind === ReadRequest.Kind.BLOCK ? { ...res, blocks: [encodeBlock({ ...(block2 as Block), payload: block3?.payload }) as Uint8Array<ArrayBuffer>] } : res
    }
    await cluster.stopNode(A)
    const read = await R.vguarddb.readBlock(chainId, 2, { via: [liarId] })
    expect(read.servedBy).toBe(honestId)
    expect(decodeBlock(read.response.blocks[0]).hash).toEqual(block2?.hash)
    const lie = read.path.find(p => p.peerId === liarId)
    expect(lie).toMatchObject({ outcome: 'error' })
    expect(lie?.error).toMatch(/^blocks that do not verify: .*BadPayloadHash/)
  })

  it('a backup whose page of keys is not the keys asked for is passed over: the page is served by the other, and says why', async () => {
    const { A, R, chainId, liar, liarId, honestId } = await withLiar()
    const answer = liar.vguarddb.read.answer.bind(liar.vguarddb.read)
    liar.vguarddb.read.answer = async (req) => {
      const res = await answer(req)
      // a key outside the prefix asked for, put first
      return req.kind === ReadRequest.Kind.KEYS ? { ...res, entries: [{ key: 'made/up', value: utf8.encode('x') as Uint8Array<ArrayBuffer>, height: 1, pruned: false }, ...(res.entries ?? [])] } : res
    }
    await cluster.stopNode(A)
    const page = await R.vguarddb.readKeys(chainId, { prefix: 'gps/' }, { via: [liarId] })
    expect(page).toMatchObject({ servedBy: honestId, stale: false })
    expect(page.response.entries.map(e => e.key)).toEqual(['gps/1', 'gps/2', 'gps/3'])
    const lie = page.path.find(p => p.peerId === liarId)
    expect(lie).toMatchObject({ outcome: 'error' })
    expect(lie?.error).toMatch(/^keys that do not answer the request: key "made\/up" is not under the prefix "gps\/"/)
  })

  // a lying backup's answers hash right and link up; only the table the reader verified shows they are made up
  it('a backup that makes up the tip the table names, or an epoch nobody signed, is passed over: the read is served by the other, and says why', async () => {
    const { A, R, chainId, liar, liarId, honestId } = await withLiar()
    expect(R.vguarddb.tables.get(chainId)?.table.height).toBe(3)
    const block2 = await A.chains.getBlock(chainId, 2) as Block
    const block3 = await A.chains.getBlock(chainId, 3) as Block
    // block 3 made up: it hashes right and points to the real block 2
    const forged = createBlock({ prev: tipOf(block2), proposer: chainId, timestamp: block3.header.timestamp, transactions: [{ key: 'gps/3', value: utf8.encode('made up') }] })
    const answer = liar.vguarddb.read.answer.bind(liar.vguarddb.read)
    liar.vguarddb.read.answer = async (req) => {
      const res = await answer(req)
      if (req.kind === ReadRequest.Kind.BLOCK) return { ...res, blocks: [encodeBlock(forged) as Uint8Array<ArrayBuffer>], tipHash: forged.hash as Uint8Array<ArrayBuffer> }
      // a value from an epoch and a height nobody signed, without a table
      return { ...res, epoch: 99, height: 99, table: new Uint8Array(0), value: utf8.encode('made up'), valueHeight: 99 }
    }
    await cluster.stopNode(A)

    const block = await R.vguarddb.readBlock(chainId, 3, { via: [liarId] })
    expect(block).toMatchObject({ servedBy: honestId, stale: false })
    expect(decodeBlock(block.response.blocks[0]).hash).toEqual(block3.hash)
    const forgedBlock = block.path.find(p => p.peerId === liarId)
    expect(forgedBlock).toMatchObject({ outcome: 'error' })
    expect(forgedBlock?.error).toMatch(/^blocks that do not verify: block 3 of \S+ \(\w+\) is not the tip its signed table names \(epoch 3/)

    const key = await R.vguarddb.readKey(chainId, 'gps/3', { via: [liarId] })
    expect(key).toMatchObject({ servedBy: honestId, stale: false, epoch: 3, height: 3 })
    expect(text.decode(key.response.value)).toBe('-27.713,-51.093')
    const madeUp = key.path.find(p => p.peerId === liarId)
    expect(madeUp).toMatchObject({ outcome: 'invalid', epoch: 99 })
    expect(madeUp?.error).toMatch(/epoch 99 claimed without its signed table \(the reader's newest is epoch 3\)/)
  })

  it('a backup whose store fails a read answers ERROR with why: the read is served by the other and its path says so', async () => {
    const nodes = await swarm(cluster, 4)
    const [A, , , R] = nodes
    const chainId = A.peerId.toString()
    const outcome = await A.endOfBooth({ participants: ids(...nodes.slice(1, 3)), transactions: [gps(1)] })
    await waitFor(() => R.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'reader has the table' })
    const [failingId, healthyId] = outcome.active
    const failing = nodes.find(n => n.peerId.toString() === failingId) as VGuardNode
    failing.vguarddb.read.answer = async () => { throw new Error('IO error: Corruption: block checksum mismatch') }
    await cluster.stopNode(A)
    const read = await R.vguarddb.readKey(chainId, 'gps/1', { via: [failingId] })
    expect(read.servedBy).toBe(healthyId)
    expect(read.path.find(p => p.peerId === failingId)).toMatchObject({ outcome: 'error', error: 'read failed on this holder: IO error: Corruption: block checksum mismatch' })
  })

  it('a vehicle that joins after the proposer left finds the backups through its neighbours (redirect and quorum reads)', async () => {
    const nodes = await swarm(cluster, 4)
    const [A, B, C, D] = nodes
    const chainId = A.peerId.toString()
    const outcome = await A.endOfBooth({ participants: ids(B, C, D), transactions: [gps(1)] })
    expect(outcome.active).toHaveLength(2)
    for (const n of [B, C, D]) await waitFor(() => n.vguarddb.tables.get(chainId) != null, { message: 'table gossiped' })
    await cluster.stopNode(A)

    // N and Q join now: the booth's gossip is over, they never heard the table
    const newcomers = []
    for (let i = 0; i < 2; i++) {
      const n = await cluster.create({ kBackups: 2, bootstrap: [B.multiaddrs[0].toString()] })
      await n.start()
      newcomers.push(n)
    }
    const [N, Q] = newcomers
    for (const n of newcomers) await waitFor(() => n.peers().length >= 3, { message: 'newcomer joined' })
    expect(N.vguarddb.tables.get(chainId)).toBeUndefined()

    const read = await N.vguarddb.readKey(chainId, 'gps/1')
    expect(text.decode(read.response.value)).toBe('-27.711,-51.091')
    expect(read.path[0]).toMatchObject({ peerId: chainId, outcome: 'unreachable' })
    expect(read.path.some(p => p.outcome === 'redirect')).toBe(true)
    expect(read.path.at(-1)).toMatchObject({ outcome: 'served', epoch: 1, height: 1 })
    expect(outcome.active).toContain(read.servedBy)
    expect(N.vguarddb.tables.get(chainId)?.table.epoch).toBe(1)

    // a quorum read needs Nr = 2 holders: the vehicle alone is too few, until the lookup finds its backups
    expect(Q.vguarddb.tables.get(chainId)).toBeUndefined()
    const quorum = await Q.get(chainId, 'gps/1', { consistency: 'quorum' })
    expect(text.decode(quorum.value)).toBe('-27.711,-51.091')
    expect(quorum.servedBy.every(p => outcome.active.includes(p))).toBe(true)
  })

  it('refuses forged, replayed and unknown releases, and releases from non-owners; nothing is deleted', async () => {
    const [A, B, C, M] = await swarm(cluster, 4)
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B, C), transactions: [gps(1)] })
    const epoch1 = A.vguarddb.tables.get(chainId)?.signed as Uint8Array
    await A.endOfBooth({ participants: ids(B, C), transactions: [gps(2)] })
    const epoch2 = A.vguarddb.tables.get(chainId)?.signed as Uint8Array
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 2)
    const b = peerIdFromString(B.peerId.toString())

    // M relays A's genuine table: the sender does not own the chain
    await expect(M.vguarddb.release.release(b, epoch2)).rejects.toMatchObject({ name: 'ReleaseRejectedError' })
    // M signs a table for A's chain with its own key (a forgery)
    const mKey = await loadOrCreateKey(M.config.dataDir)
    const forged = await signTable(mKey, chainId, { chainId, epoch: 99, active: [], obsolete: ids(B), height: 2, tipHash: new Uint8Array(32), timestamp: 0 })
    await expect(M.vguarddb.release.release(b, forged.signed)).rejects.toMatchObject({ name: 'ReleaseRejectedError' })
    // A replays its old epoch-1 table: stale
    await expect(A.vguarddb.release.release(b, epoch1)).rejects.toMatchObject({ name: 'StaleReleaseError' })
    // M releases its own chain, which B never held: nothing held there to release, and nothing kept
    const own = await signTable(mKey, M.peerId.toString(), { chainId: M.peerId.toString(), epoch: 1, active: [], obsolete: ids(B), height: 0, tipHash: new Uint8Array(32), timestamp: 0 })
    await expect(M.vguarddb.release.release(b, own.signed)).resolves.toEqual({ epoch: 0, deleted: false, nothingHeld: true })
    expect(B.vguarddb.tables.isKept(M.peerId.toString())).toBe(false)
    expect((await B.chains.info(chainId))?.height).toBe(2)
    expect(B.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
  })

  /** A's chain backed up by B and C, and releases A sends B with tables it signs by hand. */
  async function backedUpByB (): Promise<{ A: VGuardNode, B: VGuardNode, C: VGuardNode, chainId: string, releaseB: (epoch: number, active: string[], obsolete: string[]) => Promise<unknown> }> {
    const [A, B, C] = await swarm(cluster, 3)
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B, C), transactions: [gps(1)] })
    const tip = await A.chains.tip(chainId)
    const aKey = await loadOrCreateKey(A.config.dataDir)
    const releaseB = async (epoch: number, active: string[], obsolete: string[]): Promise<unknown> => {
      const table = await signTable(aKey, chainId, { chainId, epoch, active, obsolete, height: tip.height, tipHash: tip.hash, timestamp: 0 })
      return await A.vguarddb.release.release(peerIdFromString(B.peerId.toString()), table.signed)
    }
    return { A, B, C, chainId, releaseB }
  }

  it('a release whose table names the backup neither active nor obsolete (past the 64 a table lists) deletes its copy; named active, it keeps it', async () => {
    const { B, C, chainId, releaseB } = await backedUpByB()
    // B named active again keeps its copy
    await expect(releaseB(7, ids(B), ids(C))).resolves.toEqual({ epoch: 7, deleted: false })
    expect((await B.chains.info(chainId))?.height).toBe(1)
    // the table lists 64 other obsolete backups and not B: the release still releases B
    const others = await madeUpPeerIds(64)
    await expect(releaseB(8, ids(C), others)).resolves.toEqual({ epoch: 8, deleted: true })
    expect(await B.chains.info(chainId)).toBeUndefined()
    // it keeps the table as its forward pointer
    expect(B.vguarddb.tables.get(chainId)?.table.epoch).toBe(8)
  })

  it('a release overtaken by a newer offer of its owner is stale: the copy the owner counts on again stays', async () => {
    const { A, B, C, chainId, releaseB: release } = await backedUpByB()
    const releaseB = async (epoch: number): Promise<unknown> => await release(epoch, ids(C), ids(B))
    // A re-selected B for epoch 9 (its offer reached B) before B heard the release of epoch 5
    await A.vguarddb.replicate.replicateTo(peerIdFromString(B.peerId.toString()), chainId, { epoch: 9 })
    await expect(releaseB(5)).rejects.toMatchObject({ name: 'StaleReleaseError', message: expect.stringContaining('replicating epoch 9') })
    expect((await B.chains.info(chainId))?.height).toBe(1)
    // a release newer than the offer releases
    await expect(releaseB(10)).resolves.toEqual({ epoch: 10, deleted: true })
    expect(await B.chains.info(chainId)).toBeUndefined()
    // and one older than the table it left is stale
    await expect(releaseB(7)).rejects.toMatchObject({ name: 'StaleReleaseError', message: expect.stringContaining('holding epoch 10') })
  })

  it('an offer the backup refused (no room) does not make the owner\'s pending release stale: the release still deletes the copy', async () => {
    const [A, C] = await swarm(cluster, 2, { kBackups: 1 })
    const B = await cluster.create({ kBackups: 1, capacity: 200_000, bootstrap: [A.multiaddrs[0].toString()] })
    await B.start()
    await waitFor(() => fullyConnected([A, B, C]), { message: 'B connected' })
    const chainId = A.peerId.toString()
    const b = peerIdFromString(B.peerId.toString())
    await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    // the chain grows past B's room (a block appended here, no round)
    const tip = await A.chains.tip(chainId)
    await A.chains.append(createBlock({ prev: tip, proposer: chainId, timestamp: Date.now(), transactions: [{ key: 'big', value: new Uint8Array(300_000).fill(7) }] }), { sync: true })
    // a later round offers B epoch 3; B has no room and refuses it at the offer
    await expect(A.vguarddb.replicate.replicateTo(b, chainId, { epoch: 3 })).rejects.toMatchObject({ name: 'NoCapacityError' })
    // what B remembers is still the offer it took (the first round's), not the one it refused
    expect(B.vguarddb.offeredEpoch(chainId)).toBe(1)
    // the release of epoch 2 (pending on the owner meanwhile) still releases B: it does not count on B
    const aKey = await loadOrCreateKey(A.config.dataDir)
    const table = await signTable(aKey, chainId, { chainId, epoch: 2, active: ids(C), obsolete: ids(B), height: tip.height, tipHash: tip.hash, timestamp: 0 })
    await expect(A.vguarddb.release.release(b, table.signed)).resolves.toEqual({ epoch: 2, deleted: true })
    expect(await B.chains.info(chainId)).toBeUndefined()
  })

  it('a release of the epoch the backup holds counts only as that very table: another table of the epoch is stale and deletes nothing', async () => {
    const { A, B, C, chainId, releaseB } = await backedUpByB()
    await waitFor(() => B.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'B holds table 1' })
    const held = A.vguarddb.tables.get(chainId)?.signed as Uint8Array
    // epoch 1 signed again, naming B obsolete: not the table B keeps, so no ground to delete its copy
    await expect(releaseB(1, ids(C), ids(B))).rejects.toMatchObject({ name: 'StaleReleaseError', message: expect.stringContaining('another table of epoch 1') })
    expect((await B.chains.info(chainId))?.height).toBe(1)
    expect(new Uint8Array(B.vguarddb.tables.get(chainId)?.signed ?? [])).toEqual(new Uint8Array(held))
    // the table B holds, sent again (a hand-off retried), is still answered OK
    await expect(A.vguarddb.release.release(peerIdFromString(B.peerId.toString()), held)).resolves.toEqual({ epoch: 1, deleted: false })
  })

  it('a release the backup fails to carry out (its disk) is answered ERROR with why and changes nothing; tried again, it releases', async () => {
    const { B, C, chainId, releaseB } = await backedUpByB()
    const store = B.chains
    const deleteChain = store.deleteChain.bind(store)
    let failures = 1
    store.deleteChain = async (id: string): Promise<boolean> => {
      if (failures-- > 0) throw new Error('IO error: No space left on device')
      return await deleteChain(id)
    }
    await expect(releaseB(7, ids(C), ids(B))).rejects.toMatchObject({ name: 'ReleaseFailedError', message: expect.stringMatching(/ERROR: release failed on this backup: IO error: No space left/) })
    expect((await B.chains.info(chainId))?.height).toBe(1)
    // the same release again (what the owner's queue sends) goes through
    await expect(releaseB(7, ids(C), ids(B))).resolves.toEqual({ epoch: 7, deleted: true })
    expect(await B.chains.info(chainId)).toBeUndefined()
  })

  it('a backup whose disk fails while it stores a copy answers ERROR with why, and holds nothing of it', async () => {
    const [A, B, C, D] = await swarm(cluster, 4)
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B, C), transactions: [gps(1), gps(2)] })
    const store = D.chains
    store.appendMany = async () => { throw Object.assign(new Error('IO error: No space left on device'), { name: 'DiskFullError' }) }
    await expect(A.vguarddb.replicate.replicateTo(peerIdFromString(D.peerId.toString()), chainId, { epoch: 5 }))
      .rejects.toMatchObject({ name: 'ReplicateRefusedError', message: expect.stringMatching(/refused blocks: ERROR: could not store the copy: IO error: No space left on device$/) })
    expect(await D.chains.info(chainId)).toBeUndefined()
  })
})

describe('vguarddb - a round the stop cuts off', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('says the blocks before it are committed, so a caller does not append them again', async () => {
    const [A, B] = await swarm(cluster, 2, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(B), transactions: [gps(1)] })
    await A.vguarddb.stop()
    await expect(A.vguarddb.afterCommit(chainId, ids(B))).rejects.toMatchObject({
      name: 'ReplicationStoppedError',
      message: `no replication round for ${chainId}: the node is stopping; its blocks up to height 1 are committed (backups get them with a later round)`
    })
  })
})

describe('vguarddb - a round with more participants than a booth holds', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('gossips its table all the same (the participants a receiver decodes are bounded)', async () => {
    const [a, b, c] = await swarm(cluster, 3, { kBackups: 1 })
    const self = a.peerId.toString()
    // b its one participant, so its backup: c hears of the table only by gossip
    await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [gps(1)] })
    await waitFor(() => c.vguarddb.tables.get(self) != null, { message: 'c heard the first table' })
    const epoch = c.vguarddb.tables.get(self)?.table.epoch ?? 0
    // a round without a write takes every connected member: here b and 70 more (none reachable, so b is the backup)
    const others = await madeUpPeerIds(70)
    const outcome = await a.vguarddb.afterCommit(self, [b.peerId.toString(), ...others])
    expect(outcome.epoch).toBe(epoch + 1)
    // c is no backup and no participant: only the gossip tells it (dropped as invalid with 71 participants: a review)
    await waitFor(() => c.vguarddb.tables.get(self)?.table.epoch === epoch + 1, { message: 'c heard the new table' })
    expect(c.vguarddb.gossipInvalid).toBe(0)
  })
})

describe('vguarddb - advertised capacity', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a vehicle that advertises no room is not asked to be a backup', async () => {
    const [A, B, C] = await swarm(cluster, 3)
    const D = await cluster.create({ kBackups: 2, capacity: 100, bootstrap: [A.multiaddrs[0].toString()] })
    await D.start()
    await waitFor(() => fullyConnected([A, B, C, D]), { message: 'D joined' })
    await waitFor(async () => (await fetchHint(A, D)) === 100, { message: 'A heard D advertise 100 bytes free' })
    const outcome = await A.endOfBooth({ participants: ids(B, C, D), transactions: [gps(1)] })
    expect(outcome.active.sort()).toEqual(ids(B, C).sort())
    expect(outcome.failures).toEqual([])
    expect(await D.chains.info(A.peerId.toString())).toBeUndefined()
  })
})

async function fetchHint (from: VGuardNode, of: VGuardNode): Promise<number | undefined> {
  return from.peers().find(p => p.peerId === of.peerId.toString())?.storage?.free
}
