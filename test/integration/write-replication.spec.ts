/**
 * A write to a vehicle's own chain waits for the replication round after its
 * commit, but never past its timeout: real nodes (libp2p over TCP on
 * 127.0.0.1, LevelDB in temp dirs), backups whose replicate protocol stalls.
 */
import { describe, it, expect, afterEach } from 'vitest'
import type { Stream } from '@libp2p/interface'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { createBlock } from '../../src/chain/index.ts'

const utf8 = new TextEncoder()

/** The backups take replicate streams and never answer, until `restore()`: a round to them hangs. */
async function stallReplication (backups: VGuardNode[]): Promise<{ held: Stream[], restore: () => Promise<void> }> {
  const held: Stream[] = []
  for (const node of backups) {
    await node.vguarddb.replicate.stop()
    await node.libp2p.handle(REPLICATE_PROTOCOL, (stream) => { held.push(stream) })
  }
  return {
    held,
    restore: async () => {
      for (const node of backups) {
        await node.libp2p.unhandle(REPLICATE_PROTOCOL)
        await node.vguarddb.replicate.start()
      }
      for (const stream of held) stream.abort(new Error('stall over'))
    }
  }
}

describe('writes and their replication round', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('says what the round reached; a stalled round answers pending at the timeout, committed; the next round completes', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const [a, b, ...others] = nodes
    const A = a.peerId.toString()
    const otherIds = nodes.slice(1).map(n => n.peerId.toString())

    const first = await a.put('gps/1', utf8.encode('-27.7,-51.1'))
    expect(first).toMatchObject({ chainId: A, height: 1, replication: { state: 'complete' } })
    expect(first.replication?.backups).toHaveLength(2)
    for (const backup of first.replication?.backups ?? []) expect(otherIds).toContain(backup)
    // the backups it names hold the block
    for (const node of nodes.filter(n => first.replication?.backups.includes(n.peerId.toString()))) {
      expect((await node.chains.tip(A)).height).toBe(1)
    }

    // a write that does not wait hears nothing of the round
    const quick = await a.put('gps/2', utf8.encode('-27.8,-51.2'), { waitForReplication: false })
    expect(quick).toMatchObject({ height: 2 })
    expect(quick.replication).toBeUndefined()
    await waitFor(() => a.vguarddb.transfersInFlight === 0 && a.vguarddb.tables.get(A)?.table.height === 2, { message: 'the round after gps/2 ended' })

    const stall = await stallReplication([b, ...others])
    const slow = await a.put('gps/3', utf8.encode('-27.9,-51.3'), { timeout: 2_000 })
    expect(slow).toMatchObject({ chainId: A, height: 3, replication: { state: 'pending', backups: [] } })
    // answered while its round still hung on the stalled backups: the deadline counts from the write, so on a
    // loaded machine the round (after the commit and its synced transfer note) reached them only after the answer
    await waitFor(() => stall.held.length > 0, { message: 'the round after gps/3 reached a stalled backup' })
    expect(a.vguarddb.tables.get(A)?.table.height).toBe(2)
    expect((await a.chains.tip(A)).height).toBe(3)

    // forwarded through /vguard/write: the proposer's answer carries the state
    const forwarded = await b.put('from-b', utf8.encode('hi'), { chainId: A, timeout: 2_000 })
    expect(forwarded).toMatchObject({ chainId: A, height: 4, replication: { state: 'pending', backups: [] } })

    await stall.restore()
    const after = await a.put('gps/5', utf8.encode('-28.0,-51.4'))
    expect(after).toMatchObject({ height: 5, replication: { state: 'complete' } })
    for (const node of nodes.filter(n => after.replication?.backups.includes(n.peerId.toString()))) {
      expect((await node.chains.tip(A)).height).toBe(5)
    }
    // and forwarded, a complete round names its backups too
    const forwardedAfter = await b.put('from-b', utf8.encode('again'), { chainId: A })
    expect(forwardedAfter).toMatchObject({ height: 6, replication: { state: 'complete' } })
    expect(forwardedAfter.replication?.backups).toHaveLength(2)

    // over HTTP, sent to the proposer or forwarded: ?waitForReplication=false answers at the commit,
    // nothing of the round (one that waits says `complete`, as above); a value not true or false is refused
    const apis = [await cluster.http(a), await cluster.http(b)]
    for (const [i, api] of apis.entries()) {
      for (const method of ['PUT', 'DELETE']) {
        const res = await fetch(`${api.url}/chains/${A}/kv/quick?waitForReplication=false`, { method, body: method === 'PUT' ? 'now' : undefined })
        expect(res.status).toBe(200)
        const body = await res.json() as Record<string, unknown>
        expect(body, `${method} through ${i === 0 ? 'a' : 'b'}`).toMatchObject({ chainId: A })
        expect(body).not.toHaveProperty('replication')
      }
    }
    const waited = await (await fetch(`${apis[1].url}/chains/${A}/kv/quick?waitForReplication=true`, { method: 'PUT', body: 'again' })).json() as Record<string, unknown>
    expect(waited).toMatchObject({ height: 11, replication: { state: 'complete' } })
    const bad = await fetch(`${apis[0].url}/chains/${A}/kv/quick?waitForReplication=no`, { method: 'PUT', body: 'x' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'InvalidRequestError', message: 'waitForReplication: true or false, got "no"' })
    expect((await a.chains.tip(A)).height).toBe(11)
  })

  it('a k no booth can meet (kBackups 2, booth of 2): each round is partial and says why, for a library caller too (the CLI only warned at start)', async () => {
    const nodes = await connectedSwarm(cluster, 3, { kBackups: 2, boothSize: 2 })
    const written = await nodes[0].put('k', utf8.encode('v'), { timeout: 30_000 })
    expect(written.replication).toMatchObject({
      state: 'partial',
      backups: [expect.any(String)],
      problem: '1 fresh copy: no other candidate among the booth and the previous backups (2 backups cannot come from booths of 2 (the proposer and 1 other): ' +
        'rounds after our own commits stay partial; only VGuard\'s endOfBooth participants can make up more)'
    })
  })

  it('a stopping proposer answers a write waiting for its round as committed, pending', async () => {
    const nodes = await connectedSwarm(cluster, 4, { kBackups: 2 })
    const [a, ...others] = nodes
    await a.put('warmup', utf8.encode('x'))
    const stall = await stallReplication(others)
    const waiting = a.put('gps/1', utf8.encode('-27.7,-51.1'), { timeout: 60_000 })
    await waitFor(() => stall.held.length > 0, { message: 'the round reached a stalled backup' })
    await a.stop()
    expect(await waiting).toMatchObject({ height: 2, replication: { state: 'pending' } })
    await stall.restore()
  })

  it('a commit made while a round runs is answered by that round, whose transfers topped up to its block, not by the next one', async () => {
    const [a, b, c] = await connectedSwarm(cluster, 3, { kBackups: 2 })
    const chainId = a.peerId.toString()
    const backups = [b, c].map(n => n.peerId.toString())
    // 24 blocks of 1 MiB: three times the 8 MiB a transfer keeps unacknowledged, so it is still sending long after its first acknowledgement
    for (let i = 0; i < 24; i++) {
      const transactions = Array.from({ length: 256 }, (_, j) => ({ key: `big/${i}/${j}`, value: new Uint8Array(4096).fill(j) }))
      await a.chains.append(createBlock({ prev: await a.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions }), { sync: false })
    }
    const acknowledged = Promise.withResolvers<void>()
    const onProgress = (): void => { acknowledged.resolve() }
    a.addEventListener('replicate:progress', onProgress)
    const running = a.vguarddb.afterCommit(chainId, backups)
    await acknowledged.promise
    a.removeEventListener('replicate:progress', onProgress)
    // unsynced: no fsync of a loaded machine stands between it and the transfers' last pass
    await a.chains.append(createBlock({ prev: await a.chains.tip(chainId), proposer: chainId, timestamp: Date.now(), transactions: [{ key: 'gps/1', value: utf8.encode('-27.7,-51.1') }] }), { sync: false })
    const height = (await a.chains.tip(chainId)).height
    const answer = await a.vguarddb.afterCommit(chainId, backups, { covering: height })
    const first = await running
    expect(first).toMatchObject({ complete: true, height: 25 })
    expect(answer.epoch).toBe(first.epoch)
    for (const backup of [b, c]) expect((await backup.chains.tip(chainId)).height).toBeGreaterThanOrEqual(height)
  })
})
