/**
 * The LevelDB store's payload segments: large payloads live in segment files,
 * what a crash leaves past the last referenced entry is cut off, segments
 * whose blocks are all pruned are deleted (pinned payloads survive them), and
 * a chain's files go with the chain.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { appendFile, mkdir, mkdtemp, open as open_, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { emptyTip, tipOf, verifyBlock } from '../../../src/chain/index.ts'
import type { ChainTip } from '../../../src/chain/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, CHAINS_SUBLEVEL, SEGMENTS_DIR } from '../../../src/storage/level.ts'
import type { LevelChainStoreOptions } from '../../../src/storage/level.ts'
import { Segments } from '../../../src/storage/segments.ts'
import { DiskFullError } from '../../../src/storage/errors.ts'
import { dropOpenFiles } from '../../utils/chains.ts'
import { ChainKeys } from '../../../src/storage/keys.ts'
import { ChainMeta } from '../../../src/storage/pb/store.ts'
import { decodePointer, parseStored } from '../../../src/storage/records.ts'
import { chainOf, collect, enc } from './helpers.ts'
import { applyRetention } from '../../../src/storage/retention.ts'
import type { BlockSpec } from './helpers.ts'

const CHAIN = 'car'
/** Blocks of about 1.2 KiB payload: every block goes to a segment, and a segment closes after three of them. */
const digest = (payload: Uint8Array | undefined): string | undefined => payload == null ? undefined : createHash('sha256').update(payload).digest('hex')

const OPTIONS: LevelChainStoreOptions = { inlineMax: 1024, segmentMin: 1024, segmentBytes: 3 * 1024 }
const big = (h: number): BlockSpec => ({ transactions: [{ key: `k${h}`, value: new Uint8Array(1200).fill(h % 256) }] })
const small = (h: number): BlockSpec => ({ transactions: [{ key: `k${h}`, value: enc.encode(`v${h}`) }] })

/** Waits until the LevelDB batch of an append in flight wrote `key`'s state pointer for `height` (its segment write held). */
async function untilPointerAt (database: NodeDatabase, key: string, height: number): Promise<void> {
  const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
  while (true) {
    const pointer = await database.db.get(keys.state(CHAIN, key))
    if (pointer != null && decodePointer(pointer).height === height) return
    await new Promise(resolve => setTimeout(resolve, 1))
  }
}

