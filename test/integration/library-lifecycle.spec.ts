/**
 * An embedder's node around stop(): node:stopped is the last event (the HTTP
 * API's event streams end on it), so the writes under way settle before it
 * and before stop() resolves; pins on a stopped node are refused as every
 * other call is; and createVGuardNode's second argument is checked as its
 * options are. Real nodes over TCP, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { createVGuardNode, peerIdOf } from '../../src/node/index.ts'
import { TestCluster, connectedSwarm, createBaseOptions, fullyConnected, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'

describe('library - a node\'s lifecycle', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a write under way when stop() comes settles (event and promise) before node:stopped and before stop() resolves', async () => {
    const a = await cluster.create()
    await a.start()
    const order: string[] = []
    a.addEventListener('write:settled', (e) => { order.push(`write:settled ${e.detail.error ?? 'ok'}`) })
    a.addEventListener('node:stopped', () => { order.push('node:stopped') })
    // a lone vehicle: no shared chain forms, and the write keeps looking for a leader (every 100 ms)
    const write = a.put('road/closed', new Uint8Array([1]), { chainId: 'shared', timeout: 10_000 })
    write.then(() => { order.push('write resolved') }, (err: Error) => { order.push(`write rejected ${err.name}`) })
    await a.stop()
    order.push('stop() resolved')
    await write.catch(() => {})
    expect(order).toEqual(['write:settled ConsensusStoppedError', 'write rejected ConsensusStoppedError', 'node:stopped', 'stop() resolved'])
  })

  it('writes of its own and the shared chain under way when a vehicle of a swarm stops settle before node:stopped', async () => {
    const nodes = await connectedSwarm(cluster, 3, { kBackups: 2, boothSize: 3 })
    await waitFor(() => nodes.every(n => sharedLeader(n) != null), { timeout: 20_000, message: 'a shared-chain leader' })
    const victim = nodes[0]
    const after: string[] = []
    let stopped = false
    victim.addEventListener('write:settled', (e) => { if (stopped) after.push(`${e.detail.chainId} ${e.detail.error ?? 'ok'}`) })
    victim.addEventListener('node:stopped', () => { stopped = true })
    const writes: Array<Promise<unknown>> = []
    for (let i = 0; i < 10; i++) {
      writes.push(victim.put(`k${i}`, new Uint8Array(50_000).fill(i)))
      writes.push(victim.put(`s${i}`, new Uint8Array([i]), { chainId: 'shared' }))
      writes.push(nodes[1].put(`o${i}`, new Uint8Array(50_000).fill(i)))
    }
    for (const w of writes) w.catch(() => {})
    await victim.stop()
    expect(stopped).toBe(true)
    await Promise.allSettled(writes)
    expect(after).toEqual([])
  })

  it('drain() during start() waits for the start and drains the node it started (it returned at once and drained nothing)', async () => {
    const b = await cluster.create()
    await b.start()
    const a = await cluster.create({ bootstrap: [b.multiaddrs[0].toString()] })
    // an embedder told to stop while its node starts: drain, then stop, start still running
    const starting = a.start()
    await a.drain(0)
    await starting
    await waitFor(() => fullyConnected([a, b]), { timeout: 20_000, message: 'a and b connected' })
    // a drained: the write b forwards to a, proposer of its own chain, is not taken
    await expect(b.put('k', new Uint8Array([1]), { chainId: a.peerId.toString(), timeout: 10_000 }))
      .rejects.toMatchObject({ name: 'ProposerUnreachableError', message: expect.stringMatching(/is stopping: the write was not taken/) })
    await a.stop()
    // a start that fails: drain waits for it and drains nothing (nothing started)
    const c = await cluster.create({ listen: [b.multiaddrs[0].decapsulate('/p2p').toString()] })
    const failing = c.start()
    failing.catch(() => {})
    await c.drain(0)
    await expect(failing).rejects.toMatchObject({ name: 'ListenError' })
    expect(c.status).toBe('stopped')
  })

  it("a data dir inside another node's db/ or segments/ folder is DataDirError naming that node's dir, and nothing is made there (that node's next open deleted a dir in its segments/, key and all)", async () => {
    const a = await cluster.create()
    const owner = await realpath(a.config.dataDir)
    for (const [folder, inside] of [['segments', join(owner, 'segments', '7')], ['segments', join(owner, 'segments')], ['db', join(owner, 'db', 'x', 'y')]]) {
      const message = `data dir ${inside} is inside the ${folder}/ folder of the node whose data dir is ${owner}: that node owns what is in it (it would delete it), give this node a dir outside it`
      await expect(createVGuardNode(createBaseOptions({ dataDir: inside })), inside).rejects.toMatchObject({ name: 'DataDirError', message })
      await expect(peerIdOf(inside), inside).rejects.toMatchObject({ name: 'DataDirError', message })
    }
    expect(existsSync(join(owner, 'segments', '7'))).toBe(false)
    expect(existsSync(join(owner, 'db', 'x'))).toBe(false)
    // beside those folders, as before
    const beside = await createVGuardNode(createBaseOptions({ dataDir: join(owner, 'beside') }))
    await beside.stop()
  })

  it('pin and unpin after stop() throw NodeStoppedError like every other call', async () => {
    const a = await cluster.create()
    await a.start()
    await a.put('k', new Uint8Array([1]))
    await a.stop()
    const self = a.peerId.toString()
    await expect(a.get(self, 'k')).rejects.toMatchObject({ name: 'NodeStoppedError' })
    // they reached the closed store: StoreClosedError
    await expect(a.pin(self, { type: 'key', key: 'k' })).rejects.toMatchObject({ name: 'NodeStoppedError' })
    await expect(a.unpin(self, { type: 'key', key: 'k' })).rejects.toMatchObject({ name: 'NodeStoppedError' })
  })

  it('before start(), a read that makes no sense is InvalidReadError, as once started: an unknown consistency was NotStartedError (a start would not have helped)', async () => {
    const a = await cluster.create()
    const self = a.peerId.toString()
    const bad: Array<[() => Promise<unknown>, RegExp]> = [
      [async () => await a.get(self, 'k', { consistency: 'strong' as never }), /^consistency is local, leader or quorum, got "strong"$/],
      [async () => await a.getBlock(self, 1, { consistency: 'Quorum' as never }), /^consistency is local, leader or quorum, got "Quorum"$/],
      [async () => await a.get(self, '', { consistency: 'quorum' }), /^key must be a non-empty string: ""$/],
      [async () => await a.getBlock(self, 0, { consistency: 'leader' }), /^a block height is an integer ≥ 1, got 0$/],
      [async () => await a.get('not-a-vehicle', 'k', { consistency: 'leader' }), /^not a chain of a vehicle \(peer id\) or 'shared': not-a-vehicle$/]
    ]
    for (const [read, message] of bad) await expect(read()).rejects.toMatchObject({ name: 'InvalidReadError', message: expect.stringMatching(message) })
    // a read that makes sense and asks others is refused until start(); a local one reads the disk
    await expect(a.get(self, 'k', { consistency: 'quorum' })).rejects.toMatchObject({ name: 'NotStartedError' })
    await expect(a.getBlock(self, 1, { consistency: 'leader' })).rejects.toMatchObject({ name: 'NotStartedError' })
    expect(await a.get(self, 'k')).toMatchObject({ value: undefined, height: 0 })
  })

  it('before start(), a write that makes no sense is InvalidTransactionError, as once started (it was NotStartedError, keyed ones said an earlier attempt may commit)', async () => {
    const a = await cluster.create()
    const value = new Uint8Array([1])
    const bad: Array<[() => Promise<unknown>, string, RegExp]> = [
      [async () => await a.put('', value), 'InvalidTransactionError', /^transaction 0: key must be a non-empty string$/],
      [async () => await a.put('k', 'text' as never, { idempotencyKey: 'order-1' }), 'InvalidTransactionError', /^transaction 0: value must be bytes \(a Uint8Array\), got string$/],
      [async () => await a.delete('k', { chainID: 'shared' } as never), 'InvalidTransactionError', /^unknown write option "chainID"/],
      [async () => await a.append([{ key: 'k', delete: true } as never]), 'InvalidTransactionError', /^transaction 0: unknown field "delete"/],
      [async () => await a.put('k', value, { idempotencyKey: 'not ascii é' }), 'InvalidIdempotencyKeyError', /^an idempotency key is 1\.\.128 printable ASCII characters/]
    ]
    for (const [write, name, message] of bad) await expect(write()).rejects.toMatchObject({ name, message: expect.stringMatching(message) })
    // a write that makes sense is refused until start(), a keyed one saying an earlier attempt may commit
    await expect(a.put('k', value)).rejects.toMatchObject({ name: 'NotStartedError', mayHaveCommitted: undefined })
    await expect(a.put('k', value, { idempotencyKey: 'order-1' })).rejects.toMatchObject({ name: 'NotStartedError', mayHaveCommitted: true })
  })

  it("node.config cannot be edited (strict code gets a TypeError), nor through the options' arrays: what the node runs with stays what was checked", async () => {
    const peer = (await cluster.create()).peerId.toString()
    const announce = ['/ip4/127.0.0.1/tcp/4001']
    const allowedPeers = [peer]
    const a = await cluster.create({ announce, allowedPeers, commitTimeout: 5_000 })
    const self = a.peerId.toString()
    // the caller's arrays, edited after createVGuardNode: node.config.announce was the same array
    announce.push('/ip4/10.0.0.1/tcp/4001')
    allowedPeers.length = 0
    expect(a.config.announce).toEqual(['/ip4/127.0.0.1/tcp/4001'])
    expect(a.config.allowedPeers).toEqual([peer])
    // a JavaScript embedder tuning a running node: some parts read the config as they go (an end of booth
    // took a participant the allow list pushed here allowed, while the peering kept refusing it), others never saw it
    const edits: Array<() => unknown> = [
      () => { (a.config as { commitTimeout: number }).commitTimeout = 1 },
      () => { (a.config as { network: string }).network = 'elsewhere' },
      () => a.config.allowedPeers?.push(self),
      () => (a.config.announce as string[]).splice(0)
    ]
    for (const edit of edits) expect(edit).toThrow(TypeError)
    expect(a.config).toMatchObject({ commitTimeout: 5_000, network: `test-${process.pid}`, allowedPeers: [peer], announce: ['/ip4/127.0.0.1/tcp/4001'] })
  })

  it('null extras, an unknown extra or a logger that is none is a ConfigError, before anything is made', async () => {
    const dataDir = await cluster.tempDir()
    // null was a TypeError from inside, once the database had opened
    await expect(createVGuardNode(createBaseOptions({ dataDir }), null as never)).rejects.toMatchObject({ name: 'ConfigError', message: 'extras: expected an object ({ logger }), got null' })
    // a misspelt key was ignored
    await expect(createVGuardNode(createBaseOptions({ dataDir }), { loger: {} } as never)).rejects.toMatchObject({ name: 'ConfigError', message: 'extras: unknown key "loger" (it takes logger)' })
    await expect(createVGuardNode(createBaseOptions({ dataDir }), { logger: 5 } as never)).rejects.toMatchObject({ name: 'ConfigError', message: /^extras\.logger:/ })
    // the data dir is usable: nothing of it was held
    const made = await createVGuardNode(createBaseOptions({ dataDir }))
    await made.stop()
  })
})
