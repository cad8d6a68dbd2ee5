/**
 * Quorum reads on real nodes: a vehicle's chain is held by the vehicle and
 * its k active backups; one backup's copy is made stale (rolled back to an
 * older height), and quorum reads still return only the newest value (or
 * block) that Nr holders agree on — never the stale one. One backup that
 * lies about its height cannot make them fail either.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { gossipAgedOut, waitFor } from '../utils/wait.ts'
import type { VGuardNode, VGuardNodeOptions } from '../../src/node/index.ts'
import type { Block } from '../../src/chain/index.ts'
import { ReadRequest, ReadResponse } from '../../src/protocols/read/index.ts'

const utf8 = new TextEncoder()
/** gossipsub's message cache: 5 heartbeats of 1 s (mcacheLength, heartbeatInterval), with a margin. */
const GOSSIP_CACHE_MS = 6_500
const text = (v?: Uint8Array): string | undefined => v == null ? undefined : new TextDecoder().decode(v)

/** Four vehicles with k = 2, fully connected; the last three bootstrap to the first and take `rest` too. */
async function vehicles (cluster: TestCluster, rest: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode[]> {
  const first = await cluster.create({ kBackups: 2 })
  await first.start()
  const bootstrap = [first.multiaddrs[0].toString()]
  const others = await Promise.all([1, 2, 3].map(async () => await cluster.create({ kBackups: 2, bootstrap, ...rest })))
  await Promise.all(others.map(async n => { await n.start() }))
  const nodes: VGuardNode[] = [first, ...others]
  await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '4 nodes connected' })
  return nodes
}

