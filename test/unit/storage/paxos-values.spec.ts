/**
 * The consensus value log: large accepted values live in segment files beside
 * LevelDB (src/storage/paxos-values.ts). What is stored equals what the
 * memory storage holds for the same saves; segments go once nothing points
 * into them; a value is durable before the entry that points to it; a lost
 * or changed value is a clear error, and a failed write changes nothing.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryPaxosStorage } from '../../../src/consensus/index.ts'
import type { Entry, HardState, Persist } from '../../../src/consensus/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { BinarySublevel, NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStorage, LevelPaxosStore, PAXOS_SUBLEVEL } from '../../../src/storage/paxos-store.ts'
import { CorruptValueError, PAXOS_VALUES_DIR, PaxosValueLog, valueLogDir } from '../../../src/storage/paxos-values.ts'
import { Segments } from '../../../src/storage/segments.ts'
import type { FileId } from '../../../src/storage/segments.ts'

const OPTIONS = { valueLogMinBytes: 1024, valueSegmentBytes: 8 * 1024 }
const CHAIN = 'chain-v'

function hard (over: Partial<HardState> = {}): HardState {
  return { promised: { round: 1, proposer: 'a' }, round: 1, commit: 0, compacted: 0, booths: [{ slot: 1, members: ['a', 'b', 'c'] }], ...over }
}

/** A data entry with a value of `size` bytes, each byte `fill`. */
function entry (slot: number, size: number, fill: number, over: Partial<Entry> = {}): Entry {
  return { slot, ballot: { round: 1, proposer: 'a' }, value: { kind: 'data', id: `p${slot}.${fill}`, data: new Uint8Array(size).fill(fill) }, booth: ['a', 'b', 'c'], decided: false, ...over }
}

const dirs: string[] = []
const dbs: NodeDatabase[] = []
const closers: Array<{ close: () => Promise<void> }> = []

