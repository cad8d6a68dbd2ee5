/**
 * What a keyed write that fails around a node's stop tells its caller:
 * `mayHaveCommitted` wherever the write may be in the chain, so a caller
 * retries with its key instead of taking it for lost. A keyed write still
 * under way when stop() gave up waiting for it meets the closed database;
 * an end of booth whose round the stop cut, or whose round failed otherwise,
 * has its block committed. Real nodes over TCP on 127.0.0.1, real LevelDB;
 * the write is held at a step of its own path until the stop closed the
 * database, or its round is made to fail.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { ChainReplica } from '../../src/node/paxos-replica.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/constants.ts'
import { OWN_CONFLICT_RECOVERY, OwnChainConflictError, RefusedWriteError } from '../../src/node/consensus-errors.ts'
import { ChainNotFoundError, StoreClosedError } from '../../src/storage/errors.ts'
import { TimeoutError } from '../../src/protocols/errors.ts'
import { NodeStoppedError } from '../../src/node/errors.ts'
import { InvalidTransactionError } from '../../src/chain/errors.ts'

const utf8 = new TextEncoder()

/** Holds every call of `target[method]` until released (each goes on then, as it was); `entered` once one is held. */
function holdCalls<K extends string, T extends Record<K, (...args: never[]) => Promise<unknown>>> (target: T, method: K): { entered: Promise<void>, release: () => void } {
  const entered = Promise.withResolvers<void>()
  const held = Promise.withResolvers<void>()
  const original = target[method].bind(target) as (...args: unknown[]) => Promise<unknown>
  target[method] = (async (...args: unknown[]) => {
    entered.resolve()
    await held.promise
    return await original(...args)
  }) as unknown as T[K]
  return { entered: entered.promise, release: () => { held.resolve() } }
}

/** Holds `a`'s next keyed write to its own chain at its look for an end of booth under its key, until released. */
function holdKeyedWrite (a: VGuardNode): { entered: Promise<void>, release: () => void } {
  return holdCalls(a.vguarddb, 'boothAppended')
}

/** Holds `a`'s first write to its own chain where it opens its consensus on it (before proposing), until released. */
function holdFirstWrite (a: VGuardNode): { entered: Promise<void>, release: () => void } {
  return holdCalls(a.consensus.driver, 'ownStarted')
}

/** The shared chain's leader once all of `nodes` follow the same one, and its shared replica, a first write through it made. */
async function sharedLeaderOf (nodes: VGuardNode[]): Promise<{ leader: VGuardNode, shared: ChainReplica }> {
  await waitFor(() => nodes.every(n => sharedLeader(n) != null && sharedLeader(n) === sharedLeader(nodes[0])), { timeout: 20_000, message: 'one shared-chain leader' })
  const leader = nodes.find(n => n.peerId.toString() === sharedLeader(n))
  if (leader == null) throw new Error('no leader among the nodes')
  await leader.put('first', utf8.encode('x'), { chainId: 'shared' })
  const shared = leader.consensus.driver.shared()
  if (shared == null) throw new Error('the leader has no shared chain')
  return { leader, shared }
}

/** b takes replication transfers and never answers them: a round waits on b until the stop cuts it. */
async function silentBackup (b: VGuardNode): Promise<() => boolean> {
  let offered = false
  await b.libp2p.unhandle(REPLICATE_PROTOCOL)
  await b.libp2p.handle(REPLICATE_PROTOCOL, () => { offered = true })
  return () => offered
}

/**
 * `a`'s replication rounds of its own chain fail with what `failure` makes (the round's checks and
 * saves run after the end of booth's block is appended): its block is committed all the same.
 */
function failOwnRounds (a: VGuardNode, failure: () => Error): void {
  const { vguarddb } = a
  const afterCommit = vguarddb.afterCommit.bind(vguarddb)
  vguarddb.afterCommit = async (chainId, participants, options) => {
    if (chainId === a.peerId.toString() && options?.own === true) throw failure()
    return await afterCommit(chainId, participants, options)
  }
}

/** `a`'s chain store's segment writes fail with EIO from now on: a block big enough for a segment stops the store halfway. */
function failSegmentWrites (a: VGuardNode): void {
  const segments = (a.chains as unknown as { segments: { write: () => Promise<void> } }).segments
  segments.write = async () => { throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) }
}

/** A value big enough to go to a segment of the chain store (not inline in LevelDB). */
const BIG = new Uint8Array(300 * 1024).fill(1)

/** LevelDB's read error as classic-level gives it: a ModuleError, named 'Error', with a code. */
function levelReadError (): Error {
  return Object.assign(new Error('IO error: 000005.ldb: Input/output error'), { code: 'LEVEL_IO_ERROR' })
}