describe('storage - LevelChainStore payload segments', () => {
  let dir: string
  let database: NodeDatabase | undefined
  let store: LevelChainStore | undefined

  const open = async (options: LevelChainStoreOptions = OPTIONS): Promise<LevelChainStore> => {
    database = await openDatabase(dir)
    store = await LevelChainStore.open(database, options)
    return store
  }
  const close = async (): Promise<void> => {
    await store?.close()
    await database?.close()
    store = undefined
    database = undefined
  }
  /** Closes without the store's clean shutdown (no meta flush), as a crash would leave it. */
  const crash = async (): Promise<void> => {
    await dropOpenFiles(store)
    await database?.close()
    store = undefined
    database = undefined
  }
  const segmentFiles = async (): Promise<string[]> => {
    const root = join(dir, SEGMENTS_DIR)
    const ids = await readdir(root).catch(() => [])
    const files = await Promise.all(ids.map(async id => (await readdir(join(root, id))).map(f => `${id}/${f}`)))
    return files.flat().sort()
  }
  const verifyAll = async (s: LevelChainStore): Promise<ChainTip> => {
    let prev: ChainTip = emptyTip(CHAIN)
    for await (const b of s.blocks(CHAIN)) {
      verifyBlock(b, prev, { allowPruned: true })
      prev = tipOf(b)
    }
    expect(prev).toEqual(await s.tip(CHAIN))
    return prev
  }

  afterEach(async () => {
    await close()
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps large payloads in segment files and small ones inline, and reads both back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const blocks = chainOf(CHAIN, 10, h => h % 3 === 0 ? small(h) : big(h))
    for (const b of blocks) await s.append(b)
    // 7 large blocks, three to a segment
    expect(await segmentFiles()).toHaveLength(3)
    // the records in LevelDB hold headers and locations, not the large payloads
    const keys = new ChainKeys((database as NodeDatabase).sublevel(CHAINS_SUBLEVEL).prefix)
    for (const b of blocks) {
      const record = await (database as NodeDatabase).db.get(keys.block(CHAIN, b.header.height)) as Uint8Array
      if (b.header.height % 3 === 0) expect(record.byteLength).toBeGreaterThan(b.header.payloadBytes)
      else expect(record.byteLength).toBeLessThan(1024)
    }
    const check = async (x: LevelChainStore): Promise<void> => {
      for (const b of blocks) {
        expect((await x.getBlock(CHAIN, b.header.height))?.payload).toEqual(b.payload)
        expect((await x.get(CHAIN, `k${b.header.height}`))?.value).toEqual(b.header.height % 3 === 0 ? enc.encode(`v${b.header.height}`) : new Uint8Array(1200).fill(b.header.height))
      }
      expect((await collect(x.blocks(CHAIN))).map(b => b.payload)).toEqual(blocks.map(b => b.payload))
      await verifyAll(x)
    }
    await check(s)
    await close()
    await check(await open())
  })

  it('cuts off what a crash left past the last referenced entry, and files no record lists', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const blocks = chainOf(CHAIN, 8, big)
    await s.appendMany(blocks.slice(0, 4))
    await s.append(blocks[4])
    const files = await segmentFiles()
    const last = join(dir, SEGMENTS_DIR, files[files.length - 1])
    const size = (await stat(last)).size
    await crash()
    // what a crash between a segment write and its batch leaves: a tail, a new segment, a whole directory
    await appendFile(last, new Uint8Array(777).fill(7))
    const [fileId] = files[0].split('/')
    await writeFile(join(dir, SEGMENTS_DIR, fileId, '0000000000000099.seg'), new Uint8Array(50))
    await mkdir(join(dir, SEGMENTS_DIR, '12345'))
    await writeFile(join(dir, SEGMENTS_DIR, '12345', '0000000000000001.seg'), new Uint8Array(50))

    s = await open()
    expect(await segmentFiles()).toEqual(files)
    expect((await stat(last)).size).toBe(size)
    expect((await s.tip(CHAIN)).height).toBe(5)
    // appends go on where the referenced entries end
    await s.appendMany(blocks.slice(5))
    await verifyAll(s)
    expect((await s.get(CHAIN, 'k8'))?.value).toEqual(new Uint8Array(1200).fill(8))
    await close()
    await verifyAll(await open())
  })

  it('after a power cut that lost unflushed payloads, cuts the chain before the first and takes back its state changes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const value = (h: number): Uint8Array => new Uint8Array(1200).fill(h)
    const specs: Record<number, BlockSpec> = {
      2: { transactions: [{ key: 'k2', value: value(2) }, { key: 'shared', value: value(20) }] },
      // appended without sync from here on
      6: { transactions: [{ key: 'k6', value: value(6) }, { key: 'shared', value: value(60) }] },
      7: { transactions: [{ key: 'k7', value: value(7) }, { op: 'DELETE', key: 'k3' }] },
      8: { transactions: [{ key: 'fresh', value: value(8) }] }
    }
    const blocks = chainOf(CHAIN, 8, h => specs[h] ?? big(h))
    await s.appendMany(blocks.slice(0, 4))
    for (const b of blocks.slice(4)) await s.append(b, { sync: false })
    expect((await s.get(CHAIN, 'shared'))?.height).toBe(6)
    // the power cut: block 6's entry never reached the disk (its batch did)
    const keys = new ChainKeys((database as NodeDatabase).sublevel(CHAINS_SUBLEVEL).prefix)
    const at = parseStored(await (database as NodeDatabase).db.get(keys.block(CHAIN, 6)) as Uint8Array).location
    if (at == null) throw new Error('block 6 should be in a segment')
    await crash()
    const file = await open_(join(dir, SEGMENTS_DIR, String(at.fileId), `${String(at.segment).padStart(16, '0')}.seg`), 'r+')
    await file.write(new Uint8Array(at.length), 0, at.length, at.offset)
    await file.close()

    s = await open()
    expect(await s.tip(CHAIN)).toEqual(tipOf(blocks[4]))
    // what the cut blocks wrote is taken back: an overwrite, a delete, a new key
    expect(await s.get(CHAIN, 'shared')).toEqual({ key: 'shared', value: value(20), height: 2 })
    expect((await s.get(CHAIN, 'k3'))?.height).toBe(3)
    expect(await s.get(CHAIN, 'fresh')).toBeUndefined()
    expect(await s.get(CHAIN, 'k6')).toBeUndefined()
    expect((await s.info(CHAIN))?.bytes).toBe(blocks.slice(0, 5).reduce((n, b) => n + b.headerBytes.byteLength + 32 + b.header.payloadBytes, 0))
    expect(await s.getBlockByHash(CHAIN, blocks[5].hash)).toBeUndefined()
    await verifyAll(s)
    // the chain goes on from there, and holds after a clean reopen
    await s.appendMany(blocks.slice(5))
    expect((await s.get(CHAIN, 'shared'))?.height).toBe(6)
    await close()
    s = await open()
    expect((await s.get(CHAIN, 'fresh'))?.value).toEqual(value(8))
    expect(await s.get(CHAIN, 'k3')).toBeUndefined()
    await verifyAll(s)
  })

  it('stops writing after a segment write failed under a stored batch; a reopen cuts that block', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const blocks = chainOf(CHAIN, 4, big)
    await s.appendMany(blocks.slice(0, 2))
    // the disk fails under the next append's segment write (its LevelDB batch goes through)
    const segments = (s as unknown as { segments: { write: () => Promise<void> } }).segments
    segments.write = async () => { throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) }
    await expect(s.append(blocks[2], { sync: false })).rejects.toThrow('EIO')
    await expect(s.append(blocks[2])).rejects.toMatchObject({ name: 'StoreClosedError' })
    expect((await s.tip(CHAIN)).height).toBe(2)
    await crash()
    s = await open()
    expect(await s.tip(CHAIN)).toEqual(tipOf(blocks[1]))
    expect(await s.get(CHAIN, 'k3')).toBeUndefined()
    await s.appendMany(blocks.slice(2))
    await verifyAll(s)
  })

  // docs/storage.md, "A full disk": "what was acknowledged before stays readable". The failed block's
  // state pointers had overwritten the acknowledged ones, so its keys read StoreClosedError until a restart (a review)
  it('takes back a block whose segment write found the disk full under a stored batch: the keys it rewrote read their acknowledged values', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const spec = (h: number): BlockSpec => ({ transactions: [{ key: 'speed', value: new Uint8Array(1200).fill(h) }, { key: `k${h}`, value: new Uint8Array(1200).fill(h) }] })
    const blocks = chainOf(CHAIN, 4, spec)
    await s.appendMany(blocks.slice(0, 2))
    expect((await s.get(CHAIN, 'speed'))?.height).toBe(2)
    // the disk fills under the next append's (large) segment write; LevelDB's small batch still fits
    const segments = (s as unknown as { segments: { write: () => Promise<void> } }).segments
    segments.write = async () => { throw new DiskFullError('no space left for segment (test)') }
    await expect(s.append(blocks[2])).rejects.toMatchObject({ name: 'DiskFullError' })
    expect((await s.tip(CHAIN)).height).toBe(2)
    const acknowledged = async (): Promise<void> => {
      expect(await s.get(CHAIN, 'speed')).toEqual({ key: 'speed', value: new Uint8Array(1200).fill(2), height: 2 })
      expect(await s.get(CHAIN, 'k3')).toBeUndefined()
      expect(await s.getBlockByHash(CHAIN, blocks[2].hash)).toBeUndefined()
      expect((await collect(s.entries(CHAIN, { values: false }))).map(e => [e.key, e.height])).toEqual([['k1', 1], ['k2', 2], ['speed', 2]])
    }
    await acknowledged()
    // writes stay refused until a reopen
    await expect(s.append(blocks[2])).rejects.toMatchObject({ name: 'StoreClosedError' })
    await crash()
    s = await open()
    expect(await s.tip(CHAIN)).toEqual(tipOf(blocks[1]))
    await acknowledged()
    await s.appendMany(blocks.slice(2))
    expect((await s.get(CHAIN, 'speed'))?.height).toBe(4)
    await verifyAll(s)
  })

  it('takes back a chain\'s first block whose segment write failed under a stored batch: no chain is left of it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const blocks = chainOf(CHAIN, 2, big)
    const segments = (s as unknown as { segments: { write: () => Promise<void> } }).segments
    segments.write = async () => { throw new DiskFullError('no space left for segment (test)') }
    await expect(s.append(blocks[0])).rejects.toMatchObject({ name: 'DiskFullError' })
    expect(await s.info(CHAIN)).toBeUndefined()
    expect(await s.get(CHAIN, 'k1')).toBeUndefined()
    await crash()
    s = await open()
    expect(await s.chains()).toEqual([])
    expect(await segmentFiles()).toEqual([])
    await s.appendMany(blocks)
    await verifyAll(s)
  })

  it('takes back an inline block whose flush of the chain\'s earlier segment writes failed under a stored batch', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const blocks = chainOf(CHAIN, 3, h => h === 1 ? { transactions: [{ key: 'speed', value: new Uint8Array(1200).fill(1) }] } : { transactions: [{ key: 'speed', value: enc.encode(`v${h}`) }] })
    // a large block not flushed, then a small (inline) synced one whose flush of that segment fails
    await s.append(blocks[0], { sync: false })
    const segments = (s as unknown as { segments: { sync: () => Promise<void> } }).segments
    const sync = segments.sync
    segments.sync = async () => { throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }) }
    await expect(s.append(blocks[1])).rejects.toThrow('EIO')
    segments.sync = sync
    expect(await s.get(CHAIN, 'speed')).toEqual({ key: 'speed', value: new Uint8Array(1200).fill(1), height: 1 })
    expect(await s.getBlockByHash(CHAIN, blocks[1].hash)).toBeUndefined()
  })

  it('refuses a key the failed block wrote as a stopped store when the take-back cannot be written either', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const blocks = chainOf(CHAIN, 2, h => ({ transactions: [{ key: 'speed', value: new Uint8Array(1200).fill(h) }] }))
    await s.append(blocks[0])
    // the segment write fails, and so does the read of the acknowledged value the take-back needs
    const segments = (s as unknown as { segments: { write: () => Promise<void>, read: () => Promise<Uint8Array> } }).segments
    segments.write = async () => { throw new DiskFullError('no space left for segment (test)') }
    const read = segments.read
    segments.read = async () => { throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }) }
    await expect(s.append(blocks[1])).rejects.toMatchObject({ name: 'DiskFullError' })
    segments.read = read
    // never the value of a block not acknowledged, nor "absent"
    await expect(s.get(CHAIN, 'speed')).rejects.toMatchObject({ name: 'StoreClosedError' })
    await crash()
    s = await open()
    expect(await s.get(CHAIN, 'speed')).toEqual({ key: 'speed', value: new Uint8Array(1200).fill(1), height: 1 })
  })

  it('counts unsynced appends durable once flushed, so the next open checks nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const blocks = chainOf(CHAIN, 6, big)
    for (const b of blocks) await s.append(b, { sync: false })
    const keys = new ChainKeys((database as NodeDatabase).sublevel(CHAINS_SUBLEVEL).prefix)
    const durable = async (): Promise<number> => ChainMeta.decode(await (database as NodeDatabase).db.get(keys.meta(CHAIN)) ?? new Uint8Array()).durableHeight
    expect(await durable()).toBe(0)
    await s.flush(CHAIN)
    expect(await durable()).toBe(6)
  })

  // a chain's metas written before its first segment said durable height 0, so a crash after its first
  // (unsynced) segment append had open() read every record of the chain, inline payloads included (a review)
  it('open() after a crash checks only the payloads that may be unflushed, not a chain\'s inline history before its first segment', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    // a long history of small (inline) blocks, durable (sync: true, the default)...
    const blocks = chainOf(CHAIN, 301, h => h <= 300 ? small(h) : big(h))
    for (let i = 0; i < 300; i += 50) await s.appendMany(blocks.slice(i, i + 50))
    // ...then one large block through a segment, without sync (a bulk writer's batch), and kill -9
    await s.append(blocks[300], { sync: false })
    await crash()
    // which heights open() reads records of to check payloads (checkUnflushed)
    const proto = LevelChainStore.prototype as unknown as { forms: (chainId: string, from: number, to: number) => AsyncGenerator<unknown> }
    const forms = proto.forms
    const scanned: Array<[number, number]> = []
    proto.forms = function (this: unknown, chainId: string, from: number, to: number) {
      scanned.push([from, to])
      return forms.call(this, chainId, from, to)
    }
    try {
      s = await open()
    } finally {
      proto.forms = forms
    }
    expect((await s.tip(CHAIN)).height).toBe(301)
    // heights 1..300 hold no segment payload: nothing of them can be unflushed; 301 is checked
    expect(scanned).toEqual([[301, 301]])
    await verifyAll(s)
  })

  it('answers reads during an append as of the acknowledged tip, never from a segment entry not written yet', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const value = (h: number): Uint8Array => new Uint8Array(1200).fill(h)
    const blocks = chainOf(CHAIN, 2, h => ({ transactions: [{ key: 'hot', value: value(h) }] }))
    await s.append(blocks[0])
    // the next append's segment write waits: its LevelDB batch (run beside it) goes in first
    const segments = (s as unknown as { segments: { write: (...args: unknown[]) => Promise<void> } }).segments
    const write = segments.write.bind(segments)
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    segments.write = async (...args) => {
      await held
      await write(...args)
    }
    const appending = s.append(blocks[1])
    await untilPointerAt(database as NodeDatabase, 'hot', 2)
    expect((await s.tip(CHAIN)).height).toBe(1)
    // each answer with the tip when it came: its height must be acknowledged by then
    const settle = async <T>(read: Promise<T>): Promise<{ ok: T, tip: number } | { err: unknown }> => {
      try {
        const ok = await read
        return { ok, tip: (await s.tip(CHAIN)).height }
      } catch (err) {
        return { err }
      }
    }
    const got = settle(s.get(CHAIN, 'hot'))
    const listed = settle(collect(s.entries(CHAIN)))
    // time for a read that does not wait to go wrong
    await new Promise(resolve => setTimeout(resolve, 50))
    release()
    await appending
    const one = await got
    const all = await listed
    if ('err' in one) throw one.err
    if ('err' in all) throw all.err
    expect(one.ok?.height).toBeLessThanOrEqual(one.tip)
    expect(one.ok?.value).toEqual(value(one.ok?.height ?? 0))
    expect(all.ok).toHaveLength(1)
    expect(all.ok[0].height).toBeLessThanOrEqual(all.tip)
    expect(all.ok[0].value).toEqual(value(all.ok[0].height))
    expect(await s.get(CHAIN, 'hot')).toEqual({ key: 'hot', value: value(2), height: 2 })
  })

  it('answers a deletion in flight only once it is acknowledged: a read waits, and when the append fails answers the acknowledged value (a review)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const big = new Uint8Array(1200).fill(7)
    const blocks = chainOf(CHAIN, 2, h => ({ transactions: h === 1 ? [{ key: 'hot', value: big }] : [{ op: 'DELETE', key: 'hot' }, { key: 'big', value: big }] }))
    await s.append(blocks[0])
    // the deleting append's segment write waits, then fails: its LevelDB batch (run beside it) goes in first
    const segments = (s as unknown as { segments: { write: (...args: unknown[]) => Promise<void> } }).segments
    let fail = (): void => {}
    const held = new Promise<void>(resolve => { fail = resolve })
    segments.write = async () => {
      await held
      throw new Error('EIO: the disk failed')
    }
    const appending = s.append(blocks[1]).then(() => 'appended', (err: Error) => err.message)
    await untilPointerAt(database as NodeDatabase, 'hot', 2)
    expect((await s.tip(CHAIN)).height).toBe(1)
    const got = s.get(CHAIN, 'hot').then(kv => kv == null ? 'absent' : `value@${kv.height}`, (err: Error) => err.name)
    const listed = collect(s.entries(CHAIN)).then(all => all.map(e => e.key).join(','), (err: Error) => err.name)
    // time for a read that does not wait to answer "absent" for a deletion never acknowledged
    await new Promise(resolve => setTimeout(resolve, 50))
    fail()
    expect(await appending).toMatch(/EIO/)
    // the failed append was taken back: neither its deletion nor its new key shows
    expect(await got).toBe('value@1')
    expect(await listed).toBe('hot')
  })

  it('records nothing left to check when nothing is unflushed: after a clean close, and with inline appends after a segment', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const keys = new ChainKeys((database as NodeDatabase).sublevel(CHAINS_SUBLEVEL).prefix)
    const stored = async (): Promise<ChainMeta> => ChainMeta.decode(await (database as NodeDatabase).db.get(keys.meta(CHAIN)) ?? new Uint8Array())
    /** The meta a close left, read with the database alone (a store's open would scan and rewrite it). */
    const closed = async (): Promise<ChainMeta> => {
      const db = await openDatabase(dir)
      try {
        return ChainMeta.decode(await db.db.get(keys.meta(CHAIN)) ?? new Uint8Array())
      } finally {
        await db.close()
      }
    }
    // one synced segment append, then only small (inline) blocks without sync
    const blocks = chainOf(CHAIN, 201, h => h === 1 ? big(h) : small(h))
    await s.append(blocks[0])
    expect(await segmentFiles()).toHaveLength(1)
    for (const b of blocks.slice(1, 101)) await s.append(b, { sync: false })
    // a meta written meanwhile (every 64 blocks) says its blocks need no check: no segment was left unflushed
    const meanwhile = await stored()
    expect(meanwhile.height).toBeGreaterThan(1)
    expect(meanwhile.durableHeight).toBe(meanwhile.height)
    await close()
    expect(await closed()).toMatchObject({ height: 101, durableHeight: 101 })
    s = await open()
    for (const b of blocks.slice(101)) await s.append(b, { sync: false })
    await close()
    expect(await closed()).toMatchObject({ height: 201, durableHeight: 201 })
    s = await open()
    expect((await s.tip(CHAIN)).height).toBe(201)
  })

  it('rolls the log position forward over appends after the last meta write', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    const blocks = chainOf(CHAIN, 12, big)
    for (const b of blocks.slice(0, 7)) await s.append(b, { sync: false })
    await crash()
    s = await open()
    expect((await s.tip(CHAIN)).height).toBe(7)
    for (const b of blocks.slice(7)) await s.append(b)
    expect((await collect(s.blocks(CHAIN))).map(b => b.payload)).toEqual(blocks.map(b => b.payload))
  })

  it('deletes segments whose blocks are all pruned; a pinned payload outlives its segment', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const blocks = chainOf(CHAIN, 12, big)
    await s.appendMany(blocks.slice(0, 3))
    await s.appendMany(blocks.slice(3, 6))
    await s.appendMany(blocks.slice(6, 9))
    await s.appendMany(blocks.slice(9))
    expect(await segmentFiles()).toHaveLength(4)
    await s.pin(CHAIN, { type: 'range', from: 2, to: 2 })
    await s.pin(CHAIN, { type: 'key', key: 'k5' })
    const result = await s.prune(CHAIN, [1, 2, 3, 4, 5, 6, 7], { watermark: 8 })
    expect(result.pinned).toEqual([2, 5])
    // segments 1-3 and 4-6 hold only pruned or pinned blocks now; 7-9 still holds 8 and 9
    expect(await segmentFiles()).toHaveLength(2)
    expect((await s.getBlock(CHAIN, 2))?.payload).toEqual(blocks[1].payload)
    expect((await s.get(CHAIN, 'k5'))?.value).toEqual(new Uint8Array(1200).fill(5))
    expect((await s.getBlock(CHAIN, 1))?.payload).toBeUndefined()
    await verifyAll(s)
    // once unpinned, the rescued payload can be pruned like any other
    await s.unpin(CHAIN, { type: 'range', from: 2, to: 2 })
    expect((await s.prune(CHAIN, [2], { watermark: 3 })).pruned).toEqual([2])
    expect((await s.getBlock(CHAIN, 2))?.payload).toBeUndefined()
    await close()
    const reopened = await open()
    expect(await segmentFiles()).toHaveLength(2)
    expect((await reopened.get(CHAIN, 'k5'))?.value).toEqual(new Uint8Array(1200).fill(5))
    expect((await reopened.info(CHAIN))?.prunedBlocks).toBe(6)
    await verifyAll(reopened)
  })

  it('frees the segments of blocks pruned by age after a block dated ahead of the clock (it held them on disk, counted free)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const now = Date.now()
    // block 1 dated a year ahead, the rest two hours old: one pushed copy, in segment files
    const blocks = chainOf(CHAIN, 9, h => ({ ...big(h), timestamp: h === 1 ? now + 365 * 86_400_000 : now - 7_200_000 + h }))
    for (let i = 0; i < 9; i += 3) await s.appendMany(blocks.slice(i, i + 3))
    expect(await segmentFiles()).toHaveLength(3)
    expect((await applyRetention(s, { retention: 60_000 }, now)).pruned).toEqual({ [CHAIN]: [1, 2, 3, 4, 5, 6, 7, 8, 9] })
    expect(await segmentFiles()).toEqual([])
    await verifyAll(s)
  })

  it('deletes the last segment too once every block of the chain is pruned; the next append starts a new one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open()
    const blocks = chainOf(CHAIN, 5, big)
    // one copy in one segment (as a small copy arrives): pruned whole, it frees its disk
    await s.appendMany(blocks.slice(0, 2))
    expect(await segmentFiles()).toHaveLength(1)
    expect((await s.prune(CHAIN, [1, 2], { watermark: 3 })).pruned).toEqual([1, 2])
    expect(await segmentFiles()).toHaveLength(0)
    await s.appendMany(blocks.slice(2, 4))
    expect(await segmentFiles()).toHaveLength(1)
    expect((await s.getBlock(CHAIN, 4))?.payload).toEqual(blocks[3].payload)
    await close()
    const reopened = await open()
    await reopened.appendMany(blocks.slice(4))
    expect((await reopened.getBlock(CHAIN, 5))?.payload).toEqual(blocks[4].payload)
    expect((await reopened.getBlock(CHAIN, 1))?.payload).toBeUndefined()
    await verifyAll(reopened)
  })

  it('a read under way when a prune drops its segments finishes with what it started from; the files go after it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    // 100 KB payloads, 3 to a segment: 12 MB, more than a read fetches ahead (4 MiB runs)
    const s = await open({ ...OPTIONS, segmentBytes: 300_000 })
    const blocks = chainOf(CHAIN, 120, h => ({ transactions: [{ key: `k${h}`, value: new Uint8Array(100_000).fill(h % 256) }] }))
    for (let i = 0; i < 120; i += 3) await s.appendMany(blocks.slice(i, i + 3))
    expect(await segmentFiles()).toHaveLength(40)
    const reading = s.blocks(CHAIN)[Symbol.asyncIterator]()
    expect((await reading.next()).value?.payload).toEqual(blocks[0].payload)
    const prune = blocks.slice(0, 117).map(b => b.header.height)
    expect((await s.prune(CHAIN, prune, { watermark: 118 })).pruned).toEqual(prune)
    // it read ENOENT from a deleted segment: now every block comes, as the records it started from say
    const rest: Array<Uint8Array | undefined> = []
    for (let step = await reading.next(); step.done !== true; step = await reading.next()) rest.push(step.value.payload)
    // compared as digests: toEqual walks 12 MB of Uint8Arrays byte by byte, for longer than the test's timeout on a slow machine
    expect(rest.map(digest)).toEqual(blocks.slice(1).map(b => digest(b.payload)))
    expect(await segmentFiles()).toHaveLength(1)
    expect((await s.getBlock(CHAIN, 5))?.payload).toBeUndefined()
    await verifyAll(s)
  }, 30_000)

  it('removes a chain\'s segments with the chain, also when a crash interrupted the delete', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    let s = await open()
    await s.appendMany(chainOf(CHAIN, 4, big))
    await s.appendMany(chainOf('other', 4, big))
    // one batch, one segment (a batch is never split)
    expect(await segmentFiles()).toHaveLength(2)
    expect(await s.deleteChain(CHAIN)).toBe(true)
    expect(await segmentFiles()).toHaveLength(1)
    // as if deleteChain had written its mark and crashed before clearing
    const keys = new ChainKeys((database as NodeDatabase).sublevel(CHAINS_SUBLEVEL).prefix)
    const meta = ChainMeta.decode(await (database as NodeDatabase).db.get(keys.meta('other')) ?? new Uint8Array())
    await (database as NodeDatabase).db.put(keys.meta('other'), ChainMeta.encode({ ...meta, deleting: true }))
    await crash()
    s = await open()
    expect(await s.chains()).toEqual([])
    expect(await segmentFiles()).toEqual([])
    // and the id can start over, in new files
    await s.appendMany(chainOf(CHAIN, 2, big))
    expect((await s.get(CHAIN, 'k2'))?.value).toEqual(new Uint8Array(1200).fill(2))
  })

  it('reads a chain written inline before segments existed, then continued in segments', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const blocks = chainOf(CHAIN, 9, big)
    // everything inline, as stores written before the segments
    let s = await open({ inlineMax: 1024 * 1024 })
    await s.appendMany(blocks.slice(0, 5))
    expect(await segmentFiles()).toEqual([])
    await close()
    s = await open()
    await s.appendMany(blocks.slice(5))
    expect(await segmentFiles()).toHaveLength(1)
    const runs = await collect(s.runs(CHAIN, { maxBytes: 3000 }))
    expect(runs.map(r => [r.from, r.to])).toEqual([[1, 2], [3, 4], [5, 6], [7, 8], [9, 9]])
    expect((await collect(s.blocks(CHAIN))).map(b => b.payload)).toEqual(blocks.map(b => b.payload))
    await verifyAll(s)
  })

  // the file cache keeps 64 idle files open; it closed the one it had just opened for a caller whenever
  // 64 others were in use ("file closed", EBADF), and an append failing so after its batch stopped the store (a review)
  it('reads segments with 64 other segment operations in flight: none is handed a file the cache closed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    // one block per segment: 200 segment files of one chain
    const s = await open({ inlineMax: 0, segmentMin: 0, segmentBytes: 1 })
    const blocks = chainOf(CHAIN, 200)
    for (const b of blocks) await s.append(b, { sync: false })
    // 200 readers at once (a sync server answering several peers, HTTP range reads...)
    const results = await Promise.allSettled(blocks.map(async b => await s.getBlock(CHAIN, b.header.height)))
    const failures = results.flatMap(r => r.status === 'rejected' ? [String(r.reason)] : [])
    expect(failures.slice(0, 3)).toEqual([])
    expect(results.map(r => r.status === 'fulfilled' ? r.value?.payload : undefined)).toEqual(blocks.map(b => b.payload))
  })

  it('writes a segment with 64 other segment operations in flight: the write is not handed a closed file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const segments = new Segments(join(dir, 'segs'))
    await segments.init()
    await segments.createChain(7)
    for (let i = 1; i <= 65; i++) await segments.createSegment(7, i)
    await segments.write(7, 1, 0, [enc.encode('x')])
    // 64 operations in flight on other segments (datasyncs of 64 chains' appends, say)
    const busy = Array.from({ length: 64 }, async (_, i) => { await segments.sync(7, i + 1) })
    // the 65th: an append's write
    const write = segments.write(7, 65, 0, [enc.encode('payload')]).then(() => 'written', (err: Error) => `${err.message} (${String((err as NodeJS.ErrnoException).code)})`)
    await Promise.all(busy)
    expect(await write).toBe('written')
    await segments.close()
  })

  it('appends a block whose segment write lands while 64 segment reads are in flight, and goes on taking appends', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-segments-'))
    const s = await open({ inlineMax: 0, segmentMin: 0, segmentBytes: 1 })
    const blocks = chainOf(CHAIN, 70)
    for (const b of blocks.slice(0, 64)) await s.append(b, { sync: false })
    // the write of the next append starts while 64 reads of the chain's other segments are under way
    const segs = (s as unknown as { segments: Segments }).segments
    const write = segs.write.bind(segs)
    let reads: Array<Promise<unknown>> = []
    segs.write = async (...args: Parameters<Segments['write']>) => {
      reads = blocks.slice(0, 64).map(async b => await s.getBlock(CHAIN, b.header.height).catch(() => undefined))
      // the reads' records are fetched (LevelDB) before they open their segments: let them get there
      await new Promise(resolve => setTimeout(resolve, 50))
      const concurrent = Array.from({ length: 64 }, async (_, i) => await segs.read(Number(args[0]), i + 1, 0, 1))
      const done = write(...args)
      done.catch(() => {})
      await Promise.allSettled(concurrent)
      await done
    }
    const appended = await s.append(blocks[64]).then(tip => tip.height, (err: Error) => `${err.name}: ${err.message}`)
    await Promise.all(reads)
    segs.write = write
    // an append failed (EBADF) after its LevelDB batch went in stops the store: every later write is refused
    const next = await s.append(blocks[65]).then(tip => tip.height, (err: Error) => `${err.name}: ${err.message}`)
    expect([appended, next]).toEqual([65, 66])
  })
})
