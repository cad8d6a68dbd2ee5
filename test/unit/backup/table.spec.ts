import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { heldPoint, signTable, verifyTable, BackupTableStore, InvalidBackupTableError, SignedBackupTable, BackupTable, rankBackupCandidates } from '../../../src/backup/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { BinarySublevel, NodeDatabase } from '../../../src/storage/database.ts'
import type { BackupTableStoreInit } from '../../../src/backup/store.ts'
import type { AbstractBatchOperation } from 'abstract-level'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'
import { LevelChainStore } from '../../../src/storage/level.ts'
import { chainOf } from '../storage/helpers.ts'

/** Backups a table names: peer ids as their peers write them (nothing else verifies). */
const [bId, cId, dId, eId, fId, mId] = await madeUpPeerIds(6)

async function identity (): Promise<{ key: PrivateKey, id: string }> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key).toString() }
}

async function table (owner: { key: PrivateKey, id: string }, epoch: number, chainId = owner.id): Promise<Uint8Array> {
  const t = await signTable(owner.key, owner.id, { chainId, epoch, active: [bId, cId], obsolete: [eId, fId], height: 7, tipHash: new Uint8Array(32), timestamp: 1 })
  return t.signed
}

describe('backup - table', () => {
  it('verifies a table signed by the chain owner', async () => {
    const a = await identity()
    const verified = await verifyTable(await table(a, 3))
    expect(verified.table).toMatchObject({ chainId: a.id, epoch: 3, proposer: a.id, active: [bId, cId], obsolete: [eId, fId], height: 7 })
  })

  it('hands out the envelope in its one encoding: fields added to it (it is not signed) change nothing (a review)', async () => {
    const a = await identity()
    const signed = await table(a, 2)
    // an unknown field (number 15, varint 1) appended to the envelope
    const padded = Uint8Array.from([...signed, 15 << 3, 1])
    const verified = await verifyTable(padded, a.id)
    expect(verified.table.epoch).toBe(2)
    expect(Buffer.from(verified.signed).equals(Buffer.from(signed))).toBe(true)
  })

  it('rejects a table signed by someone else, a tampered one, one for a chain the signer does not own, and garbage', async () => {
    const a = await identity()
    const m = await identity()
    // m signs but claims to be a
    const forged = await signTable(m.key, a.id, { chainId: a.id, epoch: 9, active: [mId], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 1 })
    await expect(verifyTable(forged.signed)).rejects.toMatchObject({ name: 'InvalidBackupTableError', reason: 'BadSignature' })
    // m signs honestly, for a's chain
    await expect(verifyTable(await table(m, 9, a.id))).rejects.toMatchObject({ reason: 'NotOwner' })
    // tampered epoch after signing
    const outer = SignedBackupTable.decode(await table(a, 2))
    const inner = BackupTable.decode(outer.table)
    const tampered = SignedBackupTable.encode({ table: BackupTable.encode({ ...inner, epoch: 99 }), signature: outer.signature })
    await expect(verifyTable(tampered)).rejects.toMatchObject({ reason: 'BadSignature' })
    await expect(verifyTable(Uint8Array.from([1, 2, 3]))).rejects.toThrow(InvalidBackupTableError)
    await expect(verifyTable(new Uint8Array(32 * 1024))).rejects.toMatchObject({ reason: 'Oversized' })
  })

  it('names how far its backups hold the chain when a round refreshed none, below its tip; a held point not below it is malformed', async () => {
    const a = await identity()
    const tip = new Uint8Array(32).fill(7)
    const before = new Uint8Array(32).fill(5)
    const fresh = await signTable(a.key, a.id, { chainId: a.id, epoch: 2, active: [bId], obsolete: [], height: 9, tipHash: tip, timestamp: 1 })
    expect(heldPoint((await verifyTable(fresh.signed)).table)).toEqual({ height: 9, hash: tip })
    const kept = await signTable(a.key, a.id, { chainId: a.id, epoch: 3, active: [bId], obsolete: [], height: 12, tipHash: tip, timestamp: 1, held: { height: 9, hash: before } })
    expect(heldPoint((await verifyTable(kept.signed)).table)).toEqual({ height: 9, hash: before })
    // no backup ever: held at the chain's start
    const none = await signTable(a.key, a.id, { chainId: a.id, epoch: 1, active: [], obsolete: [], height: 3, tipHash: tip, timestamp: 1, held: { height: 0, hash: new Uint8Array(0) } })
    expect(heldPoint((await verifyTable(none.signed)).table)).toEqual({ height: 0, hash: new Uint8Array(0) })
    // a held point at the tip is no held point: not written
    const same = await signTable(a.key, a.id, { chainId: a.id, epoch: 4, active: [bId], obsolete: [], height: 9, tipHash: tip, timestamp: 1, held: { height: 9, hash: tip } })
    expect(same.table.heldHeight).toBeUndefined()
    for (const bad of [{ heldHeight: 12, heldTipHash: before }, { heldHeight: 13, heldTipHash: before }, { heldHeight: 4 }, { heldHeight: 0, heldTipHash: before }]) {
      const inner = BackupTable.encode({ chainId: a.id, epoch: 5, proposer: a.id, active: [bId], obsolete: [], height: 12, tipHash: tip, timestamp: 1, ...bad })
      const prefix = new TextEncoder().encode('vguard-backup-table/1:')
      const signature = await a.key.sign(Uint8Array.from([...prefix, ...inner]))
      await expect(verifyTable(SignedBackupTable.encode({ table: inner, signature: signature as Uint8Array<ArrayBuffer> }))).rejects.toMatchObject({ reason: 'Malformed', message: expect.stringMatching(/held height/) })
    }
  })

  it('rejects a table naming a backup that is no peer id as its peer writes it, one named twice, or its own owner (a review)', async () => {
    const a = await identity()
    const asCid = peerIdFromString(bId).toCID().toString()
    const cases: Array<[string[], string[], RegExp]> = [
      [['B'], [], /backup "B" is not a peer id/],
      [[bId, asCid], [], /is not a peer id as its peer writes it/],
      [[bId], [bId], /named twice/],
      [[bId, bId], [], /named twice/],
      [[a.id], [], /owner names itself/]
    ]
    for (const [active, obsolete, message] of cases) {
      const t = await signTable(a.key, a.id, { chainId: a.id, epoch: 1, active, obsolete, height: 1, tipHash: new Uint8Array(32), timestamp: 1 })
      await expect(verifyTable(t.signed)).rejects.toMatchObject({ name: 'InvalidBackupTableError', reason: 'Malformed', message: expect.stringMatching(message) })
    }
  })

  it('shows the names a forged table carries (its proposer, its chain, a backup) escaped and cut, in the errors it is rejected with', async () => {
    const a = await identity()
    // colours, a forged log line, a bidi override, and far more than any id (two of them fit in a table)
    const hostile = `\u001b[31m\r\nINFO table ok\u202e\u0085${'x'.repeat(6_000)}`
    // eslint-disable-next-line no-control-regex
    const raw = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
    const rejected = async (init: { proposer?: string, chainId?: string, active?: string[] }, expected?: string): Promise<string> => {
      const t = await signTable(a.key, init.proposer ?? a.id, { chainId: init.chainId ?? a.id, epoch: 1, active: init.active ?? [bId], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 1 })
      const err = await verifyTable(t.signed, expected).then(() => undefined, (e: Error) => e)
      expect(err?.name).toBe('InvalidBackupTableError')
      const message = err?.message ?? ''
      expect(message).not.toMatch(raw)
      expect(message).toContain('\\u001b[31m\\u000d\\u000aINFO table ok\\u202e\\u0085')
      expect(message).toMatch(/… \[\d+ more characters cut\]/)
      expect(message.length).toBeLessThan(600)
      return message
    }
    expect(await rejected({ proposer: hostile, chainId: hostile })).toMatch(/proposer \\u001b.* is not a peer id$/)
    expect(await rejected({ proposer: hostile })).toMatch(/^Invalid backup table: \\u001b.* does not own chain /)
    expect(await rejected({ chainId: hostile }, a.id)).toMatch(/^Invalid backup table: for chain \\u001b.*, expected /)
    expect(await rejected({ active: [hostile] })).toMatch(/backup "\\u001b.*" is not a peer id as its peer writes it$/)
  })

  it('rejects a table whose chain is its owner\'s id written another way (a CID): that names no chain', async () => {
    const a = await identity()
    const cid = peerIdFromPrivateKey(a.key).toCID().toString()
    const t = await signTable(a.key, cid, { chainId: cid, epoch: 1, active: [bId], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 1 })
    await expect(verifyTable(t.signed)).rejects.toMatchObject({ name: 'InvalidBackupTableError', reason: 'Malformed', message: expect.stringContaining(`is not written as ${a.id}`) })
  })
})