interface ReadableSublevel { get: (key: Uint8Array, ...rest: unknown[]) => Promise<Uint8Array | undefined> }

/** Reads of `db` whose key starts with `prefix` fail as LevelDB's do; the function returned heals them. */
function failReads (db: ReadableSublevel, prefix: Uint8Array): () => void {
  const get = db.get
  db.get = async (key, ...rest) => {
    if (key.byteLength >= prefix.byteLength && prefix.every((b, i) => key[i] === b)) throw levelReadError()
    return await get.call(db, key, ...rest)
  }
  return () => { db.get = get }
}

/**
 * `a`'s own chain's replica can no longer read the writes it remembers by key (storage.findWrite, the
 * look-up of a retry's earlier attempt): its consensus store's reads of that index fail. Heal with the function returned.
 */
async function failWriteLookups (a: VGuardNode): Promise<() => void> {
  return failWriteLookupsOf(await a.consensus.driver.own())
}

/** The same for one replica (the shared chain's, say). */
function failWriteLookupsOf (replica: ChainReplica): () => void {
  const storage = (replica as unknown as { d: { storage: { db: ReadableSublevel, writeByKey: (key: string) => Uint8Array } } }).d.storage
  // the sublevel may be shared with other chains' stores: only this chain's write index fails
  return failReads(storage.db, storage.writeByKey(''))
}

/**
 * `a` refuses every write of its own chain as its own-chain tables do once a round found that its chain went
 * another way than its backups' (OwnChainTables.checkOwnConflict): OwnChainConflictError, "nothing was written".
 */
function conflictingOwnChain (a: VGuardNode): void {
  a.vguarddb.checkOwnConflict = async () => {
    throw new OwnChainConflictError(`nothing was written: ${a.peerId.toString()} does not hold the block its newest backup table names at height 5. ${OWN_CONFLICT_RECOVERY}`)
  }
}

