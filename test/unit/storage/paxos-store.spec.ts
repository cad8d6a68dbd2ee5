/**
 * One contract for every PaxosStorage: the consensus module's
 * MemoryPaxosStorage and the node's LevelPaxosStorage give the same state
 * for the same saves; the LevelDB one also survives a reopen.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryPaxosStorage, ZERO_BALLOT } from '../../../src/consensus/index.ts'
import type { Entry, HardState, PaxosStorage, Persist } from '../../../src/consensus/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { BinarySublevel, NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStore, InvalidChainIdError, PAXOS_SUBLEVEL, decodeEntry, encodeEntry } from '../../../src/storage/paxos-store.ts'
import { StoredEntry } from '../../../src/storage/pb/paxos.ts'

const enc = new TextEncoder()

function hard (over: Partial<HardState> = {}): HardState {
  return { promised: { round: 1, proposer: 'a' }, round: 1, commit: 0, compacted: 0, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], ...over }
}

function entry (slot: number, over: Partial<Entry> = {}): Entry {
  return { slot, ballot: { round: 1, proposer: 'a' }, value: { kind: 'data', id: `p${slot}`, data: enc.encode(`v${slot}`) }, booth: ['a', 'b', 'c'], decided: false, ...over }
}

/** A script of saves covering every field and rule: upserts, kinds, decided flags, compaction, hard-state replacement. */
const SCRIPT: Persist[] = [
  { hardState: hard(), entries: [] },
  { entries: [entry(1), entry(2), entry(3, { value: { kind: 'noop' } })] },
  { hardState: hard({ promised: { round: 2, proposer: 'b' } }), entries: [entry(2, { ballot: { round: 2, proposer: 'b' }, value: { kind: 'booth', members: ['a', 'b', 'd'] } })] },
  { hardState: hard({ commit: 3, promised: { round: 2, proposer: 'b' }, booths: [{ slot: 1, members: ['a', 'b', 'c'] }, { slot: 6, members: ['a', 'b', 'd'] }] }), entries: [entry(1, { decided: true }), entry(3, { value: { kind: 'noop' }, decided: true })] },
  { entries: [entry(4), entry(5, { value: { kind: 'data', id: 'empty', data: new Uint8Array(0) } })] },
  { hardState: hard({ commit: 3, compacted: 2, promised: { round: 2, proposer: 'b' } }), entries: [entry(2, { decided: true })], compactTo: 2 },
  { hardState: hard({ commit: 3, compacted: 2, promised: { round: 2, proposer: 'b' }, commitProof: { commit: 5, signature: new Uint8Array(64).fill(5) } }), entries: [entry(6, { proof: { round: 1, signature: new Uint8Array(64).fill(6) } })], compactTo: 4 }
]

interface Subject {
  name: string
  make: () => Promise<{ storage: PaxosStorage, reopen?: () => Promise<PaxosStorage> }>
}

const dirs: string[] = []
const dbs: NodeDatabase[] = []

const subjects: Subject[] = [
  { name: 'memory', make: async () => ({ storage: new MemoryPaxosStorage() }) },
  {
    name: 'level',
    make: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
      dirs.push(dir)
      const db = await openDatabase(dir)
      dbs.push(db)
      let store = new LevelPaxosStore(db)
      return {
        storage: store.storage('chain-x'),
        reopen: async () => {
          await db.close()
          const again = await openDatabase(dir)
          dbs.push(again)
          store = new LevelPaxosStore(again)
          return store.storage('chain-x')
        }
      }
    }
  }
]

afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close().catch(() => {})
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe.each(subjects)('storage - paxos storage contract ($name)', ({ make }) => {
  it('a brand-new storage loads nothing', async () => {
    const { storage } = await make()
    expect(await storage.load()).toBeUndefined()
  })

  it('applies every save: hard state replaced, entries upserted by slot, compacted ones deleted', async () => {
    const { storage } = await make()
    const reference = new MemoryPaxosStorage()
    for (const p of SCRIPT) {
      await storage.save(p)
      await reference.save(p)
      expect(await storage.load()).toEqual(await reference.load())
    }
    const state = await storage.load()
    expect(state?.entries.map(e => e.slot)).toEqual([5, 6])
    expect(state?.hardState).toMatchObject({ compacted: 2, commit: 3 })
    expect(state?.entries[0].value).toEqual({ kind: 'data', id: 'empty', data: new Uint8Array(0) })
  })

  it('survives a reopen (level)', async () => {
    const { storage, reopen } = await make()
    for (const p of SCRIPT) await storage.save(p)
    const before = await storage.load()
    if (reopen == null) return
    const again = await reopen()
    expect(await again.load()).toEqual(before)
  })
})

describe('storage - LevelPaxosStore', () => {
  it('keeps chains apart, lists them, stores metadata, clears one chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    const db = await openDatabase(dir)
    dbs.push(db)
    const store = new LevelPaxosStore(db)
    const x = store.storage('x')
    const xy = store.storage('xy')
    await x.save({ hardState: hard(), entries: [entry(1)] })
    await xy.save({ hardState: hard({ round: 7 }), entries: [entry(1), entry(2)] })
    await xy.setMeta(enc.encode('{"cursor":1}'))
    expect((await store.chains()).sort()).toEqual(['x', 'xy'])
    expect((await x.load())?.entries).toHaveLength(1)
    expect((await xy.load())?.hardState.round).toBe(7)
    expect(new TextDecoder().decode(await xy.getMeta())).toBe('{"cursor":1}')
    expect(await x.getMeta()).toBeUndefined()
    await x.clear()
    expect(await x.load()).toBeUndefined()
    expect(await store.chains()).toEqual(['xy'])
    expect(() => store.storage('')).toThrow(InvalidChainIdError)
    expect(() => store.storage('c'.repeat(200))).toThrow(InvalidChainIdError)
  })

  it('remembers applied writes per chain: the newest since a time, older ones deleted, across a reopen, gone with the chain', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    let db = await openDatabase(dir)
    const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
    const x = new LevelPaxosStore(db).storage('x')
    await x.save({ hardState: hard(), entries: [] })
    await x.rememberWrites([
      { key: 'w\nx\n01', at: 1_000, height: 1, hash: hash(1) },
      { key: 'w\nx\n02', at: 2_000, height: 2, hash: hash(2), owner: 'w' },
      { key: 'v\nx\n03', at: 3_000, height: 3, hash: hash(3) },
      // a keyed write: no writer in its key, its carrier's share
      { key: '\nx\n04', at: 3_500, height: 4, hash: hash(4), owner: 'carrier' }
    ])
    await new LevelPaxosStore(db).storage('xy').rememberWrites([{ key: 'w\nxy\n09', at: 2_500, height: 9, hash: hash(9) }])
    await db.close()
    db = await openDatabase(dir)
    dbs.push(db)
    const again = new LevelPaxosStore(db).storage('x')
    expect(await again.recentWrites(0, 10)).toEqual([
      { key: 'w\nx\n01', at: 1_000, height: 1, hash: hash(1) },
      { key: 'w\nx\n02', at: 2_000, height: 2, hash: hash(2) },
      { key: 'v\nx\n03', at: 3_000, height: 3, hash: hash(3) },
      { key: '\nx\n04', at: 3_500, height: 4, hash: hash(4), owner: 'carrier' }
    ])
    // the newest three only; and what is older than the time asked for is gone for good
    expect((await again.recentWrites(0, 3)).map(w => w.height)).toEqual([2, 3, 4])
    expect((await again.recentWrites(1_500, 10)).map(w => w.height)).toEqual([2, 3, 4])
    expect((await again.recentWrites(0, 10)).map(w => w.height)).toEqual([2, 3, 4])
    expect((await new LevelPaxosStore(db).storage('xy').recentWrites(0, 10)).map(w => w.height)).toEqual([9])
    await again.clear()
    expect(await again.recentWrites(0, 10)).toEqual([])
  })

  it('finds a remembered write by its key (its newest record) until it is forgotten', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    const db = await openDatabase(dir)
    dbs.push(db)
    const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
    const x = new LevelPaxosStore(db).storage('x')
    await x.save({ hardState: hard(), entries: [] })
    // a write whose fate was unknown here (height 0), then learned applied
    await x.rememberWrites([{ key: '\nx\n04', at: 1_000, height: 0, hash: hash(0), owner: 'carrier' }, { key: 'w\nx\n01', at: 1_500, height: 1, hash: hash(1) }])
    await x.rememberWrites([{ key: '\nx\n04', at: 2_000, height: 4, hash: hash(4), owner: 'carrier' }])
    expect(await x.findWrite('\nx\n04')).toEqual({ key: '\nx\n04', at: 2_000, height: 4, hash: hash(4), owner: 'carrier' })
    expect(await x.findWrite('w\nx\n01')).toEqual({ key: 'w\nx\n01', at: 1_500, height: 1, hash: hash(1) })
    expect(await x.findWrite('w\nx\n99')).toBeUndefined()
    // forgetting what is older than 1,800 ms drops 01 and 04's older record, not 04's newer one
    await x.forgetWrites(1_800)
    expect(await x.findWrite('w\nx\n01')).toBeUndefined()
    expect((await x.findWrite('\nx\n04'))?.height).toBe(4)
    await x.forgetWrites(3_000)
    expect(await x.findWrite('\nx\n04')).toBeUndefined()
    // nothing of the index stays behind
    await x.clear()
    expect(await x.findWrite('\nx\n04')).toBeUndefined()
  })

  it('compacts a reopened chain without leaving an entry or a decided marker behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    let db = await openDatabase(dir)
    dbs.push(db)
    const reference = new MemoryPaxosStorage()
    const first = new LevelPaxosStore(db).storage('x')
    for (const p of SCRIPT.slice(0, 5)) {
      await first.save(p)
      await reference.save(p)
    }
    await db.close()
    db = await openDatabase(dir)
    dbs.push(db)
    const again = new LevelPaxosStore(db).storage('x')
    await again.load()
    for (const p of SCRIPT.slice(5)) {
      await again.save(p)
      await reference.save(p)
    }
    expect(await again.load()).toEqual(await reference.load())
    // on disk: the hard state and entries 5 and 6 (undecided: no markers), nothing of slots 1-4
    const keys: Uint8Array[] = []
    for await (const key of db.sublevel(PAXOS_SUBLEVEL).keys()) keys.push(key)
    expect(keys).toHaveLength(3)
  })

  it('says which decided slots are durable already (an earlier save holds them at the same ballot), also after a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    let db = await openDatabase(dir)
    dbs.push(db)
    let s = new LevelPaxosStore(db).storage('x')
    await s.save({ hardState: hard(), entries: [entry(1), entry(2)] })
    const flags: Persist = { entries: [entry(1, { decided: true }), entry(2, { decided: true })] }
    // only decided flags are new: both values are durable already
    expect(s.holdsDurably(flags, [1, 2])).toBe(true)
    // a slot this save does not touch was written by an earlier save
    expect(s.holdsDurably({ entries: [] }, [1])).toBe(true)
    // a value accepted (or learned) in this very save is not durable yet
    const fresh: Persist = { entries: [entry(2, { ballot: { round: 2, proposer: 'b' }, decided: true }), entry(3, { decided: true })] }
    expect(s.holdsDurably(fresh, [2])).toBe(false)
    expect(s.holdsDurably(fresh, [3])).toBe(false)
    expect(s.holdsDurably(fresh, [1])).toBe(true)
    await s.save(fresh)
    expect(s.holdsDurably(fresh, [2, 3])).toBe(true)
    await db.close()
    db = await openDatabase(dir)
    dbs.push(db)
    s = new LevelPaxosStore(db).storage('x')
    await s.load()
    expect(s.holdsDurably(fresh, [2, 3])).toBe(true)
    expect(s.holdsDurably({ entries: [entry(4, { decided: true })] }, [4])).toBe(false)
  })

  it('syncs what a reply vouches for, not values learned decided from a peer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-'))
    dirs.push(dir)
    const db = await openDatabase(dir)
    dbs.push(db)
    // the sync option of every batch the storage writes
    const synced: boolean[] = []
    const recording: NodeDatabase = {
      dataDir: db.dataDir,
      db: db.db,
      close: async () => { await db.close() },
      sublevel: (name) => {
        const sub = db.sublevel(name)
        const batch = sub.batch.bind(sub) as (ops: unknown, options?: { sync?: boolean }) => Promise<void>
        ;(sub as unknown as { batch: typeof batch }).batch = async (ops, options) => {
          synced.push(options?.sync === true)
          await batch(ops, options)
        }
        return sub as BinarySublevel
      }
    }
    const s = new LevelPaxosStore(recording).storage('x')
    // a new promise
    await s.save({ hardState: hard(), entries: [] })
    // an acceptance (its 'accepted' reply leaves after this save)
    await s.save({ entries: [entry(1)] })
    // only its decided flag is new
    await s.save({ entries: [entry(1, { decided: true })] })
    // a catch-up answer: values decided elsewhere, stored at ballot 0
    await s.save({ entries: [entry(2, { ballot: ZERO_BALLOT, decided: true }), entry(3, { ballot: ZERO_BALLOT, decided: true, value: { kind: 'noop' } })] })
    // accepted and decided in one Ready (a booth of one): the decision rests on this very acceptance
    await s.save({ entries: [entry(4, { decided: true })] })
    expect(synced).toEqual([true, true, false, false, true])
    const loaded = await s.load()
    expect(loaded?.entries.map(e => [e.slot, e.decided])).toEqual([[1, true], [2, true], [3, true], [4, true]])
  })
})