/** The real sublevel, with each put's sync option noted in `syncs` on the way through. */
function recordingSyncs (sublevel: BinarySublevel, syncs: boolean[]): BinarySublevel {
  return new Proxy(sublevel, {
    get (target, prop) {
      const real: unknown = Reflect.get(target, prop, target)
      if (prop === 'batch') {
        return async (ops: Array<AbstractBatchOperation<BinarySublevel, Uint8Array, Uint8Array>>, options: { sync?: boolean } = {}) => {
          syncs.push(options.sync === true)
          await target.batch(ops, options as Record<string, unknown>)
        }
      }
      if (prop !== 'put') return typeof real === 'function' ? real.bind(target) : real
      return async (key: Uint8Array, value: Uint8Array, options: { sync?: boolean } = {}) => {
        syncs.push(options.sync === true)
        await target.put(key, value, options as Record<string, unknown>)
      }
    }
  })
}

describe('backup - store', () => {
  let dir: string
  let db: NodeDatabase | undefined
  afterEach(async () => {
    await db?.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Closes the database and loads the table store again from disk. */
  async function reopenStore (): Promise<BackupTableStore> {
    await db?.close()
    db = await openDatabase(dir)
    const store = new BackupTableStore(db.sublevel('backup-tables'))
    await store.open()
    return store
  }

  it('opens past a stored table that no longer verifies (an earlier version took it), and forgets it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const a = await identity()
    const cid = peerIdFromPrivateKey(a.key).toCID().toString()
    const old = await signTable(a.key, cid, { chainId: cid, epoch: 1, active: [bId], obsolete: [], height: 1, tipHash: new Uint8Array(32), timestamp: 1 })
    await db.sublevel('backup-tables').put(new TextEncoder().encode(cid), old.signed)
    const store = new BackupTableStore(db.sublevel('backup-tables'))
    await store.adopt(await table(a, 3))
    const reopened = await reopenStore()
    expect(reopened.get(cid)).toBeUndefined()
    expect(reopened.get(a.id)?.table.epoch).toBe(3)
    const left: Uint8Array[] = []
    for await (const key of db!.sublevel('backup-tables').keys()) left.push(key)
    expect(left.map(k => new TextDecoder().decode(k))).toEqual([a.id])
  })

  it('keeps only strictly newer epochs, persisted across reopen', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const a = await identity()
    const store = new BackupTableStore(db.sublevel('backup-tables'))
    await store.open()
    expect((await store.adopt(await table(a, 2))).adopted).toBe(true)
    expect((await store.adopt(await table(a, 2))).adopted).toBe(false)
    const stale = await store.adopt(await table(a, 1))
    expect(stale.adopted).toBe(false)
    expect(stale.table.table.epoch).toBe(2)
    await expect(store.adopt(Uint8Array.from([9, 9]))).rejects.toThrow(InvalidBackupTableError)
    expect(store.get(a.id)?.table.epoch).toBe(2)
    expect((await reopenStore()).get(a.id)?.table.epoch).toBe(2)
  })

  it('writes a table heard as a hint without sync, and with sync once a caller counts on it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const a = await identity()
    const syncs: boolean[] = []
    const store = new BackupTableStore(recordingSyncs(db.sublevel('backup-tables'), syncs))
    await store.open()
    await store.adopt(await table(a, 2), a.id, { durable: false })
    expect(syncs).toEqual([false])
    // the same table, now from a caller that acts on it: written again, with sync
    expect((await store.adopt(await table(a, 2), a.id)).adopted).toBe(false)
    expect(syncs).toEqual([false, true])
    // durable already: nothing to write
    await store.adopt(await table(a, 2), a.id)
    expect(syncs).toEqual([false, true])
    await store.adopt(await table(a, 3), a.id)
    await store.adopt(await table(a, 4), a.id, { durable: false })
    await store.adopt(await table(a, 4), a.id, { keep: true })
    expect(syncs).toEqual([false, true, true, false, true])
    expect((await reopenStore()).get(a.id)?.table.epoch).toBe(4)
  })

  it('writes with sync a table heard as a hint that names this node: it claims our copy', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const [a, self] = [await identity(), await identity()]
    const syncs: boolean[] = []
    const store = new BackupTableStore(recordingSyncs(db.sublevel('backup-tables'), syncs), { self: self.id })
    await store.open()
    await store.adopt(await named(a, 1, [bId, cId]), a.id, { durable: false })
    await store.adopt(await named(a, 2, [self.id, cId]), a.id, { durable: false })
    await store.adopt(await named(a, 3, [bId, cId], [self.id]), a.id, { durable: false })
    expect(syncs).toEqual([false, true, true])
  })

  /** A table of `owner`'s chain naming `active` and `obsolete`. */
  async function named (owner: { key: PrivateKey, id: string }, epoch: number, active: string[], obsolete: string[] = []): Promise<Uint8Array> {
    return (await signTable(owner.key, owner.id, { chainId: owner.id, epoch, active, obsolete, height: epoch, tipHash: new Uint8Array(32), timestamp: 1 })).signed
  }

  it('forgets the hint adopted longest ago past its cap, on disk too; a newer epoch moves a hint to the back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const init = { self: 'me', kept: db.sublevel('kept'), maxHints: 3 }
    const store = new BackupTableStore(db.sublevel('backup-tables'), init)
    await store.open()
    const owners = await Promise.all([0, 1, 2, 3, 4].map(async () => await identity()))
    for (const o of owners.slice(0, 3)) await store.adopt(await named(o, 1, [bId]))
    // owners[0]'s chain moves on: now owners[1]'s table is the oldest adopted
    expect((await store.adopt(await named(owners[0], 2, [cId]))).adopted).toBe(true)
    const fourth = await store.adopt(await named(owners[3], 1, [bId]))
    expect(fourth.adopted).toBe(true)
    expect(store.get(owners[1].id)).toBeUndefined()
    expect(store.all().map(t => t.table.chainId).sort()).toEqual([owners[0], owners[2], owners[3]].map(o => o.id).sort())
    expect(store.hintCount).toBe(3)
    // a forgotten hint is adopted again as new
    expect((await store.adopt(await named(owners[1], 1, [bId]))).adopted).toBe(true)
    expect(store.get(owners[2].id)).toBeUndefined()

    await db.close()
    db = await openDatabase(dir)
    const reopened = new BackupTableStore(db.sublevel('backup-tables'), { ...init, kept: db.sublevel('kept') })
    await reopened.open()
    expect(reopened.all().map(t => t.table.chainId).sort()).toEqual([owners[0], owners[1], owners[3]].map(o => o.id).sort())
    // a lower cap than the last run's: the store trims at open, on disk too
    await db.close()
    db = await openDatabase(dir)
    const smaller = new BackupTableStore(db.sublevel('backup-tables'), { ...init, kept: db.sublevel('kept'), maxHints: 1 })
    await smaller.open()
    expect(smaller.hintCount).toBe(1)
    let onDisk = 0
    for await (const key of db.sublevel('backup-tables').keys()) onDisk += key.byteLength > 0 ? 1 : 0
    expect(onDisk).toBe(1)
  })

  it('keeps, past any cap and across restarts, its own chain, chains whose table ever named it, and chains it was released from', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const self = await identity()
    const [backedUp, releasedUs, releasedUnnamed] = await Promise.all([0, 1, 2].map(async () => await identity()))
    const others = await Promise.all([0, 1, 2, 3].map(async () => await identity()))
    const open = async (): Promise<BackupTableStore> => {
      const store = new BackupTableStore((db as NodeDatabase).sublevel('backup-tables'), { self: self.id, kept: (db as NodeDatabase).sublevel('kept'), maxHints: 2 })
      await store.open()
      return store
    }
    let store = await open()
    await store.adopt(await named(self, 1, [bId, cId]))
    await store.adopt(await named(backedUp, 1, [self.id, cId]))
    await store.adopt(await named(releasedUs, 1, [bId], [self.id]))
    // a release from the owner whose table does not list us (more obsolete backups than a table names)
    await store.adopt(await named(releasedUnnamed, 3, [bId]), releasedUnnamed.id, { keep: true })
    // a later epoch that no longer names us: the chain stays kept (we hold its copy or its forward pointer)
    await store.adopt(await named(backedUp, 2, [bId, cId], [dId]))
    for (const o of others) await store.adopt(await named(o, 1, [bId]))
    const keptIds = [self, backedUp, releasedUs, releasedUnnamed].map(o => o.id)
    const held = (s: BackupTableStore): string[] => s.all().map(t => t.table.chainId).sort()
    expect(held(store)).toEqual([...keptIds, others[2].id, others[3].id].sort())
    expect(store.hintCount).toBe(2)
    expect(store.get(backedUp.id)?.table.epoch).toBe(2)

    await db.close()
    db = await openDatabase(dir)
    store = await open()
    expect(held(store)).toEqual([...keptIds, others[2].id, others[3].id].sort())
    // more hints after the restart push out hints only
    for (const o of others.slice(0, 2)) await store.adopt(await named(o, 1, [bId]))
    expect(held(store)).toEqual([...keptIds, others[0].id, others[1].id].sort())
  })

  it('takes a table that names it for a chain it does not hold for a hint: tables signed by made-up keys do not pile up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const self = await identity()
    const held = await identity()
    const store = new BackupTableStore(db.sublevel('backup-tables'), { self: self.id, kept: db.sublevel('kept'), maxHints: 2, holds: (id) => id === held.id })
    await store.open()
    await store.adopt(await named(held, 1, [self.id]))
    const forged = await Promise.all([0, 1, 2, 3].map(async () => await identity()))
    for (const [i, o] of forged.entries()) await store.adopt(await named(o, 1, i % 2 === 0 ? [self.id] : [bId], i % 2 === 0 ? [] : [self.id]))
    expect(store.all().map(t => t.table.chainId).sort()).toEqual([held.id, forged[2].id, forged[3].id].sort())
    expect(store.hintCount).toBe(2)
  })
  it('keeps at most maxPointers forward pointers, the least recently adopted or used dropped first, on disk too and across restarts; never its own chain or a chain it holds a copy of', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const self = await identity()
    const copies = new Set<string>()
    const init = (d: NodeDatabase): BackupTableStoreInit => ({ self: self.id, kept: d.sublevel('kept'), order: d.sublevel('order'), maxHints: 2, maxPointers: 3, holds: (id) => copies.has(id) })
    let store = new BackupTableStore(db.sublevel('backup-tables'), init(db))
    await store.open()
    const [backedUp, unnamedCopy] = await Promise.all([0, 1].map(async () => await identity()))
    const released = await Promise.all([0, 1, 2, 3, 4, 5].map(async () => await identity()))
    // held first, so the oldest adopted: a copy we hold never gives way, named or not
    copies.add(backedUp.id).add(unnamedCopy.id)
    await store.adopt(await named(self, 1, [bId]))
    await store.adopt(await named(backedUp, 1, [self.id]))
    await store.adopt(await named(unnamedCopy, 1, [bId]))
    // released as the release service does: the table kept, then the copy deleted
    const release = async (o: { key: PrivateKey, id: string }): Promise<void> => {
      copies.add(o.id)
      await store.adopt(await named(o, 2, [bId], [self.id]), o.id, { keep: true })
      copies.delete(o.id)
      await store.copyGone(o.id)
    }
    for (const o of released.slice(0, 4)) await release(o)
    const held = (s: BackupTableStore): string[] => s.all().map(t => t.table.chainId).sort()
    const pinned = [self, backedUp, unnamedCopy].map(o => o.id)
    expect(held(store)).toEqual([...pinned, ...released.slice(1, 4).map(o => o.id)].sort())
    expect(store.pointerCount).toBe(3)
    expect(store.isKept(released[0].id)).toBe(false)
    // a reader redirected by released[1]'s pointer: it is used, so released[2] is the least recently used now
    await store.used(released[1].id)
    await release(released[4])
    expect(held(store)).toEqual([...pinned, released[1].id, released[3].id, released[4].id].sort())
    // hints do not push pointers out
    for (const o of await Promise.all([0, 1, 2].map(async () => await identity()))) await store.adopt(await named(o, 1, [bId]), o.id, { durable: false })
    expect(store.pointerCount).toBe(3)
    expect(store.hintCount).toBe(2)

    // the same after a restart, and the order too: the next release drops released[3], adopted longest ago
    await db.close()
    db = await openDatabase(dir)
    store = new BackupTableStore(db.sublevel('backup-tables'), init(db))
    await store.open()
    expect(store.pointerCount).toBe(3)
    expect(store.hintCount).toBe(2)
    expect(held(store).filter(id => !pinned.includes(id) && store.isKept(id))).toEqual([released[1].id, released[3].id, released[4].id].sort())
    await release(released[5])
    expect(store.get(released[3].id)).toBeUndefined()
    expect(held(store).filter(id => store.isKept(id))).toEqual([self.id, backedUp.id, released[1].id, released[4].id, released[5].id].sort())
    // what was dropped is gone from every sublevel: tables, markers and order alike
    const keys = async (name: string): Promise<string[]> => {
      const found: string[] = []
      for await (const key of (db as NodeDatabase).sublevel(name).keys()) found.push(new TextDecoder().decode(key))
      return found.sort()
    }
    expect(await keys('backup-tables')).toEqual(held(store))
    expect(await keys('order')).toEqual(held(store))
    expect(await keys('kept')).toEqual([self.id, backedUp.id, released[1].id, released[4].id, released[5].id].sort())
  })

  it('counts and drops only tables not pinned: one a copy pins since it was filed leaves its order at once, goes back last when the copy goes, and a restart gives the same counts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const self = await identity()
    // pinned as the node pins: a chain its chain store holds a copy of
    let chains = await LevelChainStore.open(db)
    const init = (d: NodeDatabase): BackupTableStoreInit => ({ self: self.id, kept: d.sublevel('kept'), order: d.sublevel('order'), maxHints: 2, maxPointers: 3, holds: (id) => chains.copyId(id) != null })
    let store = new BackupTableStore(db.sublevel('backup-tables'), init(db))
    await store.open()
    const [a, b, c, d, e, f] = await Promise.all([0, 1, 2, 3, 4, 5].map(async () => await identity()))
    const pointer = async (o: { key: PrivateKey, id: string }, epoch = 1): Promise<void> => { await store.adopt(await named(o, epoch, [bId], [self.id]), o.id, { keep: true }) }
    const held = (s: BackupTableStore): string[] => s.all().map(t => t.table.chainId).sort()
    const ids = (...os: Array<{ id: string }>): string[] => os.map(o => o.id).sort()
    for (const o of [a, b, c]) await pointer(o)
    expect(store.pointerCount).toBe(3)
    // b's owner chose us again: a copy of b's chain arrives
    await chains.appendMany(chainOf(b.id, 2))
    expect(store.pointerCount).toBe(2)
    await pointer(d)
    expect(held(store)).toEqual(ids(a, b, c, d))
    expect(store.pointerCount).toBe(3)
    await pointer(e)
    // a is the unpinned pointer used longest ago; b, pinned, is no pointer while the copy lasts
    expect(held(store)).toEqual(ids(b, c, d, e))
    expect(store.pointerCount).toBe(3)

    const restart = async (): Promise<void> => {
      await chains.close()
      await db?.close()
      db = await openDatabase(dir)
      chains = await LevelChainStore.open(db)
      store = new BackupTableStore(db.sublevel('backup-tables'), init(db))
      await store.open()
    }
    await restart()
    expect(held(store)).toEqual(ids(b, c, d, e))
    expect(store.pointerCount).toBe(3)

    // the copy released: b is a pointer again, the newest, so c (used longest ago) gives way
    await chains.deleteChain(b.id)
    await store.copyGone(b.id)
    expect(held(store)).toEqual(ids(b, d, e))
    expect(store.pointerCount).toBe(3)
    await restart()
    expect(held(store)).toEqual(ids(b, d, e))
    expect(store.pointerCount).toBe(3)
    // the order survived the restart: b is newer than d and e
    await pointer(f)
    expect(held(store)).toEqual(ids(b, e, f))

    // hints alike: one a copy pins leaves the count, and the next hint pushes out no other
    const [h1, h2, h3] = await Promise.all([0, 1, 2].map(async () => await identity()))
    for (const o of [h1, h2]) await store.adopt(await named(o, 1, [bId]), o.id, { durable: false })
    expect(store.hintCount).toBe(2)
    await chains.appendMany(chainOf(h1.id, 1))
    expect(store.hintCount).toBe(1)
    await store.adopt(await named(h3, 1, [bId]), h3.id, { durable: false })
    expect(held(store)).toEqual(ids(b, e, f, h1, h2, h3))
    expect([store.pointerCount, store.hintCount]).toEqual([3, 2])
    await restart()
    expect(held(store)).toEqual(ids(b, e, f, h1, h2, h3))
    expect([store.pointerCount, store.hintCount]).toEqual([3, 2])
    await chains.close()
  })

  it('takes back in memory what a batch that fails would have changed: the table, its marker and the pointer it dropped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-tables-'))
    db = await openDatabase(dir)
    const self = await identity()
    let failNext = false
    const tables = new Proxy(db.sublevel('backup-tables'), {
      get (target, prop) {
        const real: unknown = Reflect.get(target, prop, target)
        if (prop !== 'batch') return typeof real === 'function' ? real.bind(target) : real
        return async (...args: Parameters<BinarySublevel['batch']>) => {
          if (failNext) throw new Error('disk failed')
          await target.batch(...args)
        }
      }
    })
    const init = (d: NodeDatabase): BackupTableStoreInit => ({ self: self.id, kept: d.sublevel('kept'), order: d.sublevel('order'), maxPointers: 1, holds: () => false })
    const store = new BackupTableStore(tables, init(db))
    await store.open()
    const [first, second] = await Promise.all([0, 1].map(async () => await identity()))
    await store.adopt(await named(first, 1, [bId]), first.id, { keep: true })
    failNext = true
    await expect(store.adopt(await named(second, 1, [bId]), second.id, { keep: true })).rejects.toThrow('disk failed')
    expect(store.get(second.id)).toBeUndefined()
    expect(store.isKept(second.id)).toBe(false)
    expect(store.get(first.id)?.table.epoch).toBe(1)
    expect(store.pointerCount).toBe(1)
    // tried again, it is adopted and kept as it would have been, on disk too
    failNext = false
    await store.adopt(await named(second, 1, [bId]), second.id, { keep: true })
    expect(store.get(first.id)).toBeUndefined()
    await db.close()
    db = await openDatabase(dir)
    const reopened = new BackupTableStore(db.sublevel('backup-tables'), init(db))
    await reopened.open()
    expect(reopened.all().map(t => t.table.chainId)).toEqual([second.id])
    expect(reopened.isKept(second.id)).toBe(true)
  })
})