afterEach(async () => {
  // the value logs' open files first, then the databases
  for (const c of closers.splice(0)) await c.close().catch(() => {})
  for (const db of dbs.splice(0)) await db.close().catch(() => {})
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function open (dir?: string): Promise<{ dir: string, db: NodeDatabase, store: LevelPaxosStore }> {
  if (dir == null) {
    dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-values-'))
    dirs.push(dir)
  }
  const db = await openDatabase(dir)
  dbs.push(db)
  const store = new LevelPaxosStore(db, OPTIONS)
  closers.push(store)
  return { dir, db, store }
}

async function segmentFiles (dir: string): Promise<string[]> {
  return (await readdir(join(dir, PAXOS_VALUES_DIR, valueLogDir(CHAIN))).catch(() => [])).sort()
}

/** Saves into both and checks they load the same. */
async function saveBoth (level: LevelPaxosStorage, reference: MemoryPaxosStorage, p: Persist): Promise<void> {
  await level.save(p)
  await reference.save(p)
  expect(await level.load()).toEqual(await reference.load())
}

describe('storage - consensus value log', () => {
  it('keeps large values out of LevelDB, across a reopen; re-accepts and compaction delete the segments nothing points into', async () => {
    const { dir, db, store } = await open()
    const reference = new MemoryPaxosStorage()
    let s = store.storage(CHAIN)
    await saveBoth(s, reference, { hardState: hard(), entries: [] })
    // 3 KiB values, one save each: two per 8 KiB segment
    for (let slot = 1; slot <= 6; slot++) await saveBoth(s, reference, { entries: [entry(slot, 3 * 1024, slot)] })
    // a small value stays inline
    await saveBoth(s, reference, { entries: [entry(7, 100, 7)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000001.seg', '0000000000000002.seg', '0000000000000003.seg'])
    const sizes: number[] = []
    for await (const value of db.sublevel(PAXOS_SUBLEVEL).values()) sizes.push(value.byteLength)
    expect(Math.max(...sizes)).toBeLessThan(1024)

    // slots 1 and 2 accepted again at a new ballot: segment 1 holds nothing live any more
    const b2 = { round: 2, proposer: 'b' }
    await saveBoth(s, reference, { hardState: hard({ promised: b2, round: 2 }), entries: [entry(1, 3 * 1024, 11, { ballot: b2 }), entry(2, 3 * 1024, 12, { ballot: b2 })] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000002.seg', '0000000000000003.seg', '0000000000000004.seg'])
    // decided flags only: nothing rewritten
    await saveBoth(s, reference, { entries: [entry(1, 3 * 1024, 11, { ballot: b2, decided: true }), entry(3, 3 * 1024, 3, { decided: true })] })
    expect(await segmentFiles(dir)).toHaveLength(3)

    // compaction to 4: segment 2 (slots 3, 4) goes; segment 4 (slots 1, 2) is the one being written to, it stays until replaced
    await saveBoth(s, reference, { hardState: hard({ promised: b2, round: 2, compacted: 4, commit: 4 }), entries: [], compactTo: 4 })
    expect(await segmentFiles(dir)).toEqual(['0000000000000003.seg', '0000000000000004.seg'])

    // a reopen drops what nothing points into, loads the rest, and writes on in a new segment
    await store.close()
    await db.close()
    const again = await open(dir)
    s = again.store.storage(CHAIN)
    expect(await s.load()).toEqual(await reference.load())
    expect(await segmentFiles(dir)).toEqual(['0000000000000003.seg'])
    await saveBoth(s, reference, { entries: [entry(8, 2 * 1024, 8)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000003.seg', '0000000000000004.seg'])

    await s.clear()
    expect(await s.load()).toBeUndefined()
    expect(await segmentFiles(dir)).toEqual([])
  })

  it('leaves a segment nothing points into for a new one once it holds enough: values that come now and then are not all kept until it fills', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-values-'))
    dirs.push(dir)
    const db = await openDatabase(dir)
    dbs.push(db)
    // segments of 64 KiB, left once emptied and 4 KiB or more
    const store = new LevelPaxosStore(db, { valueLogMinBytes: 1024, valueSegmentBytes: 64 * 1024, valueSegmentRollEmptyBytes: 4 * 1024 })
    closers.push(store)
    const reference = new MemoryPaxosStorage()
    const s = store.storage(CHAIN)
    await saveBoth(s, reference, { hardState: hard(), entries: [] })
    // a 3 KiB value decided and compacted: its segment holds 3 KiB that nothing points into, below the bound
    await saveBoth(s, reference, { entries: [entry(1, 3 * 1024, 1, { decided: true })] })
    await saveBoth(s, reference, { hardState: hard({ commit: 1, compacted: 1 }), entries: [], compactTo: 1 })
    await saveBoth(s, reference, { entries: [entry(2, 3 * 1024, 2, { decided: true })] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000001.seg'])
    // compacted too: 6 KiB dead, past the bound: the next value starts a new segment and the old one goes
    await saveBoth(s, reference, { hardState: hard({ commit: 2, compacted: 2 }), entries: [], compactTo: 2 })
    await saveBoth(s, reference, { entries: [entry(3, 3 * 1024, 3)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000002.seg'])
    // a segment with a live value is kept however much of it is dead
    await saveBoth(s, reference, { entries: [entry(4, 3 * 1024, 4, { decided: true })] })
    await saveBoth(s, reference, { hardState: hard({ commit: 2, compacted: 2 }), entries: [entry(5, 3 * 1024, 5)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000002.seg'])
    expect(await s.load()).toEqual(await reference.load())
  })

  it('release() after a retiring compaction deletes the segment being written and the chain\'s directory; with live values it keeps them', async () => {
    const { dir, store } = await open()
    const reference = new MemoryPaxosStorage()
    let s = store.storage(CHAIN)
    await saveBoth(s, reference, { hardState: hard(), entries: [] })
    for (let slot = 1; slot <= 3; slot++) await saveBoth(s, reference, { entries: [entry(slot, 3 * 1024, slot, { decided: true })] })
    // slot 4 accepted, undecided: a vote a returning proposer needs
    await saveBoth(s, reference, { hardState: hard({ commit: 3 }), entries: [entry(4, 3 * 1024, 4)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000001.seg', '0000000000000002.seg'])
    await saveBoth(s, reference, { hardState: hard({ commit: 3, compacted: 3 }), entries: [], compactTo: 3 })
    // segment 2 (slots 3, 4) is being written to and slot 4 lives in it
    await store.release(CHAIN)
    expect(await segmentFiles(dir)).toEqual(['0000000000000002.seg'])
    s = store.storage(CHAIN)
    expect(await s.load()).toEqual(await reference.load())

    // slot 4 decided and compacted too: nothing points into the log, which goes whole
    await saveBoth(s, reference, { hardState: hard({ commit: 4, compacted: 4 }), entries: [], compactTo: 4 })
    await saveBoth(s, reference, { entries: [entry(5, 3 * 1024, 5, { decided: true })] })
    await saveBoth(s, reference, { hardState: hard({ commit: 5, compacted: 5 }), entries: [], compactTo: 5 })
    // (segment 2 emptied went at once: it was not being written to; numbering starts over in an empty log)
    expect(await segmentFiles(dir)).toEqual(['0000000000000001.seg'])
    await store.release(CHAIN)
    expect(await readdir(join(dir, PAXOS_VALUES_DIR))).toEqual([])
    // the state (promise, commit) stays, and the log works on
    s = store.storage(CHAIN)
    expect(await s.load()).toEqual(await reference.load())
    expect(await s.hardState()).toEqual(hard({ commit: 5, compacted: 5 }))
    await saveBoth(s, reference, { entries: [entry(6, 3 * 1024, 6)] })
    expect(await segmentFiles(dir)).toEqual(['0000000000000001.seg'])
  })

  it('writes and syncs a value before the batch that points to it; the batch that drops a segment is synced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-paxos-values-'))
    dirs.push(dir)
    const db = await openDatabase(dir)
    dbs.push(db)
    const events: string[] = []
    class RecordingSegments extends Segments {
      override async write (fileId: FileId, segment: number, offset: number, buffers: Uint8Array[]): Promise<void> {
        events.push(`write ${segment}`)
        await super.write(fileId, segment, offset, buffers)
      }

      override async sync (fileId: FileId, segment: number): Promise<void> {
        await super.sync(fileId, segment)
        events.push(`synced ${segment}`)
      }

      override async remove (fileId: FileId, segment: number): Promise<void> {
        events.push(`remove ${segment}`)
        await super.remove(fileId, segment)
      }
    }
    const sub = db.sublevel(PAXOS_SUBLEVEL)
    const batch = sub.batch.bind(sub) as (ops: unknown, options?: { sync?: boolean }) => Promise<void>
    ;(sub as unknown as { batch: typeof batch }).batch = async (ops, options) => {
      await batch(ops, options)
      events.push(options?.sync === true ? 'batch synced' : 'batch')
    }
    const segments = new RecordingSegments(join(dir, PAXOS_VALUES_DIR))
    closers.push(segments)
    const s = new LevelPaxosStorage(sub as BinarySublevel, CHAIN, new PaxosValueLog(segments, CHAIN, { segmentBytes: 4 * 1024 }), OPTIONS)
    await s.save({ hardState: hard(), entries: [] })
    await s.save({ entries: [entry(1, 3 * 1024, 1)] })
    // a value learned decided from a peer (ballot 0): its batch needs no sync, its value is synced all the same
    await s.save({ entries: [entry(2, 3 * 1024, 2, { ballot: { round: 0, proposer: '' }, decided: true })] })
    // compaction of slot 1 empties segment 1
    await s.save({ hardState: hard({ compacted: 1, commit: 1 }), entries: [], compactTo: 1 })
    // compaction of slot 3, inline: no segment emptied, no sync
    await s.save({ entries: [entry(3, 10, 3)] })
    await s.save({ hardState: hard({ compacted: 3, commit: 3 }), entries: [], compactTo: 3 })
    expect(events).toEqual([
      'batch synced',
      'write 1', 'synced 1', 'batch synced',
      'write 2', 'synced 2', 'batch',
      'batch synced', 'remove 1',
      'batch synced',
      // slot 2 (segment 2, which is being written to) goes with slot 3: synced, but the segment stays until replaced
      'batch synced'
    ])
  })

  it('a value that is missing or changed on disk fails the load with CorruptValueError', async () => {
    const { dir, db, store } = await open()
    const s = store.storage(CHAIN)
    await s.save({ hardState: hard(), entries: [entry(1, 3 * 1024, 1), entry(2, 3 * 1024, 2)] })
    await store.close()
    await db.close()
    const [file] = await segmentFiles(dir)
    const path = join(dir, PAXOS_VALUES_DIR, valueLogDir(CHAIN), file)
    const bytes = await readFile(path)
    bytes[100] ^= 0xff
    await writeFile(path, bytes)
    let again = await open(dir)
    await expect(again.store.storage(CHAIN).load()).rejects.toThrow(CorruptValueError)
    await again.db.close()
    await writeFile(path, bytes.subarray(0, 4 * 1024))
    again = await open(dir)
    await expect(again.store.storage(CHAIN).load()).rejects.toThrow(CorruptValueError)
  })

  it('a value write that fails changes nothing: the save rejects, the stored state is as before', async () => {
    const { dir, db } = await open()
    let failing = false
    class FailingSegments extends Segments {
      override async write (fileId: FileId, segment: number, offset: number, buffers: Uint8Array[]): Promise<void> {
        if (failing) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
        await super.write(fileId, segment, offset, buffers)
      }
    }
    const segments = new FailingSegments(join(dir, PAXOS_VALUES_DIR))
    closers.push(segments)
    const s = new LevelPaxosStorage(db.sublevel(PAXOS_SUBLEVEL), CHAIN, new PaxosValueLog(segments, CHAIN), OPTIONS)
    await s.save({ hardState: hard(), entries: [entry(1, 3 * 1024, 1)] })
    const before = await s.load()
    failing = true
    const b2 = { round: 2, proposer: 'b' }
    await expect(s.save({ hardState: hard({ promised: b2, round: 2 }), entries: [entry(1, 3 * 1024, 9, { ballot: b2 }), entry(2, 3 * 1024, 2, { ballot: b2 })] })).rejects.toThrow('no space left')
    expect(await s.load()).toEqual(before)
    // and writing works again once the disk does
    failing = false
    await s.save({ hardState: hard({ promised: b2, round: 2 }), entries: [entry(2, 3 * 1024, 2, { ballot: b2 })] })
    expect((await s.load())?.entries.map(e => e.slot)).toEqual([1, 2])
  })
})
