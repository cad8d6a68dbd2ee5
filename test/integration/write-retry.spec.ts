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
import { transactionsOf } from '../../src/chain/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

/**
 * The members stop hearing `chainId` while `on` (its messages vanish, as on a
 * LAN that drops packets; the connections stay): its next block is proposed
 * and not decided.
 */
function deafen (members: VGuardNode[], chainId: string): { on: boolean } {
  const deaf = { on: true }
  for (const member of members) {
    const transport = member.consensus.driver.transport
    const onMessage = transport.onMessage
    transport.onMessage = (from, cm) => { if (!(deaf.on && cm.chainId === chainId)) onMessage(from, cm) }
  }
  return deaf
}

/** Transactions of `chainId` that write `key` (two copies of one write may share a block). */
async function transactionsWriting (node: VGuardNode, chainId: string, key: string): Promise<number> {
  let n = 0
  for await (const block of node.chains.blocks(chainId)) n += transactionsOf(block).filter(tx => tx.key === key).length
  return n
}

describe('write protocol - retries with a write id', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  /** Three nodes on one shared chain led by the priority-9 one (`first`, id `a`), with a block written. */
  async function sharedTrio (): Promise<{ first: VGuardNode, rest: VGuardNode[], nodes: VGuardNode[], a: string }> {
    const first = await cluster.create({ priority: 9, kBackups: 0, commitTimeout: 1_500 })
    await first.start()
    const bootstrap = [first.multiaddrs[0].toString()]
    const rest = await Promise.all([5, 0].map(async priority => await cluster.create({ bootstrap, priority, kBackups: 0, commitTimeout: 1_500 })))
    await Promise.all(rest.map(async n => { await n.start() }))
    const nodes = [first, ...rest]
    await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: '3 nodes connected' })
    const a = first.peerId.toString()
    await waitFor(() => nodes.every(n => n.consensus.driver.shared()?.leader() === a), { timeout: 30_000, message: 'every node follows the priority-9 leader' })
    await first.put('warm', utf8.encode('up'), { chainId: 'shared' })
    return { first, rest, nodes, a }
  }

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

  it('a keyed retry after a commit timeout waits for the first attempt still in flight, and gets its block: the write is not proposed twice', async () => {
    const [a, b, c] = await connectedSwarm(cluster, 3, { kBackups: 0, commitTimeout: 1_500 })
    const chainId = a.peerId.toString()
    await a.put('warm', utf8.encode('up'))
    // the members stop hearing a's chain (its accepts vanish, as on a LAN that drops
    // packets; the connections stay): a's next block is proposed and not decided
    const deaf = deafen([b, c], chainId)
    const value = utf8.encode('once')
    const options = { idempotencyKey: 'in-flight-1', waitForReplication: false }
    await expect(a.put('once', value, options)).rejects.toMatchObject({ name: 'CommitTimeoutError' })
    // sent again while the first is still in flight: it waits for it, and proposes nothing
    await expect(a.put('once', value, { ...options, timeout: 800 })).rejects.toMatchObject({ name: 'CommitTimeoutError', message: /earlier attempt/ })
    expect(a.consensus.status().find(r => r.chainId === chainId)?.outstanding).toBe(1)

    // the members hear again: a's retransmitted accepts decide the first attempt, and a retry gets its block
    deaf.on = false
    const retry = await a.put('once', value, { ...options, timeout: 20_000 })
    expect(await blocksWriting(a.chains, chainId, 'once')).toBe(1)
    const block = await a.chains.getBlock(chainId, retry.height)
    expect(block?.hash).toEqual(retry.hash)
    // and the chain goes on
    const next = await a.put('after', utf8.encode('x'), { timeout: 20_000 })
    expect(next.height).toBe(retry.height + 1)
  })

  it('a write proposed and not decided in time is told it may still commit, and what a retry does: keyed or not, forwarded, over HTTP', async () => {
    const [a, b, c] = await connectedSwarm(cluster, 3, { kBackups: 0, commitTimeout: 1_500 })
    const chainId = a.peerId.toString()
    await a.put('warm', utf8.encode('up'))
    const api = await cluster.http(a)
    const deaf = deafen([b, c], chainId)
    deaf.on = false
    /** `write` while the members do not hear a's chain (its block proposed, not decided), its error; then they hear it decided. */
    const undecided = async (write: () => Promise<unknown>): Promise<unknown> => {
      deaf.on = true
      const outcome = await write().then(() => 'resolved', (err: unknown) => err)
      deaf.on = false
      await waitFor(() => a.consensus.status().find(r => r.chainId === chainId)?.outstanding === 0, { timeout: 30_000, message: 'the proposal decided once heard' })
      return outcome
    }
    const unkeyedAdvice = /it may still commit, whole or not at all \(a retry may commit it twice: an idempotency key makes a retry safe\)$/
    const keyedAdvice = /it may still commit, whole or not at all \(a retry with the same idempotency key is answered, not committed again\)$/
    expect(await undecided(async () => await a.put('u', utf8.encode('v'), { waitForReplication: false }))).toMatchObject({
      name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(new RegExp(`^write to ${chainId} proposed but not decided in time .*${unkeyedAdvice.source}`))
    })
    expect(await undecided(async () => await a.put('k', utf8.encode('v'), { waitForReplication: false, idempotencyKey: 'undecided-1' }))).toMatchObject({
      name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(keyedAdvice)
    })
    // forwarded: the vehicle's words, which know whether the write was keyed
    expect(await undecided(async () => await b.put('f', utf8.encode('v'), { chainId, timeout: 3_000, waitForReplication: false, idempotencyKey: 'undecided-2' }))).toMatchObject({
      name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(new RegExp(`^${chainId}: write to ${chainId} proposed but not decided in time .*${keyedAdvice.source}`))
    })
    expect(await undecided(async () => await b.put('g', utf8.encode('v'), { chainId, timeout: 3_000, waitForReplication: false }))).toMatchObject({
      name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unkeyedAdvice)
    })
    let body: unknown
    expect(await undecided(async () => {
      const res = await fetch(`${api.url}/chains/${chainId}/kv/h?waitForReplication=false`, { method: 'PUT', body: 'v' })
      body = await res.json()
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
    })).toMatchObject({ message: 'HTTP 503' })
    expect(body).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unkeyedAdvice) })
  })

  it('a shared-chain leader that leads again forgets a proposal the leader between chose nowhere: a keyed retry of it commits', async () => {
    const { first, rest, nodes, a } = await sharedTrio()
    const leaderOf = (n: VGuardNode): string | undefined => n.consensus.driver.shared()?.leader()

    // the leader and the others stop hearing each other on the shared chain (the connections stay)
    const cut = { on: true }
    for (const n of nodes) {
      const transport = n.consensus.driver.transport
      const onMessage = transport.onMessage
      const self = n.peerId.toString()
      transport.onMessage = (from, cm) => { if (!(cut.on && cm.chainId === 'shared' && (from === a) !== (self === a))) onMessage(from, cm) }
    }
    // its write is accepted by itself alone, and times out
    const value = utf8.encode('lost')
    const options = { chainId: 'shared', idempotencyKey: 'lost-1', waitForReplication: false }
    await expect(first.put('lost', value, options)).rejects.toMatchObject({ name: 'CommitTimeoutError' })
    // the other two elect the priority-5 node, which fills that slot with a write of its own
    const b = rest[0].peerId.toString()
    await waitFor(() => rest.every(n => leaderOf(n) === b), { timeout: 30_000, message: 'the other two follow the priority-5 node' })
    await rest[0].put('between', utf8.encode('x'), { chainId: 'shared', timeout: 10_000 })
    // a retry on the node cut off, once it no longer leads: its first attempt is still proposed there,
    // undecided, and a next leader's phase 1 could choose it; not "nothing written" (a probe's retry
    // heard NoQuorumError without mayHaveCommitted, and the write committed later)
    await waitFor(() => first.consensus.driver.shared()?.isLeader() !== true, { timeout: 30_000, message: 'the cut-off leader steps down' })
    await expect(first.put('lost', value, { ...options, timeout: 1_000 })).rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: /the write timed out after 1000 ms: a shared-chain leader took it/ })

    // back together: the priority-9 node takes over again (Bully), its old proposal is chosen nowhere
    cut.on = false
    await waitFor(() => nodes.every(n => leaderOf(n) === a) && first.consensus.driver.shared()?.isLeader() === true, { timeout: 60_000, message: 'the priority-9 node leads again' })
    const retry = await first.put('lost', value, { ...options, timeout: 10_000 })
    expect(await blocksWriting(first.chains, 'shared', 'lost')).toBe(1)
    expect((await first.chains.getBlock('shared', retry.height))?.hash).toEqual(retry.hash)
    expect(first.consensus.status().find(r => r.chainId === 'shared')?.outstanding).toBe(0)
  })

  it('a keyed retry through a node that carried 4,096 more writes since commits once (memory forgot it; the disk did not)', async () => {
    const { first, rest } = await sharedTrio()
    const carrier = rest[1]
    const value = utf8.encode('paid')
    const options = { chainId: 'shared', idempotencyKey: 'payment-42', waitForReplication: false, timeout: 10_000 }
    const once = await carrier.put('payment-42', value, options)
    // more writes through the same node than the leader keeps in memory for it (4,096): the keyed one's id counts there too
    const total = 4_200
    for (let sent = 0; sent < total; sent += 64) {
      await Promise.all(Array.from({ length: Math.min(64, total - sent) }, async (_, i) => await carrier.put(`flood/${sent + i}`, utf8.encode('x'), { chainId: 'shared', waitForReplication: false, timeout: 20_000 })))
    }
    const again = await carrier.put('payment-42', value, options)
    expect(again.height).toBe(once.height)
    expect(again.hash).toEqual(once.hash)
    // through another node too
    expect((await first.put('payment-42', value, options)).height).toBe(once.height)
    expect(await blocksWriting(first.chains, 'shared', 'payment-42')).toBe(1)
  }, 120_000)

  it('a keyed retry of a write still waiting to be proposed, after 4,096 more keyed writes through the node, joins it: the write commits once', async () => {
    const [a, b, c] = await connectedSwarm(cluster, 3, { kBackups: 0 })
    const chainId = a.peerId.toString()
    const opts = (key: string): { idempotencyKey: string, waitForReplication: boolean, timeout: number } => ({ idempotencyKey: key, waitForReplication: false, timeout: 90_000 })
    // a keyed write settles a's leadership (settleLeadership) while its booth hears it
    await a.put('warm', utf8.encode('up'), opts('warm'))
    const status = (): { pending: number, outstanding: number } | undefined => a.consensus.status().find(r => r.chainId === chainId)

    const deaf = deafen([b, c], chainId)
    const settled: Array<Promise<unknown>> = []
    const track = (p: Promise<unknown>): void => { settled.push(p.catch((err: Error) => err)) }
    // the pipeline's one slot for small writes: proposed, not decided
    track(a.put('filler', utf8.encode('x'), opts('filler')))
    await waitFor(() => status()?.outstanding === 1, { message: 'filler proposed' })
    // the write a client will retry: queued behind it
    const value = utf8.encode('paid')
    const first = a.put('victim', value, opts('order-1'))
    track(first)
    await waitFor(() => status()?.pending === 1, { message: 'victim queued' })
    // 4,096 more keyed writes through this node: its share of the write memory forgets the first attempt
    for (let i = 0; i < 4_096; i++) track(a.put(`flood/${i}`, utf8.encode('x'), opts(`flood-${i}`)))
    await waitFor(() => status()?.pending === 1 + 4_096, { timeout: 60_000, message: 'flood queued', state: status })
    // the client's answer was lost: it sends the write again, same key, same body; the replica runs
    // the attempts of one write one at a time (attemptOnce): the retry waits for the first to end
    const replica = a.consensus.driver.replicaOf(chainId)
    if (replica == null) throw new Error('no replica of a\'s chain')
    const attemptOnce = replica.attemptOnce.bind(replica)
    const retryAttempt = { asked: false, answered: false }
    replica.attemptOnce = async (ref, timeout, run) => {
      retryAttempt.asked = true
      return await attemptOnce(ref, timeout, run).finally(() => { retryAttempt.answered = true })
    }
    const retry = a.put('victim', value, opts('order-1'))
    track(retry)
    // it waits there for the first attempt, or (before the fix to landed) heard that nothing held it and queued the write again
    await waitFor(() => (retryAttempt.asked && !retryAttempt.answered) || (status()?.pending ?? 0) > 1 + 4_096, { message: 'the retry waits for the first attempt' })
    expect(status()?.pending, 'the retry queued nothing').toBe(1 + 4_096)

    deaf.on = false
    const [once, again] = await Promise.all([first, retry])
    await Promise.all(settled)
    expect(again.height).toBe(once.height)
    expect(await transactionsWriting(a, chainId, 'victim'), 'the keyed write committed once').toBe(1)
  }, 180_000)

  it('a keyed retry, in a new call, of a write whose first call ended "may have committed" never hears "nothing written"', async () => {
    const { first, rest, a } = await sharedTrio()
    // the leader's booth stops hearing it: the write it takes from c is proposed, not decided
    const [b, c] = rest
    for (const n of rest) {
      const transport = n.consensus.driver.transport
      const onMessage = transport.onMessage
      transport.onMessage = (from, cm) => { if (!(cm.chainId === 'shared' && from === a)) onMessage(from, cm) }
    }
    const options = { chainId: 'shared', idempotencyKey: 'gone-1', waitForReplication: false, timeout: 4_000 }
    const firstCall = c.put('gone', utf8.encode('x'), options).catch((err: unknown) => err)
    await waitFor(() => (first.consensus.status().find(r => r.chainId === 'shared')?.outstanding ?? 0) > 0, { message: 'the leader proposed it' })
    // the leader and b go away: c's call may have committed (the leader took it), and c is alone
    await Promise.all([cluster.stopNode(first), cluster.stopNode(b)])
    expect(await firstCall).toMatchObject({ mayHaveCommitted: true })
    // a new call under the same key: no quorum now, but the first may still be chosen (it said NoQuorumError, "nothing written")
    const retry = await c.put('gone', utf8.encode('x'), { ...options, timeout: 1_500 }).catch((err: unknown) => err)
    expect(retry).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: /earlier attempt under the same idempotency key/ })
    // another node that never saw an attempt cannot rule one out either (a soak: a retry through a restarted
    // node heard "no majority … nothing written", and the first attempt had committed); an unkeyed write can
    const fresh = await c.put('other', utf8.encode('y'), { ...options, idempotencyKey: 'never-sent', timeout: 1_500 }).catch((err: unknown) => err)
    expect(fresh).toMatchObject({ mayHaveCommitted: true, message: /earlier attempt under the same idempotency key/ })
    const plain = await c.put('other', utf8.encode('y'), { chainId: 'shared', waitForReplication: false, timeout: 1_500 }).catch((err: unknown) => err)
    expect(plain).toMatchObject({ name: 'NoQuorumError' })
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

  it('a keyed retry on a proposer restarted while the first attempt was in flight hears "may have committed" until phase 1 recovers it, then gets its block', async () => {
    const dir = await cluster.tempDir()
    const a = await cluster.create({ dataDir: dir, kBackups: 0, commitTimeout: 1_500 })
    await a.start()
    const others = await Promise.all([0, 1].map(async () => await cluster.create({ bootstrap: [a.multiaddrs[0].toString()], kBackups: 0 })))
    await Promise.all(others.map(async n => { await n.start() }))
    await waitFor(() => fullyConnected([a, ...others]), { timeout: 30_000, message: '3 nodes connected' })
    const chainId = a.peerId.toString()
    await a.put('warm', utf8.encode('up'))
    // the members stop hearing a's chain: its next block is accepted by a alone
    const deaf = deafen(others, chainId)
    const value = utf8.encode('once')
    const options = { idempotencyKey: 'restart-1', waitForReplication: false }
    await expect(a.put('once', value, options)).rejects.toMatchObject({ name: 'CommitTimeoutError' })

    // a restarts; its phase 1 finds no majority while the members are deaf, and its log holds the first attempt
    await cluster.stopNode(a)
    const again = await cluster.create({ dataDir: dir, kBackups: 0, commitTimeout: 1_500, bootstrap: [others[0].multiaddrs[0].toString()] })
    await again.start()
    await waitFor(() => fullyConnected([again, ...others]), { timeout: 30_000, message: 'the restarted vehicle reconnected' })
    // not "nothing was written": the first attempt may still be chosen
    const retry = again.put('once', value, options)
    await expect(retry).rejects.toMatchObject({ name: 'CommitTimeoutError', message: /earlier attempt/ })
    expect(await blocksWriting(again.chains, chainId, 'once')).toBe(0)
    // an unkeyed write, forwarded by a member, is not one anybody retries: "nothing written" holds for it
    await expect(others[0].put('plain', value, { chainId, timeout: 1_500, waitForReplication: false })).rejects.toMatchObject({ name: 'NoQuorumError' })
    // stopped while it waits for phase 1 (or before it reaches the replica): not "nothing written" either
    const outcome = again.put('once', value, { ...options, timeout: 20_000 }).catch((err: unknown) => err)
    await cluster.stopNode(again)
    expect(await outcome).toMatchObject({ name: 'ConsensusStoppedError', mayHaveCommitted: true })

    // the members hear again: phase 1 recovers the first attempt, and a retry gets its block, written once
    const third = await cluster.create({ dataDir: dir, kBackups: 0, commitTimeout: 1_500, bootstrap: [others[0].multiaddrs[0].toString()] })
    await third.start()
    deaf.on = false
    const done = await third.put('once', value, { ...options, timeout: 20_000 })
    expect(await blocksWriting(third.chains, chainId, 'once')).toBe(1)
    expect((await third.chains.getBlock(chainId, done.height))?.hash).toEqual(done.hash)
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
