/**
 * /vguard/write/1.0.0 with a write id: a writer that sends the same write
 * again (its answer was lost) gets the first attempt's outcome, and the
 * transactions are committed once. Real nodes over TCP on 127.0.0.1.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { encodeWrite } from '../../src/node/batch.ts'
import { blocksWriting } from '../utils/chains.ts'
import { WriteResponse } from '../../src/protocols/write/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

describe('write protocol - retries with a write id', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('commits a write sent again with the same id once, answering every attempt with its block', async () => {
    const [a, b] = await connectedSwarm(cluster, 3, { kBackups: 0 })
    const chainId = a.peerId.toString()
    const forward = async (key: string, writeId?: Uint8Array): Promise<WriteResponse> =>
      await b.consensus.writes.forward(a.peerId, chainId, encodeWrite([{ key, value: utf8.encode(key) }]).payload, { timeout: 20_000, writeId, waitForReplication: false })

    // two attempts in flight at once, then a third after the commit
    const id = randomBytes(16)
    const [first, second] = await Promise.all([forward('once', id), forward('once', id)])
    const third = await forward('once', id)
    for (const r of [first, second, third]) expect(r.status).toBe(WriteResponse.Status.OK)
    expect(second.height).toBe(first.height)
    expect(third.height).toBe(first.height)
    expect(third.hash).toEqual(first.hash)
    expect(await blocksWriting(a.chains, chainId, 'once')).toBe(1)

    // without an id (or with another one) each attempt is a write of its own
    await forward('twice')
    await forward('twice')
    expect(await blocksWriting(a.chains, chainId, 'twice')).toBe(2)
    await forward('other', randomBytes(16))
    await forward('other', randomBytes(16))
    expect(await blocksWriting(a.chains, chainId, 'other')).toBe(2)

    // a write id past the limit, or a malformed idempotency key, is refused, and nothing is written
    const long = await forward('long', randomBytes(33))
    expect(long.status).toBe(WriteResponse.Status.INVALID)
    for (const idempotencyKey of ['k'.repeat(129), 'new\nline']) {
      const bad = await b.consensus.writes.forward(a.peerId, chainId, encodeWrite([{ key: 'long', value: utf8.encode('x') }]).payload, { timeout: 20_000, idempotencyKey, waitForReplication: false })
      expect(bad.status).toBe(WriteResponse.Status.INVALID)
      expect(bad.message).toMatch(/printable ASCII/)
    }
    expect(await blocksWriting(a.chains, chainId, 'long')).toBe(0)
  })

  it('a retry that reaches the shared chain\'s next leader gets the first commit: every replica learned the write id from the log', async () => {
    const first = await cluster.create({ priority: 9, kBackups: 0 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all([5, 0, 0].map(async priority => await cluster.create({ bootstrap, priority, kBackups: 0 })))
    await Promise.all(rest.map(async n => { await n.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '4 nodes connected' })
    const leaderOf = (n: VGuardNode): string | undefined => n.consensus.driver.shared()?.leader()
    await waitFor(() => nodes.every(n => leaderOf(n) === first.peerId.toString()), { timeout: 30_000, message: 'every node follows the priority-9 leader' })
    const writer = rest[2]
    const forward = async (to: VGuardNode, writeId: Uint8Array): Promise<WriteResponse> =>
      await writer.consensus.writes.forward(to.peerId, 'shared', encodeWrite([{ key: 'moved', value: utf8.encode('once') }]).payload, { timeout: 20_000, writeId, waitForReplication: false })

    const id = randomBytes(16)
    const before = await forward(first, id)
    expect(before.status).toBe(WriteResponse.Status.OK)
    // the leader goes, and the writer never heard its answer: it retries at the next leader
    await cluster.stopNode(first)
    const next = rest[0]
    await waitFor(() => rest.every(n => leaderOf(n) === next.peerId.toString()), { timeout: 30_000, message: 'the priority-5 node leads' })
    const after = await forward(next, id)
    expect(after.status).toBe(WriteResponse.Status.OK)
    expect(after.height).toBe(before.height)
    expect(after.hash).toEqual(before.hash)
    expect(await blocksWriting(next.chains, 'shared', 'moved')).toBe(1)
    // a new id is a new write
    expect((await forward(next, randomBytes(16))).status).toBe(WriteResponse.Status.OK)
    expect(await blocksWriting(next.chains, 'shared', 'moved')).toBe(2)
  })

  it('a retry that reaches the vehicle after it restarted gets the first commit: applied write ids are kept on disk', async () => {
    const dir = await cluster.tempDir()
    const a = await cluster.create({ dataDir: dir, kBackups: 0 })
    await a.start()
    const others = await Promise.all([0, 1].map(async () => await cluster.create({ bootstrap: [a.multiaddrs[0].toString()], kBackups: 0 })))
    await Promise.all(others.map(async n => { await n.start() }))
    await waitFor(() => fullyConnected([a, ...others]), { timeout: 30_000, message: '3 nodes connected' })
    const [b] = others
    const chainId = a.peerId.toString()
    const forward = async (to: VGuardNode, writeId: Uint8Array): Promise<WriteResponse> =>
      await b.consensus.writes.forward(to.peerId, chainId, encodeWrite([{ key: 'kept', value: utf8.encode('once') }]).payload, { timeout: 20_000, writeId, waitForReplication: false })

    const id = randomBytes(16)
    const before = await forward(a, id)
    expect(before.status).toBe(WriteResponse.Status.OK)
    // the vehicle restarts from its data dir before the writer heard back
    await cluster.stopNode(a)
    const again = await cluster.create({ dataDir: dir, kBackups: 0, bootstrap: [b.multiaddrs[0].toString()] })
    await again.start()
    expect(again.peerId.toString()).toBe(chainId)
    await waitFor(() => fullyConnected([again, ...others]), { timeout: 30_000, message: 'the restarted vehicle reconnected' })
    const after = await forward(again, id)
    expect(after.status).toBe(WriteResponse.Status.OK)
    expect(after.height).toBe(before.height)
    expect(after.hash).toEqual(before.hash)
    expect(await blocksWriting(again.chains, chainId, 'kept')).toBe(1)
  })
})
