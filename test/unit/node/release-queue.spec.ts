/**
 * The proposer's queue of releases not yet acknowledged: a backup it is
 * connected to is told at once and again with backoff until it answers; a
 * backup it is not connected to (a vehicle that drove on) is not dialled
 * until it connects again, also after a restart.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { prefixLogger } from '@libp2p/logger'
import type { Logger, PeerId } from '@libp2p/interface'
import util from 'node:util'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { BackupTableStore, signTable } from '../../../src/backup/index.ts'
import { ReleaseQueue } from '../../../src/node/release-queue.ts'
import type { ReleaseQueueInit } from '../../../src/node/release-queue.ts'
import type { ReleaseOutcome } from '../../../src/protocols/release/index.ts'
import { waitFor } from '../../utils/wait.ts'

async function peer (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

describe('node - release queue', () => {
  let db: NodeDatabase | undefined
  let dir: string | undefined
  const queues: ReleaseQueue[] = []
  afterEach(async () => {
    queues.splice(0).forEach(q => { q.stop() })
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  /** A fresh database with an owner's table of epoch 2 adopted: one backup active, one obsolete (`gone`, owed a release). */
  async function ownerReleasing (): Promise<{ owner: string, gone: string, active: string, tables: BackupTableStore }> {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const [gone, active] = [await peer(), await peer()]
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    await tables.adopt((await signTable(key, owner, { chainId: owner, epoch: 2, active: [active], obsolete: [gone], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed)
    return { owner, gone, active, tables }
  }

  /** A queue over the test's database (its pending sublevel, as the node's), started; stopped in teardown. */
  async function startQueue (init: Omit<ReleaseQueueInit, 'db' | 'log'>): Promise<ReleaseQueue> {
    const q = new ReleaseQueue({ db: (db as NodeDatabase).sublevel('pending'), log: prefixLogger('test').forComponent('releases'), ...init })
    queues.push(q)
    await q.start()
    return q
  }

  it('tells connected backups at once, retrying until they answer; waits for the others to connect, across a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const [near, away, active] = [await peer(), await peer(), await peer()]
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    await tables.adopt((await signTable(key, owner, { chainId: owner, epoch: 2, active: [active], obsolete: [near, away], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed)

    const connected = new Set([near])
    const sent: string[] = []
    let failNext = 1
    const release = async (to: PeerId): Promise<{ epoch: number, deleted: boolean }> => {
      sent.push(to.toString())
      if (failNext-- > 0) throw Object.assign(new Error('no answer'), { name: 'TimeoutError' })
      return { epoch: 2, deleted: true }
    }
    const open = async (): Promise<ReleaseQueue> => await startQueue({ tables, release: { release }, isConnected: (p) => connected.has(p) })
    let queue = await open()
    await queue.update(owner, [near, away], [active])
    // near: a lost answer, then the retry is acknowledged
    await waitFor(() => !queue.peers(owner).includes(near), { message: 'near acknowledged' })
    expect(sent.filter(p => p === near)).toHaveLength(2)
    // away is never dialled while it is not connected
    expect(sent).not.toContain(away)
    expect(queue.list()).toEqual([{ chainId: owner, peerId: away, attempts: 0, offline: true }])

    // a restart: away is still owed its release and still not dialled
    queue.stop()
    queue = await open()
    await waitFor(() => queue.list()[0]?.offline === true, { message: 'away waits after the restart' })
    expect(sent).not.toContain(away)

    connected.add(away)
    queue.peerConnected(away)
    await waitFor(() => queue.list().length === 0, { message: 'away acknowledged once connected' })
    expect(sent.filter(p => p === away)).toHaveLength(1)
  })

  it('a release prepared just as the same backup acknowledged its last one is on disk when prepare() resolves (its delete and the new record reach LevelDB in order)', async () => {
    const { owner, active, tables } = await ownerReleasing()
    // each of these: owed a release, acknowledged, and the next round (which began while it was still owed)
    // prepares one again at the moment its acknowledged one is cleared. classic-level runs each write on the thread
    // pool, so a delete issued first may land after a put issued next (seen here: 1 in 25 to 1 in 8): repeated
    const backups = await Promise.all(Array.from({ length: 200 }, peer))
    let prepared = Promise.withResolvers<void>()
    let acknowledged = (backup: string): void => {}
    const log = Object.assign((format: string, ...args: unknown[]) => {
      const line = util.format(format, ...args)
      const backup = backups.find(p => line.startsWith(`released ${owner} on ${p} `))
      if (backup != null) acknowledged(backup)
    }, { error: () => {}, trace: () => {}, enabled: true }) as unknown as Logger
    const release = async (): Promise<ReleaseOutcome> => ({ epoch: 2, deleted: true })
    const queue = new ReleaseQueue({ db: (db as NodeDatabase).sublevel('pending'), tables, release: { release }, log })
    queues.push(queue)
    await queue.start()
    // logged as the acknowledged release is cleared: the round's prepare() runs right after (a microtask later)
    acknowledged = (backup) => { queueMicrotask(() => { prepared.resolve(queue.prepare(owner, [backup])) }) }
    for (const backup of backups) {
      prepared = Promise.withResolvers<void>()
      await queue.update(owner, [backup], [active])
      await prepared.promise
    }
    // the vehicle stops before the next round's update(): what prepare() persisted is owed after a restart
    queue.stop()
    await (db as NodeDatabase).close()
    db = await openDatabase(dir as string)
    const reopened = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await reopened.open()
    const restarted = await startQueue({ tables: reopened, release: { release }, isConnected: () => false })
    const lost = backups.filter(p => !restarted.peers(owner).includes(p))
    expect(lost).toEqual([])
  })

  it('a backup that connects again is sent its release at once, also while the release backs off after a failure (a vehicle back in range for a short while)', async () => {
    const { owner, gone, active, tables } = await ownerReleasing()
    const sent: string[] = []
    let fail = true
    const release = async (to: PeerId): Promise<{ epoch: number, deleted: boolean }> => {
      sent.push(to.toString())
      if (fail && to.toString() === gone) throw Object.assign(new Error('the connection ended'), { name: 'TimeoutError' })
      return { epoch: 2, deleted: true }
    }
    // a backoff longer than the test waits: only the connection can send it again in time
    const queue = await startQueue({ tables, release: { release }, isConnected: () => true, retryMin: 30_000 })
    await queue.update(owner, [gone], [active])
    await waitFor(() => queue.list()[0]?.attempts === 1, { message: 'the first release failed' })
    fail = false
    queue.peerConnected(gone)
    await waitFor(() => queue.peers(owner).length === 0, { timeout: 10_000, message: 'released once the backup is back, not after the backoff' })
    expect(sent.filter(p => p === gone)).toHaveLength(2)
  })

  it('owes at most maxReleases: past it the oldest owed to a backup not connected now are given up, on disk too', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const gone = await Promise.all([0, 1, 2, 3].map(peer))
    const near = await peer()
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    await tables.adopt((await signTable(key, owner, { chainId: owner, epoch: 2, active: [], obsolete: [...gone, near], height: 1, tipHash: new Uint8Array(32), timestamp: 0 })).signed)
    // the connected one never answers: it stays owed
    const release = async (): Promise<{ epoch: number, deleted: boolean }> => { throw Object.assign(new Error('no answer'), { name: 'TimeoutError' }) }
    const open = async (): Promise<ReleaseQueue> => await startQueue({ tables, release: { release }, isConnected: (p) => p === near, maxReleases: 3 })
    let queue = await open()
    // one round named two, the next three more: five owed
    await queue.update(owner, gone.slice(0, 2), [])
    await queue.update(owner, [...gone.slice(2), near], [])
    expect(queue.peers(owner).sort()).toEqual([gone[3], near].concat(gone[2]).sort())
    // a restart owes the same
    queue.stop()
    queue = await open()
    expect(queue.peers(owner).sort()).toEqual([gone[2], gone[3], near].sort())
  })

  it('a database failure as a refused release is cleared is logged, not an unhandled rejection; the release is owed again after a restart', async () => {
    const { owner, gone, active, tables } = await ownerReleasing()
    const pending = (db as NodeDatabase).sublevel('pending')
    // the disk fails as the acknowledged release's record is removed
    const failing = new Proxy(pending, {
      get (target, prop) {
        if (prop === 'del') return async () => { throw new Error('IO error: No space left on device') }
        const value = Reflect.get(target, prop) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const errors: string[] = []
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      const log = Object.assign(prefixLogger('test').forComponent('releases'), { error: (...args: unknown[]) => { errors.push(args.map(String).join(' ')) } })
      let acknowledged = 0
      // the backup refuses it for good: the entry is cleared
      const release = async (to: PeerId): Promise<{ epoch: number, deleted: boolean }> => {
        acknowledged++
        if (to.toString() === gone) throw Object.assign(new Error('not yours'), { name: 'ReleaseRejectedError' })
        return { epoch: 2, deleted: false }
      }
      const queue = new ReleaseQueue({ db: failing, tables, release: { release }, log })
      queues.push(queue)
      await queue.start()
      await queue.update(owner, [gone], [active])
      await waitFor(() => errors.some(e => e.includes('No space left')), { message: 'the failure logged' })
      await new Promise(resolve => setImmediate(resolve))
      expect(unhandled).toEqual([])
      expect(acknowledged).toBe(2)
      queue.stop()
      // its record stayed on disk: a restarted queue owes that release still (sent again, harmlessly)
      const again = new ReleaseQueue({ db: pending, tables, release: { release: async () => ({ epoch: 2, deleted: false }) }, log: prefixLogger('test').forComponent('releases') })
      queues.push(again)
      await again.start()
      await waitFor(() => again.list().length === 0, { message: 'the release sent again after the restart' })
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('a backup that holds nothing of the chain (its pointer dropped since an earlier release whose answer was lost) ends the release, logged as done, not as an error', async () => {
    const { owner, gone, active, tables } = await ownerReleasing()
    const release = async (to: PeerId): Promise<ReleaseOutcome> => to.toString() === gone ? { epoch: 0, deleted: false, nothingHeld: true } : { epoch: 2, deleted: false, nothingHeld: true }
    const logged: string[] = []
    const errors: string[] = []
    const log = Object.assign((format: string, ...args: unknown[]) => { logged.push(util.format(format, ...args)) }, {
      error: (format: string, ...args: unknown[]) => { errors.push(util.format(format, ...args)) },
      trace: () => {},
      enabled: true
    }) as unknown as Logger
    const queue = new ReleaseQueue({ db: (db as NodeDatabase).sublevel('pending'), tables, release: { release }, log })
    queues.push(queue)
    await queue.start()
    await queue.update(owner, [gone], [active])
    await waitFor(() => queue.list().length === 0 && queue.handOffs(owner).length === 0, { message: 'the release and the hand-off settled' })
    expect(errors).toEqual([])
    expect(logged).toContain(`released ${owner} on ${gone}: it holds nothing of the chain (released before, its forward pointer since dropped)`)
    expect(logged).toContain(`table of ${owner} not handed to ${active}: it holds no copy of the chain`)
  })

  it('a release a newer table overtook on its way (the backup answers STALE) goes again with that table', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const [old, fresh, again] = [await peer(), await peer(), await peer()]
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    const table = async (epoch: number, active: string[], obsolete: string[]): Promise<Uint8Array> =>
      (await signTable(key, owner, { chainId: owner, epoch, active, obsolete, height: epoch, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    await tables.adopt(await table(2, [fresh], [old, again]))
    const sent: Array<[string, number]> = []
    const release = async (to: PeerId, signed: Uint8Array): Promise<{ epoch: number, deleted: boolean }> => {
      const epoch = tables.get(owner)?.table.epoch ?? 0
      sent.push([to.toString(), epoch])
      if (epoch === 2) {
        // the next round's table reaches the backup (gossip) before this release: it holds epoch 3 now
        await tables.adopt(await table(3, [fresh, again], [old]))
        throw Object.assign(new Error('holds epoch 3'), { name: 'StaleReleaseError' })
      }
      return { epoch, deleted: true }
    }
    const logged: string[] = []
    const log = Object.assign((format: string, ...args: unknown[]) => { logged.push(util.format(format, ...args)) }, {
      error: (format: string, ...args: unknown[]) => { logged.push(util.format(format, ...args)) },
      trace: () => {},
      enabled: true
    }) as unknown as Logger
    const queue = new ReleaseQueue({ db: db.sublevel('pending'), tables, release: { release }, log })
    queues.push(queue)
    await queue.start()
    await queue.update(owner, [old, again], [fresh])
    await waitFor(() => queue.list().length === 0 && logged.includes(`handed table 3 of ${owner} to ${again}`) && queue.handOffs(owner).length === 0, { message: 'every release settled', state: () => ({ sent, logged }) })
    // old is told again with epoch 3, which still names it obsolete; again, active in epoch 3, keeps its copy: it is
    // handed that table, not released. Until 2026-12-03 this said "again is sent nothing of epoch 3", true only
    // while its hand-off had not gone yet (the wait ended once the releases had: a note of an earlier session)
    expect(sent.filter(([p]) => p === old).map(([, e]) => e)).toEqual([2, 3])
    expect(sent.filter(([p]) => p === again).map(([, e]) => e)).toEqual([2, 3])
    expect(logged.filter(line => line.startsWith(`released ${owner} on ${again}`))).toEqual([])
    expect(logged).toContain(`released ${owner} on ${old} (epoch 3, deleted true)`)
  })

  it('hands each round\'s table to its active backups until each acknowledges it (in memory only); one obsolete in the next round gets a release instead', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const [b, c, d] = [await peer(), await peer(), await peer()]
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    const table = async (epoch: number, active: string[], obsolete: string[]): Promise<Uint8Array> =>
      (await signTable(key, owner, { chainId: owner, epoch, active, obsolete, height: epoch, tipHash: new Uint8Array(32), timestamp: 0 })).signed
    await tables.adopt(await table(1, [b, c], []))
    const connected = new Set([b, c])
    const sent: Array<[string, number]> = []
    let lost = 2
    const release = async (to: PeerId, signed: Uint8Array): Promise<{ epoch: number, deleted: boolean }> => {
      const epoch = (await tables.adopt(signed, owner, { durable: false })).table.table.epoch
      sent.push([to.toString(), epoch])
      // the first two hand-offs are lost on the way
      if (lost-- > 0) throw Object.assign(new Error('no answer'), { name: 'TimeoutError' })
      return { epoch, deleted: false }
    }
    const open = async (): Promise<ReleaseQueue> => await startQueue({ tables, release: { release }, isConnected: (p) => connected.has(p) })
    let queue = await open()
    await queue.update(owner, [], [b, c])
    await waitFor(() => queue.handOffs(owner).length === 0, { message: 'both acknowledged the table' })
    expect(sent.filter(([p]) => p === b)).toHaveLength(2)
    expect(sent.filter(([p]) => p === c)).toHaveLength(2)
    // hand-offs are not releases: nothing listed, nothing on disk
    expect(queue.peers(owner)).toEqual([])
    expect(queue.list()).toEqual([])

    // the next round: c obsolete (and away), d active but away: c's entry is a release (persisted), d's a hand-off waiting for it
    connected.delete(c)
    await tables.adopt(await table(2, [b, d], [c]))
    await queue.update(owner, [c], [b, d])
    await waitFor(() => !queue.handOffs(owner).includes(b), { message: 'b acknowledged epoch 2' })
    expect(queue.handOffs(owner)).toEqual([d])
    expect(queue.peers(owner)).toEqual([c])
    queue.stop()
    queue = await open()
    // a restart keeps the release and forgets the hand-off (the node hands its own table again at start)
    expect(queue.peers(owner)).toEqual([c])
    expect(queue.handOffs(owner)).toEqual([])
    queue.handOff(owner, [b, d])
    connected.add(d)
    queue.peerConnected(d)
    await waitFor(() => queue.handOffs(owner).length === 0, { message: 'd got epoch 2 once connected' })
    expect(sent.filter(([p, e]) => p === d && e === 2)).toHaveLength(1)
    expect(sent).not.toContainEqual([c, 2])
  })

  it('a hand-off the backup answers STALE (it holds or is being offered a newer table) ends without a retry', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const b = await peer()
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    await tables.adopt((await signTable(key, owner, { chainId: owner, epoch: 4, active: [b], obsolete: [], height: 4, tipHash: new Uint8Array(32), timestamp: 0 })).signed)
    let calls = 0
    const release = async (): Promise<{ epoch: number, deleted: boolean }> => {
      calls++
      throw Object.assign(new Error('replicating epoch 5'), { name: 'StaleReleaseError' })
    }
    const queue = new ReleaseQueue({ db: db.sublevel('pending'), tables, release: { release }, log: prefixLogger('test').forComponent('releases') })
    queues.push(queue)
    await queue.start()
    queue.handOff(owner, [b])
    await waitFor(() => queue.handOffs(owner).length === 0, { message: 'the hand-off ended' })
    expect(calls).toBe(1)
  })

  it('releases prepared by a round that died before its table: a backup still active in the table held is handed it, the others released', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-releases-'))
    db = await openDatabase(dir)
    const key = await generateKeyPair('Ed25519')
    const owner = peerIdFromPrivateKey(key).toString()
    const [still, gone] = [await peer(), await peer()]
    const tables = new BackupTableStore(db.sublevel('tables'), { self: owner, kept: db.sublevel('kept') })
    await tables.open()
    await tables.adopt((await signTable(key, owner, { chainId: owner, epoch: 3, active: [still], obsolete: [gone], height: 3, tipHash: new Uint8Array(32), timestamp: 0 })).signed)
    const sent: string[] = []
    const release = async (to: PeerId): Promise<{ epoch: number, deleted: boolean }> => {
      sent.push(to.toString())
      return { epoch: 3, deleted: true }
    }
    const open = async (): Promise<ReleaseQueue> => await startQueue({ tables, release: { release } })
    const before = await open()
    // the round of epoch 4 would have made both obsolete; it died before adopting its table
    await before.prepare(owner, [still, gone])
    expect(sent).toEqual([])
    before.stop()
    const after = await open()
    const onDisk = async (): Promise<Uint8Array[]> => await (db as NodeDatabase).sublevel('pending').keys().all()
    // the end of it: nothing on disk (read first), both sent, nothing in memory. Memory alone said "both ended" in
    // between: the queue drops the release to `still` from memory, deletes its key, and only then hands it the table;
    // a loaded thread pool's delete outlasted a poll, and `still` had not been sent yet (a flake, 2026-12-03)
    await waitFor(async () => (await onDisk()).length === 0 && sent.length === 2 && after.list().length === 0 && after.handOffs(owner).length === 0, {
      message: 'both entries ended',
      state: () => ({ sent, releases: after.list(), handOffs: after.handOffs(owner) })
    })
    expect(sent.sort()).toEqual([still, gone].sort())
    // the one still active was handed the table, not released: nothing is left on disk for it
    expect(await onDisk()).toEqual([])
  })
})
