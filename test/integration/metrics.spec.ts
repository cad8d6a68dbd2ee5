/**
 * GET /metrics: each node's Prometheus figures follow what it really did —
 * commits on its own chain and the shared chain, writes that failed,
 * replication to its backups, the copies its backups hold — next to the
 * process's own metrics; several nodes in one process keep separate figures.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { sample, scrape } from '../utils/prometheus.ts'
import type { StatusBody } from '../../src/http/routes.ts'
import type { PeerRejectedDetail, VGuardNode } from '../../src/node/index.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { startedLibp2p } from '../utils/libp2p.ts'

describe('http - metrics', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  async function swarm (n: number): Promise<{ nodes: VGuardNode[], urls: string[] }> {
    const first = await cluster.create({ kBackups: 1, boothSize: 3, commitTimeout: 3_000, priority: 9 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => await cluster.create({ kBackups: 1, boothSize: 3, commitTimeout: 3_000, bootstrap })))
    await Promise.all(rest.map(async r => { await r.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: `${n} nodes connected` })
    const urls = await Promise.all(nodes.map(async node => (await cluster.http(node)).url))
    return { nodes, urls }
  }

  it('counts commits, failed writes and replication, and reports the chains each node holds', async () => {
    const { nodes, urls } = await swarm(3)
    const [a] = nodes
    const A = a.peerId.toString()

    const before = await scrape(urls[0])
    expect(sample(before, 'vguard_up')).toBe(1)
    expect(sample(before, 'vguard_writes_total', { outcome: 'ok' })).toBe(0)
    expect(sample(before, 'vguard_blocks_committed_total', { role: 'own' })).toBe(0)
    expect(sample(before, 'vguard_peers_connected')).toBe(2)
    for (const reason of ['outside', 'malformed-view', 'view-from-outside', 'invalid-table']) expect(sample(before, 'vguard_gossip_dropped_total', { reason })).toBe(0)

    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${urls[0]}/chains/${A}/kv/gps%2F${i}`, { method: 'PUT', body: `fix ${i}` })
      expect(res.status).toBe(200)
    }
    // a write the chain refuses: counted by its error, nothing committed
    await expect(a.put('', new Uint8Array(1))).rejects.toThrow(/key/)

    const after = await scrape(urls[0])
    expect(sample(after, 'vguard_chain_height', { chain: A, role: 'own' })).toBe(5)
    expect(sample(after, 'vguard_blocks_committed_total', { role: 'own' })).toBe(5)
    expect(sample(after, 'vguard_transactions_committed_total', { role: 'own' })).toBe(5)
    expect(sample(after, 'vguard_writes_total', { outcome: 'ok' })).toBe(5)
    expect(sample(after, 'vguard_writes_total', { outcome: 'InvalidTransactionError' })).toBe(1)
    expect(sample(after, 'vguard_write_duration_seconds_count', { outcome: 'ok' })).toBe(5)
    expect(sample(after, 'vguard_write_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0)
    // the buckets reach the longest timeout a write may be given (120 s), not only the default
    expect(sample(after, 'vguard_write_duration_seconds_bucket', { outcome: 'ok', le: '120' })).toBe(5)
    expect(sample(after, 'vguard_consensus_decided_slot', { role: 'own' })).toBeGreaterThanOrEqual(5)
    // the process's metrics come after the node's
    expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0)
    // gossipsub's heartbeats are counted as they run
    const beats = sample(before, 'vguard_gossip_heartbeats_total') ?? Infinity
    expect(beats).toBeGreaterThanOrEqual(0)
    await waitFor(async () => (sample(await scrape(urls[0]), 'vguard_gossip_heartbeats_total') ?? 0) > beats, { message: 'a heartbeat counted' })

    // each write waits for replication: by now the backup holds all five blocks, and a sent them
    const status = await (await fetch(`${urls[0]}/status`)).json() as StatusBody
    const own = status.chains.find(c => c.id === A)
    const backup = own?.backupTable?.active[0]
    expect(backup, 'a has a backup').toBeDefined()
    expect(sample(after, 'vguard_replication_transfers_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1)
    // the blocks' bytes on the wire (the store's count adds its own index entries)
    expect(sample(after, 'vguard_replicated_bytes_total')).toBeGreaterThan(5 * 'fix 0'.length)
    expect(sample(after, 'vguard_backup_tables_total')).toBeGreaterThanOrEqual(1)

    const b = nodes.findIndex(n => n.peerId.toString() === backup)
    const held = await scrape(urls[b])
    expect(sample(held, 'vguard_chain_height', { chain: A, role: 'backup' })).toBe(5)
    expect(sample(held, 'vguard_chain_bytes', { chain: A, role: 'backup' })).toBe(own?.bytes)
    expect(sample(held, 'vguard_storage_held_for_others_bytes')).toBeGreaterThanOrEqual(own?.bytes ?? Infinity)
    // its own figures are its own: it wrote nothing
    expect(sample(held, 'vguard_writes_total', { outcome: 'ok' })).toBe(0)
    expect(sample(held, 'vguard_blocks_committed_total', { role: 'own' })).toBe(0)
    // a's table: held with the copy on the backup, a hint on the member that holds no copy, nothing kept on a
    expect([sample(held, 'vguard_backup_tables_kept', { kind: 'hint' }), sample(held, 'vguard_backup_tables_kept', { kind: 'pointer' })]).toEqual([0, 0])
    const other = urls[3 - b]
    await waitFor(async () => sample(await scrape(other), 'vguard_backup_tables_kept', { kind: 'hint' }) === 1, { message: 'the member without a copy keeps a\'s table as a hint' })
    expect(sample(await scrape(other), 'vguard_backup_tables_kept', { kind: 'pointer' })).toBe(0)
    expect(sample(await scrape(urls[0]), 'vguard_backup_tables_kept', { kind: 'hint' })).toBe(0)
  })

  it('counts the shared chain on every node that applies it, and tells which node leads it', async () => {
    const { nodes, urls } = await swarm(3)
    const A = nodes[0].peerId.toString()
    await waitFor(() => nodes.every(n => n.consensus.driver.shared()?.leader() === A), { timeout: 20_000, message: 'a leads the shared chain everywhere' })
    const before = await Promise.all(urls.map(scrape))

    // written from the second vehicle, forwarded to the leader
    const res = await fetch(`${urls[1]}/chains/shared/kv/notice`, { method: 'PUT', body: 'road closed' })
    expect(res.status).toBe(200)
    const { height } = await res.json() as { height: number }

    expect(sample(await scrape(urls[1]), 'vguard_writes_total', { outcome: 'ok' })).toBe(1)
    for (let i = 0; i < nodes.length; i++) {
      await waitFor(async () => sample(await scrape(urls[i]), 'vguard_chain_height', { chain: 'shared', role: 'shared' }) === height, { message: `node ${i} applied the shared block` })
      const now = await scrape(urls[i])
      const committed = (sample(now, 'vguard_blocks_committed_total', { role: 'shared' }) ?? 0) - (sample(before[i], 'vguard_blocks_committed_total', { role: 'shared' }) ?? 0)
      expect(committed, `node ${i}`).toBeGreaterThanOrEqual(1)
      expect(sample(now, 'vguard_shared_leader'), `node ${i}`).toBe(i === 0 ? 1 : 0)
      expect(sample(now, 'vguard_consensus_replicas', { kind: 'shared' })).toBe(1)
      // the decided write is held in the log's memory until compacted: counted there and in /status
      const held = sample(now, 'vguard_consensus_log_value_bytes', { kind: 'shared' })
      expect(held, `node ${i}`).toBeGreaterThan('road closed'.length)
      expect(held).toBe(nodes[i].consensus.status().find(r => r.kind === 'shared')?.valueBytes)
      // what booth members hold undecided, node-wide (--member-undecided-bytes bounds it): as /status counts it
      const undecided = nodes[i].consensus.status().filter(r => r.kind === 'member').reduce((sum, r) => sum + r.undecidedBytes, 0)
      expect(sample(now, 'vguard_consensus_undecided_bytes', { kind: 'member' })).toBe(undecided)
    }
  })

  // a table adopted from a read's redirect or lookup, or with a release, was kept without a backup:table event:
  // the counter said it counts those (gossip, redirect, release) and saw only gossip's (a probe, 2026-12-03)
  it('counts and tells a table adopted from a read, and one adopted with a release', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(async () => await cluster.create({ kBackups: 1 })))
    await a.start()
    const bootstrap = [a.multiaddrs[0].toString()]
    await Promise.all([b, c].map(async n => { await n.start(); await n.libp2p.dial(a.multiaddrs[0]) }))
    await waitFor(() => fullyConnected([a, b, c]), { timeout: 30_000, message: '3 nodes connected' })
    const A = a.peerId.toString()
    const heard = (node: VGuardNode): Array<{ chainId: string, epoch: number }> => {
      const tables: Array<{ chainId: string, epoch: number }> = []
      node.addEventListener('backup:table', (e) => { tables.push({ chainId: e.detail.chainId, epoch: e.detail.epoch }) })
      return tables
    }
    // b backs a's chain at epoch 1, then drives away; epoch 2 names c, b's release waits for it
    const first = await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: new Uint8Array([1]) }] })
    const bDir = b.config.dataDir
    await cluster.stopNode(b)
    const second = await a.endOfBooth({ participants: [c.peerId.toString()], transactions: [{ key: 'k', value: new Uint8Array([2]) }] })
    expect([first.epoch, second.obsolete]).toEqual([1, [b.peerId.toString()]])

    // a reader that joined after the gossip: its read finds the table (lookup, redirect)
    const reader = await cluster.create({ kBackups: 1, bootstrap })
    const readerTables = heard(reader)
    await reader.start()
    await waitFor(() => reader.peers().length === 2, { timeout: 30_000, message: 'the reader connected' })
    expect((await reader.vguarddb.readKey(A, 'k')).height).toBe(2)
    expect(reader.vguarddb.tables.get(A)?.table.epoch).toBe(2)
    expect(readerTables).toContainEqual({ chainId: A, epoch: 2 })
    expect(sample(await reader.metrics.metrics(), 'vguard_backup_tables_total')).toBe(readerTables.length)

    // b comes back: the release it was owed brings it the table of epoch 2
    const b2 = await cluster.create({ kBackups: 1, dataDir: bDir, bootstrap })
    const bTables = heard(b2)
    await b2.start()
    // counted once the release is done (backup:released follows the delete)
    await waitFor(async () => sample(await b2.metrics.metrics(), 'vguard_backup_releases_total') === 1, { timeout: 30_000, message: 'b released its copy' })
    expect(await b2.chains.info(A)).toBeUndefined()
    expect(b2.vguarddb.tables.get(A)?.table.epoch).toBe(2)
    expect(bTables).toContainEqual({ chainId: A, epoch: 2 })
    expect(sample(await b2.metrics.metrics(), 'vguard_backup_tables_total')).toBe(bTables.length)
  })

  // the metric counted peer:rejected events, which are said 10 a minute at most (peer ids cost
  // nothing to make): past that, refusals went uncounted (a review)
  it('counts every peer refused, also past the 10 a minute that are said', async () => {
    const a = await cluster.create({ network: 'fleet' })
    const said: PeerRejectedDetail[] = []
    a.addEventListener('peer:rejected', (e) => { said.push(e.detail) })
    await a.start()
    const outsiders: VGuardLibp2p[] = []
    try {
      for (let i = 0; i < 15; i++) {
        const o = await startedLibp2p('elsewhere')
        outsiders.push(o)
        await o.dial(a.multiaddrs[0])
      }
      const counted = async (): Promise<number | undefined> => sample(await a.metrics.metrics(), 'vguard_peers_rejected_total', { code: 'other-network' })
      await waitFor(async () => await counted() === 15, { timeout: 15_000, message: 'all 15 refusals counted', state: counted })
      expect(said.length).toBe(10)
    } finally {
      await Promise.all(outsiders.map(async o => { await o.stop() }))
    }
  })

  it('counts a write that found no quorum, and nothing was committed', async () => {
    const { nodes, urls } = await swarm(3)
    const [a, b, c] = nodes
    const A = a.peerId.toString()
    expect((await fetch(`${urls[0]}/chains/${A}/kv/first`, { method: 'PUT', body: 'x' })).status).toBe(200)
    await cluster.stopNode(b)
    await cluster.stopNode(c)
    const res = await fetch(`${urls[0]}/chains/${A}/kv/second`, { method: 'PUT', body: 'y' })
    expect(res.status).toBe(503)
    const { error } = await res.json() as { error: string }
    const text = await scrape(urls[0])
    expect(sample(text, 'vguard_writes_total', { outcome: error })).toBe(1)
    expect(sample(text, 'vguard_write_duration_seconds_count', { outcome: error })).toBe(1)
    expect(sample(text, 'vguard_writes_total', { outcome: 'ok' })).toBe(1)
    expect(sample(text, 'vguard_chain_height', { chain: A, role: 'own' })).toBe(1)
    expect(sample(text, 'vguard_peers_connected')).toBe(0)
  })
})