describe('keyed writes - mayHaveCommitted around a stop', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a keyed write still under way when the stop closed the database may have committed, also over HTTP', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const api = await cluster.http(a)
    const hold = holdKeyedWrite(a)
    const write = a.put('k', utf8.encode('v'), { idempotencyKey: 'closed-under-1' }).then(() => 'resolved', (err: unknown) => err)
    await hold.entered
    const entered = Promise.withResolvers<void>()
    const overHttp = holdKeyedWrite(a)
    void overHttp.entered.then(entered.resolve)
    const answer = fetch(`${api.url}/chains/${a.peerId.toString()}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'closed-under-2' } })
    await entered.promise
    // the stop waits a bounded time for the writes, then closes the database under them
    await cluster.stopNode(a)
    hold.release()
    overHttp.release()
    const closedUnder = /^the node stopped and closed its database while this write was under way .*earlier attempt under the same idempotency key .* may still commit/
    expect(await write).toMatchObject({ name: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(closedUnder) })
    const res = await answer
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(closedUnder) })
  })

  it('an unkeyed write still under way when the stop closed the database is told the node stopped, and that it was not proposed', async () => {
    const [a, b] = await connectedSwarm(cluster, 3)
    const api = await cluster.http(b)
    const hold = holdFirstWrite(a)
    const write = a.put('k', utf8.encode('v')).then(() => 'resolved', (err: unknown) => err)
    const holdB = holdFirstWrite(b)
    const overHttp = fetch(`${api.url}/chains/${b.peerId.toString()}/kv/h`, { method: 'PUT', body: 'v' })
    await Promise.all([hold.entered, holdB.entered])
    // the stop waits a bounded time for the write, then closes the database under it
    await Promise.all([cluster.stopNode(a), cluster.stopNode(b)])
    hold.release()
    holdB.release()
    const notProposed = /^the node stopped and closed its database before this write was proposed \(Database is not open\): nothing was written$/
    const failed = await write
    expect(failed).toMatchObject({ name: 'NodeStoppedError', message: expect.stringMatching(notProposed) })
    expect(failed).not.toHaveProperty('mayHaveCommitted', true)
    const res = await overHttp
    expect(res.status).toBe(503)
    const body = await res.json() as Record<string, unknown>
    expect(body).toMatchObject({ error: 'NodeStoppedError', message: expect.stringMatching(notProposed) })
    expect(body.mayHaveCommitted).toBeUndefined()
  })

  it('an unkeyed write handed to its replica when the stop closed the database under it is told the node stopped, and that it may have been proposed', async () => {
    const { leader, shared } = await sharedLeaderOf(await connectedSwarm(cluster, 3))
    // the leader's own write, past its hand-over to the shared replica, held where the replica looks on the disk
    // for an earlier attempt of it (every shared-chain write has an id), until the stop closed the database
    const hold = holdCalls(shared, 'rememberedWrite')
    const write = leader.put('k', utf8.encode('v'), { chainId: 'shared' }).then(() => 'resolved', (err: unknown) => err)
    await hold.entered
    // the stop waits a bounded time for the write, then closes the database under it
    await cluster.stopNode(leader)
    hold.release()
    expect(await write).toMatchObject({
      name: 'NodeStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/^the node stopped and closed its database while this write was under way \(Database is not open\): it may have been proposed, and may still commit, whole or not at all \(a retry may commit it twice/)
    })
  })

  it('an end of booth whose round a stop cut has its block committed: it says so, keyed or not, also over HTTP', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const offered = await silentBackup(b)
    const participants = [b.peerId.toString()]
    const booth = a.endOfBooth({ participants, transactions: [{ key: 'k1', value: utf8.encode('v1') }], idempotencyKey: 'booth-cut-1' })
      .then(() => 'resolved', (err: unknown) => err)
    await waitFor(offered, { message: 'the transfer to b under way' })
    await cluster.stopNode(a)
    expect(await booth).toMatchObject({
      name: 'ReplicationStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/block \(height 1\) is committed.*a retry with the same idempotency key is answered/)
    })

    const [c, d] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const offeredToD = await silentBackup(d)
    const api = await cluster.http(c)
    const answer = fetch(`${api.url}/booth/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ participants: [d.peerId.toString()], transactions: [{ key: 'k1', value: 'v1' }] })
    })
    await waitFor(offeredToD, { message: 'the transfer to d under way' })
    await cluster.stopNode(c)
    const res = await answer
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      error: 'ReplicationStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/block \(height 1\) is committed.*do not send it again/)
    })
  })

  it('an end of booth whose round failed otherwise has its block committed: it says so, with its error\'s name and status, keyed or not', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    const participants = [b.peerId.toString()]
    const api = await cluster.http(a)
    const booth = async (key: string, idempotencyKey?: string): Promise<unknown> =>
      await a.endOfBooth({ participants, transactions: [{ key, value: utf8.encode(key) }], ...(idempotencyKey != null ? { idempotencyKey } : {}) })
        .then(() => 'resolved', (err: unknown) => err)
    failOwnRounds(a, () => new OwnChainConflictError('a does not hold the block its newest backup table names at height 5'))
    expect(await booth('k1', 'round-conflict-1')).toMatchObject({
      name: 'OwnChainConflictError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/^the end of booth's block \(height 1\) is committed; its replication round failed: a does not hold .*a retry with the same idempotency key is answered/)
    })
    expect(await booth('k2')).toMatchObject({ name: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(/block \(height 2\) is committed.*do not send it again/) })
    let res = await fetch(`${api.url}/booth/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants, transactions: [{ key: 'k3', value: 'v3' }] }) })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(/block \(height 3\) is committed/) })

    // an error of no known kind (a table's save failing, say): named by a class that says the block committed
    failOwnRounds(a, () => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }))
    expect(await booth('k4', 'round-eio-1')).toMatchObject({
      name: 'ReplicationFailedError',
      mayHaveCommitted: true,
      height: 4,
      message: expect.stringMatching(/^the end of booth's block \(height 4\) is committed; its replication round failed: EIO: i\/o error, write .*a retry with the same idempotency key is answered/)
    })
    res = await fetch(`${api.url}/booth/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants, transactions: [{ key: 'k5', value: 'v5' }] }) })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: 'ReplicationFailedError', mayHaveCommitted: true, message: expect.stringMatching(/block \(height 5\) is committed/) })
    expect((await a.chains.tip(self)).height).toBe(5)
  })

  it('an end of booth whose round met its store closed with the node has its block committed: over HTTP too the answer says so, with the flag', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const participants = [b.peerId.toString()]
    const api = await cluster.http(a)
    // the store closed under the round (a stop, or an embedder's API answering past node.stop()): the block was committed before
    failOwnRounds(a, () => new StoreClosedError('Chain store is closed', true))
    expect(await a.endOfBooth({ participants, transactions: [{ key: 'k1', value: utf8.encode('v1') }] }).then(() => 'resolved', (err: unknown) => err)).toMatchObject({
      name: 'StoreClosedError', mayHaveCommitted: true, message: expect.stringMatching(/^the end of booth's block \(height 1\) is committed; its replication round failed: Chain store is closed/)
    })
    const res = await fetch(`${api.url}/booth/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants, transactions: [{ key: 'k2', value: 'v2' }] }) })
    expect(res.status).toBe(503)
    // the node stopped, as every closed database is answered; but not in words that drop the committed block
    expect(await res.json()).toMatchObject({ error: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(/block \(height 2\) is committed.*do not send it again/) })
  })

  it('a keyed end of booth refused by a store that stopped on a failed write may have committed (an earlier attempt), also over HTTP', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const participants = [b.peerId.toString()]
    const api = await cluster.http(a)
    // a block big enough for a segment, whose segment write fails after its LevelDB batch went in: the store stops
    const segments = (a.chains as unknown as { segments: { write: () => Promise<void> } }).segments
    segments.write = async () => { throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) }
    await expect(a.endOfBooth({ participants, transactions: [{ key: 'big', value: new Uint8Array(300 * 1024).fill(1) }] })).rejects.toThrow('EIO')
    const stopped = /^the store stopped after a failed write \(EIO.*reopen it to recover; an earlier attempt under the same idempotency key .* may still commit/
    await expect(a.endOfBooth({ participants, transactions: [{ key: 'k', value: utf8.encode('v') }], idempotencyKey: 'stopped-store-1' }))
      .rejects.toMatchObject({ name: 'StoreClosedError', closed: false, mayHaveCommitted: true, message: expect.stringMatching(stopped) })
    const res = await fetch(`${api.url}/booth/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'stopped-store-2' },
      body: JSON.stringify({ participants, transactions: [{ key: 'k', value: 'v' }] })
    })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'StoreClosedError', mayHaveCommitted: true, message: expect.stringMatching(stopped) })
    // unkeyed, it says nothing of an earlier attempt: there is none
    const plain = await a.endOfBooth({ participants, transactions: [{ key: 'k', value: utf8.encode('v') }] }).then(() => 'resolved', (err: unknown) => err)
    expect(plain).toMatchObject({ name: 'StoreClosedError', closed: false })
    expect(plain).not.toHaveProperty('mayHaveCommitted', true)
  })

  it('an end of booth whose own block append failed on the disk may have committed: StoreClosedError with the flag, keyed or not, also over HTTP', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const participants = [b.peerId.toString()]
    failSegmentWrites(a)
    // the direct path (no consensus on a's chain yet): the block's LevelDB batch went in, its segment write failed
    const failed = /^the end of booth's block \(height 1\) failed on the disk as it was appended \(EIO: i\/o error, write\).*restart the node.*keeps the block only if all of it reached the disk/
    await expect(a.endOfBooth({ participants, transactions: [{ key: 'big', value: BIG }], idempotencyKey: 'eio-booth-1' })).rejects.toMatchObject({
      name: 'StoreClosedError',
      closed: false,
      mayHaveCommitted: true,
      message: expect.stringMatching(/^the end of booth's block \(height 1\) failed on the disk.*a retry with the same idempotency key is answered/)
    })

    const [c, d] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const api = await cluster.http(c)
    failSegmentWrites(c)
    const res = await fetch(`${api.url}/booth/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ participants: [d.peerId.toString()], transactions: [{ key: 'big', value: 'x'.repeat(300 * 1024) }] })
    })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'StoreClosedError', mayHaveCommitted: true, message: expect.stringMatching(failed) })
  })

  it('a write whose block failed on the disk after its value was decided says it may have committed, with the retry advice; a restart applies it from the consensus log', async () => {
    const [b, c] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const dataDir = await cluster.tempDir()
    const start = async (): Promise<VGuardNode> => {
      const node = await cluster.create({ dataDir, kBackups: 1, bootstrap: [b.multiaddrs[0].toString()] })
      await node.start()
      await waitFor(() => fullyConnected([node, b, c]), { message: 'a connected to b and c' })
      return node
    }
    let a = await start()
    const self = a.peerId.toString()
    // consensus runs on a's chain: the next blocks are decided by its booth, then appended
    await a.put('first', utf8.encode('x'))
    failSegmentWrites(a)
    const decided = /^consensus of \S+ failed: EIO: i\/o error, write; the write was proposed and may still commit, whole or not at all/
    await expect(a.put('big', BIG, { idempotencyKey: 'eio-put-1' })).rejects.toMatchObject({
      name: 'ConsensusStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(new RegExp(`${decided.source}.*a retry with the same idempotency key is answered, not committed again`))
    })
    await cluster.stopNode(a)

    // its value was decided (the booth's log holds it): the restarted replica applies it, and the keyed retry gets that block
    a = await start()
    const retried = await a.put('big', BIG, { idempotencyKey: 'eio-put-1' })
    expect(retried.height).toBe(2)
    expect((await a.chains.get(self, 'big'))?.height).toBe(2)
    expect((await a.chains.tip(self)).height).toBe(2)

    // unkeyed: the same, with the advice for a write without a key
    failSegmentWrites(a)
    await expect(a.put('big2', BIG)).rejects.toMatchObject({
      name: 'ConsensusStoppedError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/the write was proposed and may still commit.*a retry may commit it twice: an idempotency key makes a retry safe/)
    })
  })

  it('a keyed write whose replica could not read what it remembers of the key may have committed, with the retry advice, also over HTTP', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const self = a.peerId.toString()
    const api = await cluster.http(a)
    // consensus runs on a's chain: a keyed write looks its key up in what the replica remembers on disk
    await a.put('first', utf8.encode('x'))
    const heal = await failWriteLookups(a)
    const unread = /^an earlier attempt of this write to \S+ may have committed, and this node could not read what it remembers of it \(LEVEL_IO_ERROR: IO error: 000005\.ldb: Input\/output error\): it is not proposed again here.*a retry with the same idempotency key is answered/
    await expect(a.put('k', utf8.encode('v'), { idempotencyKey: 'lookup-fails-1' }))
      .rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    const res = await fetch(`${api.url}/chains/${self}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'lookup-fails-2' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    // an unkeyed write looks nothing up
    expect((await a.put('plain', utf8.encode('p'))).height).toBe(2)
    // the failed attempts proposed nothing: once the index reads again, the keyed retry commits, once
    heal()
    expect((await a.put('k', utf8.encode('v'), { idempotencyKey: 'lookup-fails-1' })).height).toBe(3)
    expect((await a.put('k', utf8.encode('v'), { idempotencyKey: 'lookup-fails-1' })).height).toBe(3)
    expect((await a.chains.tip(self)).height).toBe(3)
  })

  it('a keyed write that fails on another read of the database with an error of no known kind may have committed, also over HTTP', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const self = a.peerId.toString()
    const api = await cluster.http(a)
    // a keyed write to a's chain first looks for an end of booth under its key (boothAppended): its records' reads fail
    const booths = (a.vguarddb as unknown as { booths: { db: ReadableSublevel } }).booths
    failReads(booths.db, new Uint8Array(0))
    const unknown = /^LEVEL_IO_ERROR: IO error: 000005\.ldb: Input\/output error; an earlier attempt under the same idempotency key .* may still commit, whole or not at all: a retry with the key gets its outcome$/
    await expect(a.put('k', utf8.encode('v'), { idempotencyKey: 'booth-read-fails-1' }))
      .rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unknown) })
    const res = await fetch(`${api.url}/chains/${self}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'booth-read-fails-2' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unknown) })
  })

  it('a keyed write forwarded to its chain\'s vehicle, whose reads of its database fail there, may have committed: the writer hears so, also over HTTP', async () => {
    const [a, b] = await connectedSwarm(cluster, 3)
    const chainId = a.peerId.toString()
    const api = await cluster.http(b)
    // consensus runs on a's chain: a keyed write forwarded to a looks its key up in what a's replica remembers on disk
    await a.put('first', utf8.encode('x'))
    const put = async (key: string, idempotencyKey: string): Promise<unknown> =>
      await b.put(key, utf8.encode('v'), { chainId, idempotencyKey }).then(() => 'resolved', (err: unknown) => err)
    const overHttp = async (idempotencyKey: string): Promise<Response> =>
      await fetch(`${api.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': idempotencyKey } })

    // the look-up of an earlier attempt under the key (rememberedWrite) fails on a
    const heal = await failWriteLookups(a)
    const unread = /could not read what it remembers of it \(LEVEL_IO_ERROR: IO error: 000005\.ldb: Input\/output error\)/
    expect(await put('k', 'forwarded-lookup-1')).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    let res = await overHttp('forwarded-lookup-2')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    heal()

    // its look for an end of booth under the key (boothAppended) fails on a
    const booths = (a.vguarddb as unknown as { booths: { db: ReadableSublevel } }).booths
    const healBooths = failReads(booths.db, new Uint8Array(0))
    // a answers the write protocol's ERROR with the error's name ('Error') and no flag of its own: it took the write
    // and did not say whether it had proposed it, which b says, flagged: CommitTimeoutError, as a keyed write on a
    // itself that met the error would hear (a was reached and answered: it was ProposerUnreachableError)
    const tookIt = /^\S+, proposer of \S+, failed the write \(Error\): IO error: 000005\.ldb: Input\/output error \(it took the write and did not say whether it had proposed it: it may still commit/
    expect(await put('k2', 'forwarded-booth-1')).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(tookIt) })
    res = await overHttp('forwarded-booth-2')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(tookIt) })
    healBooths()

    // nothing was proposed: once a reads again, the keyed retries commit, once
    const retried = await b.put('k', utf8.encode('v'), { chainId, idempotencyKey: 'forwarded-lookup-1' })
    expect((await b.put('k', utf8.encode('v'), { chainId, idempotencyKey: 'forwarded-lookup-1' })).height).toBe(retried.height)
    expect((await a.chains.tip(chainId)).height).toBe(2)
  })

  it('a keyed shared-chain write forwarded to the leader, whose look-up of an earlier attempt fails there, may have committed', async () => {
    const nodes = await connectedSwarm(cluster, 3)
    const { leader, shared } = await sharedLeaderOf(nodes)
    const writer = nodes.find(n => n !== leader)
    if (writer == null) throw new Error('no node but the leader')
    const heal = failWriteLookupsOf(shared)
    const api = await cluster.http(writer)
    const unread = /could not read what it remembers of it \(LEVEL_IO_ERROR: IO error: 000005\.ldb: Input\/output error\): it is not proposed again here.*a retry with the same idempotency key is answered/
    await expect(writer.put('k', utf8.encode('v'), { chainId: 'shared', idempotencyKey: 'shared-lookup-1' }))
      .rejects.toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    const res = await fetch(`${api.url}/chains/shared/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'shared-lookup-2' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(unread) })
    heal()
    // nothing was proposed: the keyed retry commits, once
    const retried = await writer.put('k', utf8.encode('v'), { chainId: 'shared', idempotencyKey: 'shared-lookup-1' })
    expect((await writer.put('k', utf8.encode('v'), { chainId: 'shared', idempotencyKey: 'shared-lookup-1' })).height).toBe(retried.height)
  })
  it('a keyed write refused because its vehicle\'s chain conflicts with its backups\' may have committed (an earlier attempt), local and forwarded, also over HTTP (409 still)', async () => {
    const [a, b] = await connectedSwarm(cluster, 3)
    const chainId = a.peerId.toString()
    await a.put('first', utf8.encode('x'))
    conflictingOwnChain(a)
    // the attempt's own words stay, said of the attempt; then what the key's caller may conclude
    const thisAttempt = /this attempt wrote nothing: \S+ does not hold the block its newest backup table names at height 5\. To go on with the backups' chain.*an earlier attempt under the same idempotency key .* may still commit, whole or not at all: a retry with the key gets its outcome$/
    await expect(a.put('k', utf8.encode('v'), { idempotencyKey: 'own-conflict-1' }))
      .rejects.toMatchObject({ name: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(new RegExp(`^${thisAttempt.source}`)) })
    const local = await cluster.http(a)
    let res = await fetch(`${local.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'own-conflict-2' } })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(thisAttempt) })
    // forwarded to a, which refuses it unproposed: the writer says the same of the key
    const forwarded = new RegExp(`^${chainId}, proposer of ${chainId}, refused the write: ${thisAttempt.source}`)
    await expect(b.put('k', utf8.encode('v'), { chainId, idempotencyKey: 'own-conflict-3' }))
      .rejects.toMatchObject({ name: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(forwarded) })
    const api = await cluster.http(b)
    res = await fetch(`${api.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'own-conflict-4' } })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ error: 'OwnChainConflictError', mayHaveCommitted: true, message: expect.stringMatching(forwarded) })
    // unkeyed, it says nothing of an earlier attempt: there is none
    const plain = await a.put('k', utf8.encode('v')).then(() => 'resolved', (err: unknown) => err)
    expect(plain).toMatchObject({ name: 'OwnChainConflictError', message: expect.stringMatching(/^nothing was written: /) })
    expect(plain).not.toHaveProperty('mayHaveCommitted', true)
    expect((await a.chains.tip(chainId)).height).toBe(1)
  })
  it('a keyed write its chain\'s vehicle refuses (RefusedWriteError) may have committed (an earlier attempt), also over HTTP (403 still); unkeyed it says nothing of one', async () => {
    const [a, b] = await connectedSwarm(cluster, 3)
    const chainId = a.peerId.toString()
    await a.put('first', utf8.encode('x'))
    // a answers every forwarded write as a node that does not write the chain does (Consensus.commitForwarded):
    // REFUSED, over the real write protocol; this attempt is not taken, an earlier one under its key may have been
    const refusing = a.consensus as unknown as { commitForwarded: (w: { chainId: string }) => Promise<unknown> }
    const commitForwarded = refusing.commitForwarded
    refusing.commitForwarded = async (w) => { throw new RefusedWriteError(`${chainId} does not write chain ${w.chainId}`) }
    const refused = new RegExp(`^${chainId} refused the write to ${chainId}: ${chainId} does not write chain ${chainId}; an earlier attempt under the same idempotency key \\(through another node, or before a restart\\) may still commit, whole or not at all: a retry with the key gets its outcome$`)
    await expect(b.put('k', utf8.encode('v'), { chainId, idempotencyKey: 'refused-1' }))
      .rejects.toMatchObject({ name: 'RefusedWriteError', mayHaveCommitted: true, message: expect.stringMatching(refused) })
    const api = await cluster.http(b)
    const res = await fetch(`${api.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'refused-2' } })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ error: 'RefusedWriteError', mayHaveCommitted: true, message: expect.stringMatching(refused) })
    // unkeyed, there is no earlier attempt to speak of
    const plain = await b.put('k', utf8.encode('v'), { chainId }).then(() => 'resolved', (err: unknown) => err)
    expect(plain).toMatchObject({ name: 'RefusedWriteError' })
    expect(plain).not.toHaveProperty('mayHaveCommitted', true)
    refusing.commitForwarded = commitForwarded
    expect((await a.chains.tip(chainId)).height).toBe(1)
  })
  it('a keyed write that fails before it is proposed with an error of ours says an earlier attempt may commit, keeping its kind and status, also over HTTP; one that says the request is no valid write stays', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const chainId = a.peerId.toString()
    const api = await cluster.http(a)
    await a.put('first', utf8.encode('x'))
    const check = a.vguarddb.checkOwnConflict.bind(a.vguarddb)
    const earlier = /; an earlier attempt under the same idempotency key \(through another node, or before a restart\) may still commit, whole or not at all: a retry with the key gets its outcome$/
    // the errors a lower part of the node may end this attempt with, thrown where the write starts (before its proposal)
    const cases: Array<{ error: () => Error, name: string, status: number, message: RegExp }> = [
      { error: () => new TimeoutError('the exchange timed out'), name: 'TimeoutError', status: 504, message: new RegExp(`^the exchange timed out${earlier.source}`) },
      { error: () => new NodeStoppedError('the node is stopping'), name: 'NodeStoppedError', status: 503, message: new RegExp(`^the node is stopping${earlier.source}`) },
      // a chain not found here keeps its 404, flagged (until 2026-12-03 CommitTimeoutError 503 naming it: KEYED_FLAGGED)
      { error: () => new ChainNotFoundError('no such chain here'), name: 'ChainNotFoundError', status: 404, message: new RegExp(`^no such chain here${earlier.source}`) }
    ]
    let n = 0
    for (const c of cases) {
      a.vguarddb.checkOwnConflict = async () => { throw c.error() }
      await expect(a.put('k', utf8.encode('v'), { idempotencyKey: `ours-${++n}` }))
        .rejects.toMatchObject({ name: c.name, mayHaveCommitted: true, message: expect.stringMatching(c.message) })
      const res = await fetch(`${api.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': `ours-${++n}` } })
      expect(res.status).toBe(c.status)
      expect(await res.json()).toMatchObject({ error: c.name, mayHaveCommitted: true, message: expect.stringMatching(c.message) })
    }
    // a request that is no valid write: so is every attempt of it, under the key too (its payload is part of it)
    a.vguarddb.checkOwnConflict = async () => { throw new InvalidTransactionError('value too large') }
    const invalid = await a.put('k', utf8.encode('v'), { idempotencyKey: 'invalid-1' }).then(() => 'resolved', (err: unknown) => err)
    expect(invalid).toMatchObject({ name: 'InvalidTransactionError', message: 'value too large' })
    expect(invalid).not.toHaveProperty('mayHaveCommitted', true)
    const res = await fetch(`${api.url}/chains/${chainId}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'invalid-2' } })
    expect(res.status).toBe(400)
    expect(await res.json()).not.toHaveProperty('mayHaveCommitted')
    a.vguarddb.checkOwnConflict = check
    expect((await a.chains.tip(chainId)).height).toBe(1)
  })
  it('an unkeyed write that fails with an error of no known kind after it was proposed may have committed: CommitTimeoutError naming the error, also over HTTP; before it was proposed it stays as it was', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const self = a.peerId.toString()
    const api = await cluster.http(a)
    await a.put('first', utf8.encode('x'))
    const own = await a.consensus.driver.own()
    const submit = own.submit.bind(own)
    // the write goes to its replica, is proposed and committed, and then a lower layer's error reaches the writer
    own.submit = async (write, options) => {
      await submit(write, options)
      throw new TypeError('Cannot read properties of undefined (reading \'replication\')')
    }
    const proposed = /^TypeError: Cannot read properties of undefined \(reading 'replication'\), after this write was proposed: it may still commit, whole or not at all \(a retry may commit it twice: an idempotency key makes a retry safe\)$/
    const failed = await a.put('k', utf8.encode('v')).then(() => 'resolved', (err: unknown) => err)
    expect(failed).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(proposed) })
    expect((failed as Error).cause).toBeInstanceOf(TypeError)
    const res = await fetch(`${api.url}/chains/${self}/kv/h`, { method: 'PUT', body: 'v' })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(proposed) })
    // it did commit: both are in the chain
    expect((await a.chains.tip(self)).height).toBe(3)
    own.submit = submit

    // the same error before the write went to its replica: nothing was proposed, and it does not say otherwise
    const check = a.vguarddb.checkOwnConflict.bind(a.vguarddb)
    a.vguarddb.checkOwnConflict = async () => { throw new TypeError('Cannot read properties of undefined (reading \'table\')') }
    const early = await a.put('k2', utf8.encode('v')).then(() => 'resolved', (err: unknown) => err)
    expect(early).toMatchObject({ name: 'TypeError' })
    expect(early).not.toHaveProperty('mayHaveCommitted', true)
    a.vguarddb.checkOwnConflict = check
    expect((await a.chains.tip(self)).height).toBe(3)
  })
})

