/**
 * Consensus over HTTP: PUT/DELETE /chains/:id/kv/:key through consensus
 * (own chain, forwarded to another vehicle, shared chain), GET with
 * consistency local|leader|quorum (keys, and blocks by height), /status per
 * chain; bad input answers a typed error and writes nothing; no quorum
 * answers 503.
 */
import { gzipSync } from 'node:zlib'
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { StatusBody } from '../../src/http/routes.ts'
import type { VGuardNode } from '../../src/node/index.ts'

describe('http - consensus routes', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  async function start (n: number): Promise<{ nodes: VGuardNode[], urls: string[] }> {
    const first = await cluster.create({ kBackups: 2, commitTimeout: 2_000, priority: 9 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => await cluster.create({ kBackups: 2, commitTimeout: 2_000, bootstrap })))
    await Promise.all(rest.map(async r => { await r.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: `${n} nodes connected` })
    const urls: string[] = []
    for (const node of nodes) {
      const api = await cluster.http(node)
      urls.push(api.url)
    }
    return { nodes, urls }
  }

  it('writes through consensus, reads at every consistency, forwards, and shows consensus in /status', async () => {
    const { nodes, urls } = await start(4)
    const [a, b] = nodes
    const A = a.peerId.toString()

    const put = await fetch(`${urls[0]}/chains/${A}/kv/gps%2F1`, { method: 'PUT', body: '-27.7,-51.1' })
    expect(put.status).toBe(200)
    const committed = await put.json() as { chainId: string, height: number, hash: string, replication: { state: string, backups: string[] } }
    expect(committed).toMatchObject({ chainId: A, height: 1 })
    expect(committed.hash).toMatch(/^[0-9a-f]{64}$/)
    // what the replication round after the commit reached (pending if it outlasted the 2 s timeout)
    expect(['complete', 'pending']).toContain(committed.replication.state)
    expect(committed.replication.backups).toHaveLength(committed.replication.state === 'complete' ? 2 : 0)
    const block = await a.chains.getBlock(A, 1)
    expect(Buffer.from(block?.hash ?? []).toString('hex')).toBe(committed.hash)

    // binary values go in as bytes and come back as base64
    expect((await fetch(`${urls[0]}/chains/${A}/kv/bin`, { method: 'PUT', body: new Uint8Array([0xff, 0, 0xfe]), headers: { 'content-type': 'application/octet-stream' } })).status).toBe(200)
    // b counts a's backups as holders only once it has a's backup table (gossiped): before, a quorum read there is a 503
    await waitFor(() => b.vguarddb.tables.get(A) != null, { message: "b has a's backup table" })
    for (const consistency of ['local', 'leader', 'quorum']) {
      const res = await fetch(`${urls[1]}/chains/${A}/kv/bin?consistency=${consistency}`)
      if (consistency === 'local') {
        // b holds a copy only if it is one of a's backups
        expect([200, 404]).toContain(res.status)
        continue
      }
      expect(res.status, consistency).toBe(200)
      expect(await res.json()).toMatchObject({ key: 'bin', value: '/wD+', encoding: 'base64', height: 2 })
    }
    expect(await (await fetch(`${urls[0]}/chains/${A}/kv/gps%2F1?consistency=quorum`)).json()).toMatchObject({ key: 'gps/1', value: '-27.7,-51.1', encoding: 'utf8', height: 1 })
    // a block at every consistency: the same block (hash), with its transactions; none past the tip
    for (const consistency of ['leader', 'quorum']) {
      const res = await fetch(`${urls[1]}/chains/${A}/blocks/1?consistency=${consistency}`)
      expect(res.status, consistency).toBe(200)
      const body = await res.json() as { hash: string, servedBy: string[], transactions: unknown[] }
      expect(body).toMatchObject({ chainId: A, height: 1, hash: committed.hash, consistency, pruned: false })
      expect(body.transactions).toEqual([{ op: 'PUT', key: 'gps/1', value: '-27.7,-51.1', encoding: 'utf8' }])
      expect(body.servedBy.length, consistency).toBe(consistency === 'leader' ? 1 : 2)
      const missing = await fetch(`${urls[1]}/chains/${A}/blocks/99?consistency=${consistency}`)
      expect(missing.status, consistency).toBe(404)
      expect(await missing.json()).toMatchObject({ error: 'BlockNotFoundError' })
    }
    expect(await (await fetch(`${urls[0]}/chains/${A}/blocks/2?transactions=false`)).json()).toMatchObject({ chainId: A, height: 2, consistency: 'local', servedBy: [A] })

    // b writes a's chain: forwarded to a, its only proposer
    const forwarded = await fetch(`${urls[1]}/chains/${A}/kv/from-b`, { method: 'PUT', body: 'hi' })
    expect(forwarded.status).toBe(200)
    expect(await forwarded.json()).toMatchObject({ chainId: A, height: 3 })
    expect(new TextDecoder().decode((await a.chains.get(A, 'from-b'))?.value)).toBe('hi')

    // delete, then the key is gone at every consistency
    const del = await fetch(`${urls[0]}/chains/${A}/kv/gps%2F1`, { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect(await del.json()).toMatchObject({ chainId: A, height: 4 })
    for (const consistency of ['local', 'leader', 'quorum']) {
      const res = await fetch(`${urls[0]}/chains/${A}/kv/gps%2F1?consistency=${consistency}`)
      expect(res.status, consistency).toBe(404)
      expect(await res.json()).toMatchObject({ error: 'KeyNotFoundError' })
    }

    // the shared chain, written from b (forwarded to the leader)
    await waitFor(() => b.consensus.driver.shared()?.leader() === A, { timeout: 20_000, message: 'a leads the shared chain' })
    const shared = await fetch(`${urls[1]}/chains/shared/kv/announcement`, { method: 'PUT', body: 'road closed' })
    expect(shared.status).toBe(200)
    const sharedCommit = await shared.json() as { height: number }
    expect(sharedCommit).toMatchObject({ chainId: 'shared' })
    // the shared chain has no backup round: nothing to report
    expect(sharedCommit).not.toHaveProperty('replication')
    // a leader read from c at once: a confirms it still leads, and serves the write
    const leaderRead = await fetch(`${urls[2]}/chains/shared/kv/announcement?consistency=leader`)
    expect(await leaderRead.json()).toMatchObject({ value: 'road closed', consistency: 'leader', servedBy: [A] })
    await waitFor(async () => (await b.chains.tip('shared')).height >= sharedCommit.height, { message: 'b applied the shared block' })
    expect(await (await fetch(`${urls[2]}/chains/shared/kv/announcement?consistency=quorum`)).json()).toMatchObject({ value: 'road closed' })

    const status = await (await fetch(`${urls[0]}/status`)).json() as StatusBody
    const own = status.chains.find(c => c.id === A)
    expect(own?.booth).toHaveLength(4)
    expect(own?.booth?.[0]).toBe(A)
    expect(own?.leader).toBe(A)
    expect(own?.ballot?.proposer).toBe(A)
    expect(own?.decided).toBeGreaterThanOrEqual(4)
    expect(status.shared).toMatchObject({ founder: A, leader: A, conflicts: [] })
    expect(status.shared.candidates).toContain(A)
    expect(status.consensus.map(c => c.kind).sort()).toContain('own')
    const bStatus = await (await fetch(`${urls[1]}/status`)).json() as StatusBody
    expect(bStatus.consensus.find(c => c.chainId === A)).toMatchObject({ kind: 'member', leader: A })
  })

  it('a quorum read with fewer known holders than Nr fails with 503 and says why, never reading fewer', async () => {
    // a keeps no backups; b keeps one; Nr = 2 (booth size 4)
    const a = await cluster.create({ kBackups: 0, commitTimeout: 2_000, priority: 9 })
    await a.start()
    const bootstrap = [a.multiaddrs[0].toString()]
    const [b, c] = await Promise.all([1, 1].map(async (kBackups) => await cluster.create({ kBackups, commitTimeout: 2_000, bootstrap })))
    await Promise.all([b.start(), c.start()])
    await waitFor(() => fullyConnected([a, b, c]), { message: '3 nodes connected' })
    const [urlA, urlB, urlC] = await Promise.all([a, b, c].map(async (n) => { return (await cluster.http(n)).url }))
    const A = a.peerId.toString()
    const B = b.peerId.toString()
    expect(a.config.readQuorum).toBe(2)

    // k = 0: the writer is the only holder
    expect((await fetch(`${urlA}/chains/${A}/kv/k2`, { method: 'PUT', body: 'v' })).status).toBe(200)
    for (const url of [urlA, urlC]) {
      const res = await fetch(`${url}/chains/${A}/kv/k2?consistency=quorum`)
      expect(res.status).toBe(503)
      const body = await res.json() as { error: string, message: string, holders: string[], quorum: number }
      expect(body).toMatchObject({ error: 'QuorumReadError', holders: [A], quorum: 2 })
      // the writer knows its own k; another node only that it knows no table
      expect(body.message).toMatch(url === urlA
        ? /only 1 holder .*Nr = 2: this vehicle runs with k = 0/
        : /only 1 holder .*Nr = 2: no backup table of this chain is known here.*or the vehicle runs with k = 0/)
    }

    // b has one backup: a node that saw its table reads from 2 holders
    expect((await fetch(`${urlB}/chains/${B}/kv/k2`, { method: 'PUT', body: 'w' })).status).toBe(200)
    const backup = b.vguarddb.tables.get(B)?.table.active ?? []
    expect(backup).toHaveLength(1)
    const reader = [a, c].find(n => n.peerId.toString() !== backup[0]) ?? a
    await waitFor(() => reader.vguarddb.tables.get(B) != null, { message: "the reader saw b's backup table" })
    const readerUrl = reader === a ? urlA : urlC
    const ok = await fetch(`${readerUrl}/chains/${B}/kv/k2?consistency=quorum`)
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { servedBy: string[] }).servedBy.sort()).toEqual([B, backup[0]].sort())

    // a node that joins later has not seen b's table (gossip was before it came): it asks its neighbours for it
    const d = await cluster.create({ commitTimeout: 2_000, bootstrap })
    await d.start()
    await waitFor(() => fullyConnected([a, b, c, d]), { message: '4 nodes connected' })
    const apiD = await cluster.http(d)
    expect(d.vguarddb.tables.get(B)).toBeUndefined()
    const late = await fetch(`${apiD.url}/chains/${B}/kv/k2?consistency=quorum`)
    expect(late.status).toBe(200)
    expect(((await late.json()) as { servedBy: string[] }).servedBy.sort()).toEqual([B, backup[0]].sort())
    expect(d.vguarddb.tables.get(B)?.table.active).toEqual(backup)
  })

  it('bad input gets a typed 4xx and writes nothing; without a quorum a write answers 503 and writes nothing', async () => {
    const { nodes, urls } = await start(4)
    const [a, , c, d] = nodes
    const A = a.peerId.toString()
    expect((await fetch(`${urls[0]}/chains/${A}/kv/first`, { method: 'PUT', body: '1' })).status).toBe(200)
    const before = await a.chains.tip(A)

    const cases: Array<[string, RequestInit, number, string]> = [
      ['/chains/not-a-peer/kv/k', { method: 'PUT', body: 'x' }, 400, 'InvalidRequestError'],
      [`/chains/${A}/kv/${'k'.repeat(2_000)}`, { method: 'PUT', body: 'x' }, 400, 'InvalidTransactionError'],
      [`/chains/${A}/kv/k?consistency=eventual`, { method: 'GET' }, 400, 'InvalidRequestError'],
      [`/chains/${A}/kv/big`, { method: 'PUT', body: new Uint8Array(5 * 1024 * 1024) }, 413, 'PayloadTooLargeError'],
      // a compressed body would be committed compressed: refused, not stored as sent
      [`/chains/${A}/kv/zipped`, { method: 'PUT', body: gzipSync('a value'), headers: { 'content-encoding': 'gzip' } }, 415, 'UnsupportedMediaTypeError'],
      [`/chains/${A}/kv/zipped`, { method: 'PUT', body: 'x', headers: { 'content-encoding': 'identity, br' } }, 415, 'UnsupportedMediaTypeError'],
      // reads check the chain id and key like writes do, before asking any peer
      ...['leader', 'quorum'].flatMap((consistency): Array<[string, RequestInit, number, string]> => [
        [`/chains/notapeer/kv/a?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidRequestError'],
        [`/chains/${A}/kv/?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidTransactionError'],
        [`/chains/${A}/kv/${'k'.repeat(2_000)}?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidTransactionError'],
        [`/chains/notapeer/blocks/1?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidRequestError'],
        [`/chains/${A}/blocks/0?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidRequestError'],
        [`/chains/${A}/blocks/x1?consistency=${consistency}`, { method: 'GET' }, 400, 'InvalidRequestError']
      ]),
      [`/chains/${A}/blocks/1?consistency=eventual`, { method: 'GET' }, 400, 'InvalidRequestError'],
      [`/chains/${A}/blocks/${'9'.repeat(20)}`, { method: 'GET' }, 400, 'InvalidRequestError'],
      // an empty height (it was InvalidReadError 'got undefined')
      [`/chains/${A}/blocks/`, { method: 'GET' }, 400, 'InvalidRequestError'],
      ['/chains/not-held/blocks/1', { method: 'GET' }, 404, 'ChainNotFoundError']
    ]
    for (const [path, init, status, error] of cases) {
      const res = await fetch(`${urls[0]}${path}`, init)
      expect(res.status, path.slice(0, 60)).toBe(status)
      expect(await res.json(), path.slice(0, 60)).toMatchObject({ error })
    }
    // a bad key is named as the key in the URL, by writes as by reads (writes said "transaction 0: key must be …")
    for (const [key, message] of [['', 'key: must be a non-empty string'], ['k'.repeat(2_000), 'key: longer than 1024 bytes']]) {
      for (const init of [{ method: 'PUT', body: 'x' }, { method: 'DELETE' }, { method: 'GET' }]) {
        const res = await fetch(`${urls[0]}/chains/${A}/kv/${key}`, init)
        expect(await res.json(), `${init.method} ${key.slice(0, 10)}`).toMatchObject({ error: 'InvalidTransactionError', message })
      }
    }
    expect((await a.chains.tip(A)).height).toBe(before.height)
    // identity is no coding at all
    expect((await fetch(`${urls[0]}/chains/${A}/kv/plain`, { method: 'PUT', body: 'x', headers: { 'content-encoding': 'identity' } })).status).toBe(200)
    expect((await a.chains.get(A, 'plain'))?.value).toEqual(new TextEncoder().encode('x'))
    const afterPlain = await a.chains.tip(A)

    await cluster.stopNode(c)
    await cluster.stopNode(d)
    await waitFor(() => a.peers().length === 1, { message: 'a sees only b' })
    const res = await fetch(`${urls[0]}/chains/${A}/kv/lost`, { method: 'PUT', body: 'x' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'NoQuorumError' })
    expect((await a.chains.tip(A)).height).toBe(afterPlain.height)
    expect(await a.chains.get(A, 'lost')).toBeUndefined()
  })
})