describe('backup - select', () => {
  it('never picks the proposer, skips full vehicles, keeps current backups first, then the least loaded', () => {
    const ranked = rankBackupCandidates({
      self: 'a',
      chainBytes: 100,
      current: ['c'],
      random: () => 0.5,
      candidates: [
        { peerId: 'a', free: 1e9 },
        { peerId: 'b', free: 1e9, load: 500 },
        { peerId: 'c', free: 1e9, load: 900 },
        { peerId: 'd', free: 10 },
        { peerId: 'e', free: 1e9, load: 0 }
      ]
    })
    expect(ranked).toEqual(['c', 'e', 'b'])
  })

  it('keeps a current backup whose advertised free space (which excludes its copy) is below the chain size', () => {
    const ranked = rankBackupCandidates({
      self: 'a',
      chainBytes: 3_000_000,
      current: ['c'],
      random: () => 0.5,
      candidates: [{ peerId: 'b', free: 2_000_000 }, { peerId: 'c', free: 2_000_000 }]
    })
    expect(ranked).toEqual(['c'])
  })

  it('breaks ties at random', () => {
    const seen = new Set<string>()
    let x = 0
    const random = (): number => { x = (x * 9301 + 49297) % 233280; return x / 233280 }
    for (let i = 0; i < 50; i++) {
      seen.add(rankBackupCandidates({ self: 'a', chainBytes: 1, random, candidates: ['b', 'c', 'd', 'e'].map(peerId => ({ peerId })) })[0])
    }
    expect(seen.size).toBeGreaterThan(1)
  })
})