describe('an unkeyed end of booth - an error of no known kind', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  const typeError = (): TypeError => new TypeError('Cannot read properties of undefined (reading \'height\')')
  const endOverHttp = async (url: string, participants: string[], key: string): Promise<Response> =>
    await fetch(`${url}/booth/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participants, transactions: [{ key, value: key }] }) })

  /** Two unkeyed ends of booth (k1 directly, k2 over HTTP) fail with a TypeError that `message` says may be in the chain: CommitTimeoutError, flagged, 503. */
  async function expectFlaggedBooth (a: VGuardNode, url: string, participants: string[], message: RegExp): Promise<void> {
    const failed = await a.endOfBooth({ participants, transactions: [{ key: 'k1', value: utf8.encode('v1') }] }).then(() => 'resolved', (err: unknown) => err)
    expect(failed).toMatchObject({ name: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(message) })
    expect((failed as Error).cause).toBeInstanceOf(TypeError)
    const res = await endOverHttp(url, participants, 'k2')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'CommitTimeoutError', mayHaveCommitted: true, message: expect.stringMatching(message) })
  }

  it('after its block went to the store directly, it may have been appended: CommitTimeoutError naming the error, also over HTTP', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    const participants = [b.peerId.toString()]
    const api = await cluster.http(a)
    // no consensus on a's chain yet: the block is appended directly, and then a lower layer's error reaches the caller
    const appendEndOfBooth = a.vguarddb.appendEndOfBooth.bind(a.vguarddb)
    a.vguarddb.appendEndOfBooth = async (booth, id) => {
      await appendEndOfBooth(booth, id)
      throw typeError()
    }
    const appended = /^TypeError: Cannot read properties of undefined \(reading 'height'\), after the end of booth's block went to the store: it may have been appended \(read the chain before sending it again: a retry may append it twice\)$/
    await expectFlaggedBooth(a, api.url, participants, appended)
    // both were appended
    expect((await a.chains.tip(self)).height).toBe(2)
  })

  it('after its block was proposed, it may still commit: CommitTimeoutError naming the error, also over HTTP; before, it stays as it was', async () => {
    const [a, b] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const self = a.peerId.toString()
    const participants = [b.peerId.toString()]
    const api = await cluster.http(a)
    // consensus runs on a's chain: the end of booth's block goes through it
    await a.put('first', utf8.encode('x'))
    const own = await a.consensus.driver.own()
    const submit = own.submit.bind(own)
    own.submit = async (write, options) => {
      await submit(write, options)
      throw typeError()
    }
    const proposed = /^TypeError: Cannot read properties of undefined \(reading 'height'\), after the end of booth's block was proposed: it may still commit, whole or not at all \(a retry may commit it twice: an idempotency key makes a retry safe\)$/
    await expectFlaggedBooth(a, api.url, participants, proposed)
    // both committed
    expect((await a.chains.tip(self)).height).toBe(3)
    own.submit = submit

    // the same error before the block could be appended or proposed: nothing was, and it does not say otherwise
    const check = a.vguarddb.checkOwnConflict.bind(a.vguarddb)
    a.vguarddb.checkOwnConflict = async () => { throw typeError() }
    const early = await a.endOfBooth({ participants, transactions: [{ key: 'k3', value: utf8.encode('v3') }] }).then(() => 'resolved', (err: unknown) => err)
    expect(early).toMatchObject({ name: 'TypeError' })
    expect(early).not.toHaveProperty('mayHaveCommitted', true)
    const earlyRes = await endOverHttp(api.url, participants, 'k4')
    expect(earlyRes.status).toBe(500)
    const body = await earlyRes.json() as Record<string, unknown>
    expect(body).toMatchObject({ error: 'TypeError' })
    expect(body.mayHaveCommitted).toBeUndefined()
    a.vguarddb.checkOwnConflict = check
    expect((await a.chains.tip(self)).height).toBe(3)
  })
})