describe('storage - paxos entry encoding', () => {
  it('writes StoredEntry.encode\'s bytes (the value copied once) and reads them back', () => {
    const entries: Entry[] = [
      entry(1),
      entry(2, { value: { kind: 'data', id: 'big', data: new Uint8Array(300_000).fill(9) }, decided: true }),
      entry(3, { value: { kind: 'data', id: 'empty', data: new Uint8Array(0) } }),
      entry(4, { value: { kind: 'noop' }, ballot: ZERO_BALLOT, decided: true }),
      entry(5, { value: { kind: 'booth', members: ['a', 'd'] }, booth: [] }),
      // a vehicle's own chain: the proposer's signature comes with the value (value-proofs.ts)
      entry(6, { proof: { round: 1, signature: new Uint8Array(64).fill(3) } }),
      entry(7, { value: { kind: 'data', id: 'big-signed', data: new Uint8Array(70_000).fill(4) }, proof: { round: 9, signature: new Uint8Array(64).fill(8) } })
    ]
    const kinds = { data: StoredEntry.Kind.DATA, noop: StoredEntry.Kind.NOOP, booth: StoredEntry.Kind.BOOTH }
    for (const e of entries) {
      const v = e.value
      const expected = StoredEntry.encode({
        slot: e.slot,
        ballot: { round: e.ballot.round, proposer: e.ballot.proposer },
        kind: kinds[v.kind],
        id: v.kind === 'data' ? v.id : '',
        data: (v.kind === 'data' ? v.data : new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
        members: v.kind === 'booth' ? v.members : [],
        booth: e.booth,
        decided: e.decided,
        proofRound: e.proof?.round ?? 0,
        proofSignature: (e.proof?.signature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
      })
      const bytes = encodeEntry(e)
      expect(bytes).toEqual(expected)
      expect(decodeEntry(bytes)).toEqual(e)
    }
  })
})