describe('consensus - quorum reads', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('return the newest value Nr holders agree on while a minority of holders is stale', async () => {
    const nodes = await vehicles(cluster)
    const a = nodes[0]
    const A = a.peerId.toString()

    await a.put('speed', utf8.encode('50'))
    const v2 = await a.put('speed', utf8.encode('80'))
    const holders = a.consensus.holders(A)
    expect(holders).toHaveLength(3)
    const [, fresh, staleId] = holders
    const stale = nodes.find(n => n.peerId.toString() === staleId) as VGuardNode
    const reader = nodes.find(n => !holders.includes(n.peerId.toString())) as VGuardNode
    await waitFor(() => reader.vguarddb.tables.get(A)?.table.active.length === 2, { message: 'the reader knows the backup table' })
    expect(reader.consensus.holders(A).sort()).toEqual([...holders].sort())

    // the stale backup holds the chain up to the block before the newest write
    const older: Block[] = []
    for await (const b of a.chains.blocks(A, { to: v2.height - 1 })) older.push(b)
    await stale.chains.deleteChain(A)
    await stale.chains.appendMany(older)
    expect(text((await stale.get(A, 'speed')).value)).toBe('50')
    expect(text((await nodes.find(n => n.peerId.toString() === fresh)?.get(A, 'speed'))?.value)).toBe('80')

    // many reads, so every order of asking the holders comes up
    for (let i = 0; i < 12; i++) {
      const read = await reader.get(A, 'speed', { consistency: 'quorum' })
      expect(text(read.value)).toBe('80')
      expect(read.height).toBe(v2.height)
      expect(read.servedBy).not.toContain(staleId)
      expect(read.servedBy.length).toBeGreaterThanOrEqual(2)
    }
    expect(text((await reader.get(A, 'speed', { consistency: 'leader' })).value)).toBe('80')

    // blocks alike: the newest block is held by the proposer and the fresh backup, not the stale one
    const newest = await a.chains.getBlock(A, v2.height)
    expect((await stale.getBlock(A, v2.height)).block).toBeUndefined()
    for (let i = 0; i < 6; i++) {
      const read = await reader.getBlock(A, v2.height, { consistency: 'quorum' })
      expect(read.block?.hash).toEqual(newest?.hash)
      expect(read.block?.payload?.byteLength).toBeGreaterThan(0)
      expect(Buffer.from(read.block?.payload ?? []).equals(Buffer.from(newest?.payload ?? []))).toBe(true)
      expect(read.servedBy).not.toContain(staleId)
    }
    expect((await reader.getBlock(A, v2.height, { consistency: 'leader' })).block?.hash).toEqual(newest?.hash)
    // retention pruned block 1's payload at the fresh backup: holders still agree on its hash, and the answer has the payload
    const freshNode = nodes.find(n => n.peerId.toString() === fresh) as VGuardNode
    expect((await freshNode.chains.prune(A, [1])).pruned).toEqual([1])
    expect((await freshNode.chains.getBlock(A, 1))?.payload).toBeUndefined()
    for (let i = 0; i < 6; i++) {
      const read = await reader.getBlock(A, 1, { consistency: 'quorum' })
      expect(read.block?.payload?.byteLength, `served by ${read.servedBy.join(', ')}`).toBeGreaterThan(0)
    }
    expect((await reader.getBlock(A, v2.height + 1, { consistency: 'quorum' })).block).toBeUndefined()

    // with the proposer gone, the one fresh and the one stale holder disagree: no quorum, and never the stale value
    await cluster.stopNode(a)
    const failed = await reader.get(A, 'speed', { consistency: 'quorum' }).catch((err: Error) => err)
    expect((failed as Error).name).toBe('QuorumReadError')
    const failedBlock = await reader.getBlock(A, v2.height, { consistency: 'quorum' }).catch((err: Error) => err)
    expect((failedBlock as Error).name).toBe('QuorumReadError')
    const leader = await reader.get(A, 'speed', { consistency: 'leader' }).catch((err: Error) => err)
    expect((leader as Error).name).toBe('ProposerUnreachableError')
  })

  it('a write answered before its replication round ended: a quorum read right after never answers the value it replaced (a probe: a third of such reads did)', async () => {
    const nodes = await vehicles(cluster)
    const a = nodes[0]
    const A = a.peerId.toString()
    await a.put('ctr', utf8.encode('0'))
    expect(a.consensus.holders(A)).toHaveLength(3)
    const readers = nodes.slice(1)
    for (let i = 1; i <= 30; i++) {
      // acknowledged once its booth decided it: its backups take it after the answer
      const { height } = await a.put('ctr', utf8.encode(String(i)), { waitForReplication: false })
      const reader = readers[i % readers.length]
      const read = await reader.get(A, 'ctr', { consistency: 'quorum' }).then(r => ({ value: new TextDecoder().decode(r.value), height: r.height }), (err: Error) => err.name)
      // the value written, or no answer (503): never the one it replaced
      if (typeof read !== 'string') expect(read, `read ${i} by ${reader.peerId.toString()}`).toEqual({ value: String(i), height })
      else expect(read).toBe('QuorumReadError')
      const block = await reader.getBlock(A, height, { consistency: 'quorum' }).then(r => r.block?.header.height, (err: Error) => err.name)
      expect([height, 'QuorumReadError'], `block ${height} read by ${reader.peerId.toString()}`).toContain(block)
    }
  })

  it('backups too full to take a write: a quorum read never answers the value it replaced, nor "no such block" (a probe)', async () => {
    // room for the first small blocks, not for a 200 kB value: the round after it is partial
    const nodes = await vehicles(cluster, { capacity: 100 * 1024 })
    const a = nodes[0]
    const A = a.peerId.toString()
    await a.put('x', utf8.encode('old'))
    for (let i = 0; i < 3; i++) expect((await a.put(`f${i}`, utf8.encode('small'))).replication?.state).toBe('complete')
    const big = await a.put('big', new Uint8Array(200_000).fill(7))
    expect(big.replication?.state).toBe('partial')
    const written = await a.put('x', utf8.encode('new'))
    const behind = a.consensus.holders(A).filter(p => p !== A)
    expect(behind).toHaveLength(2)
    for (const id of behind) expect((await nodes.find(n => n.peerId.toString() === id)?.chains.tip(A))?.height).toBeLessThan(written.height)

    for (const reader of nodes) {
      for (let i = 0; i < 4; i++) {
        const read = await reader.get(A, 'x', { consistency: 'quorum' }).then(r => text(r.value), (err: Error) => err.name)
        expect(['new', 'QuorumReadError'], `${reader.peerId.toString()} read ${String(read)}`).toContain(read)
        const block = await reader.getBlock(A, written.height, { consistency: 'quorum' }).then(r => r.block == null ? 'no such block' : r.block.hash, (err: Error) => err.name)
        if (block !== 'QuorumReadError') expect(block).toEqual(written.hash)
      }
    }
  })

  it.each([
    ['gone', 'the value the chain replaced is never the answer'],
    ['still there', 'their redirects (the vehicle releases them) are followed, not a 503']
  ])('a reader that was away, with backups of an old table that were away too, the vehicle %s: %s (a review)', async (vehicle) => {
    const [a, b1, b2, d1, x, r] = await connectedSwarm(cluster, 6, { kBackups: 2 })
    const A = a.peerId.toString()
    const ids = (...ns: VGuardNode[]): string[] => ns.map(n => n.peerId.toString())
    const first = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'k', value: utf8.encode('old') }, { key: 'gone', value: utf8.encode('was here') }] })
    expect(first.active.sort()).toEqual(ids(b1, b2).sort())
    await waitFor(() => [r, b1, b2].every(n => n.vguarddb.tables.get(A)?.table.epoch === first.epoch), { message: 'r, b1 and b2 know the first table' })
    // r, b1 and b2 go away; the chain moves on to new backups, then its vehicle leaves too
    const away = [r, b1, b2].map(n => n.config.dataDir)
    for (const n of [r, b1, b2]) await cluster.stopNode(n)
    const second = await a.endOfBooth({ participants: ids(d1, x), transactions: [{ key: 'k', value: utf8.encode('new') }, { key: 'gone', delete: true }] })
    expect(second.active.sort()).toEqual(ids(d1, x).sort())
    if (vehicle === 'gone') await cluster.stopNode(a)
    // the second table must not reach the returning reader through gossip: gossipsub answers a peer
    // that joins with messages of its last five 1-s heartbeats (mcache), so they come back after that.
    // Time itself is the condition here: nothing observable says the cache moved on
    await new Promise(resolve => setTimeout(resolve, GOSSIP_CACHE_MS))
    const bootstrap = [d1.multiaddrs[0].toString(), x.multiaddrs[0].toString()]
    const back = await Promise.all(away.map(async dataDir => await cluster.create({ dataDir, kBackups: 2, bootstrap })))
    await Promise.all(back.map(async n => { await n.start() }))
    const present = vehicle === 'gone' ? [...back, d1, x] : [...back, d1, x, a]
    await waitFor(() => fullyConnected(present), { timeout: 30_000, message: 'all connected' })
    const reader = back[0]
    // gone, the vehicle never released b1 and b2: they answer as active backups of the first table;
    // there, it releases them as they connect, and they answer with a redirect to the second
    expect(reader.vguarddb.tables.get(A)?.table.epoch).toBe(first.epoch)

    const read = await reader.get(A, 'k', { consistency: 'quorum' })
    expect(text(read.value)).toBe('new')
    expect(read.height).toBe(second.height)
    expect(read.servedBy.length).toBeGreaterThanOrEqual(2)
    for (const p of read.servedBy) expect(ids(a, d1, x)).toContain(p)
    expect(reader.vguarddb.tables.get(A)?.table.epoch).toBe(second.epoch)
    const deleted = await reader.get(A, 'gone', { consistency: 'quorum' })
    expect(deleted.value).toBeUndefined()
    expect(deleted.height).toBeGreaterThanOrEqual(second.height)
  })

  it('a reader with an old table, the vehicle gone, backups behind that show the newer one: their old value is not the answer (a review)', async () => {
    // room for small blocks only: the round of a 200 kB value keeps the backups, behind it
    const [a, b1, b2, r] = await connectedSwarm(cluster, 4, { kBackups: 2, capacity: 100 * 1024 })
    const A = a.peerId.toString()
    const ids = (...ns: VGuardNode[]): string[] => ns.map(n => n.peerId.toString())
    const first = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'k', value: utf8.encode('old') }] })
    expect(first.complete).toBe(true)
    await waitFor(() => r.vguarddb.tables.get(A)?.table.epoch === first.epoch, { message: 'r knows the first table' })
    const away = r.config.dataDir
    await cluster.stopNode(r)
    const second = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'big', value: new Uint8Array(200_000).fill(7) }, { key: 'k', value: utf8.encode('new') }] })
    expect(second.active.sort()).toEqual(ids(b1, b2).sort())
    await waitFor(() => [b1, b2].every(n => n.vguarddb.tables.get(A)?.table.epoch === second.epoch), { message: 'the backups hold the second table' })
    for (const n of [b1, b2]) expect((await n.chains.tip(A)).height).toBe(first.height)
    await cluster.stopNode(a)
    // as above: the second table must not reach the reader through gossip's cache
    await new Promise(resolve => setTimeout(resolve, GOSSIP_CACHE_MS))
    const reader = await cluster.create({ dataDir: away, kBackups: 2, bootstrap: [b1.multiaddrs[0].toString()] })
    await reader.start()
    await waitFor(() => fullyConnected([reader, b1, b2]), { timeout: 30_000, message: 'the reader is back' })
    // the backups show the second table (on connecting, or in their answers): a chain at height 2 that they are behind
    const read = await reader.get(A, 'k', { consistency: 'quorum' }).then(g => text(g.value), (err: Error) => err.name)
    expect(read).toBe('QuorumReadError')
  })

  it('a reader with an old table, the vehicle gone, backups away since that show their own newer table: it looks the table up before their old value is the answer (a review)', async () => {
    const [a, b1, b2, c1, c2, r] = await connectedSwarm(cluster, 6, { kBackups: 2 })
    const A = a.peerId.toString()
    const ids = (...ns: VGuardNode[]): string[] => ns.map(n => n.peerId.toString())
    const first = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'k', value: utf8.encode('v1') }] })
    await waitFor(() => r.vguarddb.tables.get(A)?.table.epoch === first.epoch, { message: 'r knows the first table' })
    // r goes away; the second booth keeps b1 and b2, which go away after it; the third moves the chain to c1 and c2
    const away = [r, b1, b2].map(n => n.config.dataDir)
    await cluster.stopNode(r)
    const second = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'k', value: utf8.encode('v2') }] })
    expect(second.active.sort()).toEqual(ids(b1, b2).sort())
    await waitFor(() => [b1, b2].every(n => n.vguarddb.tables.get(A)?.table.epoch === second.epoch), { message: 'b1 and b2 hold the second table' })
    await cluster.stopNode(b1)
    await cluster.stopNode(b2)
    const third = await a.endOfBooth({ participants: ids(c1, c2), transactions: [{ key: 'k', value: utf8.encode('v3') }] })
    expect(third.active.sort()).toEqual(ids(c1, c2).sort())
    await waitFor(() => [c1, c2].every(n => n.vguarddb.tables.get(A)?.table.epoch === third.epoch), { message: 'c1 and c2 hold the third table' })
    await cluster.stopNode(a)
    // the third table must not reach the ones coming back through gossip's cache
    await gossipAgedOut([c1, c2])
    const back = await Promise.all(away.map(async (dataDir) => {
      const node = await cluster.create({ dataDir, kBackups: 2, bootstrap: [c1.multiaddrs[0].toString()] })
      await node.start()
      return node
    }))
    await waitFor(() => fullyConnected([...back, c1, c2]), { timeout: 30_000, message: 'r, b1 and b2 are back' })
    const reader = back[0]
    expect(reader.vguarddb.tables.get(A)?.table.epoch).toBe(first.epoch)
    // b1 and b2 agree on v2 and show the second table, newer than r's but only their word: before, r took
    // it for news, skipped the lookup and answered v2
    const read = await reader.get(A, 'k', { consistency: 'quorum' })
    expect(text(read.value)).toBe('v3')
    expect(read.servedBy.sort()).toEqual(ids(c1, c2).sort())
  })

  it('a reader with an old table, the vehicle gone, backups away since that show a newer table of the same height and holders (a round without a write): it still looks the table up', async () => {
    const [a, b1, b2, c1, c2, r] = await connectedSwarm(cluster, 6, { kBackups: 2 })
    const A = a.peerId.toString()
    const ids = (...ns: VGuardNode[]): string[] => ns.map(n => n.peerId.toString())
    const first = await a.endOfBooth({ participants: ids(b1, b2), transactions: [{ key: 'k', value: utf8.encode('v1') }] })
    await waitFor(() => r.vguarddb.tables.get(A)?.table.epoch === first.epoch, { message: 'r knows the first table' })
    const away = [r, b1, b2].map(n => n.config.dataDir)
    await cluster.stopNode(r)
    // a round no write carries (idle-rounds.ts: a backup away a while, back in time) signs a new epoch at the
    // same height, naming the same backups
    const idle = await a.vguarddb.afterCommit(A, ids(b1, b2), { idle: true })
    expect(idle.epoch).toBeGreaterThan(first.epoch)
    expect(idle.height).toBe(first.height)
    expect(idle.active.sort()).toEqual(ids(b1, b2).sort())
    await waitFor(() => [b1, b2].every(n => n.vguarddb.tables.get(A)?.table.epoch === idle.epoch), { message: 'b1 and b2 hold the idle round\'s table' })
    await cluster.stopNode(b1)
    await cluster.stopNode(b2)
    const third = await a.endOfBooth({ participants: ids(c1, c2), transactions: [{ key: 'k', value: utf8.encode('v2') }] })
    expect(third.active.sort()).toEqual(ids(c1, c2).sort())
    await waitFor(() => [c1, c2].every(n => n.vguarddb.tables.get(A)?.table.epoch === third.epoch), { message: 'c1 and c2 hold the third table' })
    await cluster.stopNode(a)
    await gossipAgedOut([c1, c2])
    const back = await Promise.all(away.map(async (dataDir) => {
      const node = await cluster.create({ dataDir, kBackups: 2, bootstrap: [c1.multiaddrs[0].toString()] })
      await node.start()
      return node
    }))
    await waitFor(() => fullyConnected([...back, c1, c2]), { timeout: 30_000, message: 'r, b1 and b2 are back' })
    const reader = back[0]
    expect(reader.vguarddb.tables.get(A)?.table.epoch).toBe(first.epoch)
    // b1 and b2 agree on v1 and show the idle round's table: newer than r's, naming no one r did not ask and
    // no higher height, yet only their word
    const read = await reader.get(A, 'k', { consistency: 'quorum' })
    expect(text(read.value)).toBe('v2')
    expect(read.servedBy.sort()).toEqual(ids(c1, c2).sort())
  })

  it('right after a write another vehicle reads it at quorum: the backups that took it count before anyone shows their table', async () => {
    const first = await cluster.create({ kBackups: 2, boothSize: 3 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all([1, 2].map(async () => await cluster.create({ kBackups: 2, boothSize: 3, bootstrap })))
    await Promise.all(rest.map(async n => { await n.start() }))
    const nodes: VGuardNode[] = [first, ...rest]
    // the first write as soon as they are connected: before gossip's mesh forms, nothing tells b the table
    await waitFor(() => first.peers().length === 2, { timeout: 30_000, message: 'b and c connected to a' })
    const [a, b] = nodes
    for (let i = 0; i < 3; i++) {
      const written = await a.put('speed', utf8.encode(String(i)))
      expect(written.replication?.state).toBe('complete')
      const read = await b.get(a.peerId.toString(), 'speed', { consistency: 'quorum' })
      expect(text(read.value), `write ${i}`).toBe(String(i))
      expect(read.height).toBe(written.height)
    }
  })

  it('one backup claiming a made-up height (a newer value, or no such block) fails no read: what the vehicle and the honest backup agree on is the answer (a review)', async () => {
    const nodes = await vehicles(cluster)
    const a = nodes[0]
    const A = a.peerId.toString()
    await a.put('speed', utf8.encode('50'))
    await a.put('speed', utf8.encode('80'))
    const holders = a.consensus.holders(A)
    expect(holders).toHaveLength(3)
    const liar = nodes.find(n => n.peerId.toString() === holders[1]) as VGuardNode
    const reader = nodes.find(n => !holders.includes(n.peerId.toString())) as VGuardNode
    await waitFor(() => reader.vguarddb.tables.get(A)?.table.active.length === 2, { message: 'the reader knows the backup table' })
    expect(reader.config.readQuorum).toBe(2)
    // every answer about A's keys is a value "written" at a height it claims to hold (consistent: valueHeight <= height),
    // and about its blocks "no such block" at that height
    const honest = liar.vguarddb.read.answer.bind(liar.vguarddb.read)
    let lies = 0
    liar.vguarddb.read.answer = async (req: ReadRequest) => {
      const res = await honest(req)
      if (req.chainId !== A) return res
      if (req.kind === ReadRequest.Kind.KEY) {
        lies++
        return { ...res, status: ReadResponse.Status.OK, value: utf8.encode('forged'), valueHeight: 1_000_000, height: 1_000_000 }
      }
      if (req.kind !== ReadRequest.Kind.BLOCK) return res
      lies++
      return { ...res, status: ReadResponse.Status.NOT_FOUND, blocks: [], height: 1_000_000, message: 'no block' }
    }
    // many reads, so the liar is among the first asked in some (it made 5 of 8 key reads fail)
    for (let i = 0; i < 8; i++) {
      expect(text((await reader.get(A, 'speed', { consistency: 'quorum' })).value)).toBe('80')
      expect((await reader.getBlock(A, 2, { consistency: 'quorum' })).block?.header.height).toBe(2)
    }
    expect(lies).toBeGreaterThan(0)
  })
})
