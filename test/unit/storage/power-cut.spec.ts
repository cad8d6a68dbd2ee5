/**
 * Power cuts, many of them: random appends (synced, unsynced, flushed; keys
 * overwritten and deleted), then, as a power cut might, the segment bytes
 * written since the last flush are lost from a random point on (zeroed), and
 * the store opens again. Whatever is lost, every synced or flushed append must
 * be there, the chain must verify end to end and end at the tip, and the state
 * must equal a replay of the blocks left. A seed that fails is in the message.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, open as openFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlock, emptyTip, tipOf, transactionsOf, verifyBlock } from '../../../src/chain/index.ts'
import type { ChainTip, TransactionInput } from '../../../src/chain/index.ts'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, CHAINS_SUBLEVEL, SEGMENTS_DIR } from '../../../src/storage/level.ts'
import { ChainKeys } from '../../../src/storage/keys.ts'
import { parseStored } from '../../../src/storage/records.ts'
import type { LevelChainStoreOptions } from '../../../src/storage/level.ts'
import { dropOpenFiles } from '../../utils/chains.ts'
import { prng } from '../../utils/random.ts'

const enc = new TextEncoder()

const CHAIN = 'car'
const OPTIONS: LevelChainStoreOptions = { inlineMax: 512, segmentMin: 512, segmentBytes: 16 * 1024 }
const SEEDS = Number(process.env.VGUARD_POWER_CUT_SEEDS ?? 40)

/** An integer in [0, n) from a seeded PRNG: a failing seed replays exactly. */
function prngInt (seed: number): (n: number) => number {
  const next = prng(seed)
  return (n) => Math.floor(next() * n)
}

async function segmentFiles (dir: string): Promise<string[]> {
  const root = join(dir, SEGMENTS_DIR)
  const ids = await readdir(root).catch(() => [] as string[])
  return (await Promise.all(ids.map(async id => (await readdir(join(root, id))).map(f => join(root, id, f))))).flat()
}

describe('storage - power cuts on payload segments', () => {
  let dir: string | undefined
  let database: NodeDatabase | undefined
  afterEach(async () => {
    await database?.close()
    database = undefined
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it(`keeps every synced append and a consistent state whatever unflushed bytes a cut loses (${SEEDS} seeds)`, async () => {
    // seeds where the cut really took blocks away: the test must see some
    let cuts = 0
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prngInt(seed)
      dir = await mkdtemp(join(tmpdir(), 'vguard-powercut-'))
      database = await openDatabase(dir)
      const store = await LevelChainStore.open(database, OPTIONS)
      let tip: ChainTip = emptyTip(CHAIN)
      let durable = 0
      const flushedSizes = new Map<string, number>()
      const rounds = 6 + random(14)
      for (let r = 0; r < rounds; r++) {
        const count = 1 + random(3)
        const blocks = []
        for (let i = 0; i < count; i++) {
          const transactions: TransactionInput[] = Array.from({ length: 1 + random(4) }, () => {
            const key = `k${random(12)}`
            if (random(5) === 0) return { op: 'DELETE', key }
            return { key, value: new Uint8Array(100 + random(400)).fill(random(256)) }
          })
          const block = createBlock({ prev: tip, proposer: 'p', timestamp: 1_000 + tip.height, transactions })
          blocks.push(block)
          tip = tipOf(block)
        }
        const sync = random(3) === 0
        await store.appendMany(blocks, { sync })
        if (sync || random(6) === 0) {
          if (!sync) await store.flush(CHAIN)
          durable = tip.height
          // what is on the disk for sure from here on: the segments as they stand
          for (const f of await segmentFiles(dir)) flushedSizes.set(f, (await stat(f)).size)
        }
      }
      // the power cut: no clean close; each segment loses what was written after
      // the last flush, from a random point on (the page cache never reached the disk)
      await dropOpenFiles(store)
      await database.close()
      for (const f of await segmentFiles(dir)) {
        const size = (await stat(f)).size
        const safe = flushedSizes.get(f) ?? 0
        if (size <= safe || random(3) === 0) continue
        const from = safe + random(size - safe)
        const handle = await openFile(f, 'r+')
        await handle.write(new Uint8Array(size - from), 0, size - from, from)
        await handle.close()
      }

      database = await openDatabase(dir)
      const reopened = await LevelChainStore.open(database, OPTIONS)
      const at = `seed ${seed}`
      const now = await reopened.tip(CHAIN)
      expect(now.height, at).toBeGreaterThanOrEqual(durable)
      if (now.height < tip.height) cuts++
      const replay = new Map<string, { value: Uint8Array, height: number }>()
      let prev: ChainTip = emptyTip(CHAIN)
      let bytes = 0
      for await (const block of reopened.blocks(CHAIN)) {
        verifyBlock(block, prev)
        bytes += block.headerBytes.byteLength + 32 + block.header.payloadBytes
        for (const tx of transactionsOf(block)) {
          if (tx.op === 'PUT') replay.set(tx.key, { value: tx.value, height: block.header.height })
          else replay.delete(tx.key)
        }
        prev = tipOf(block)
      }
      expect(prev, at).toEqual(now)
      expect((await reopened.info(CHAIN))?.bytes ?? 0, at).toBe(bytes)
      const state = new Map<string, { value: Uint8Array, height: number }>()
      for await (const e of reopened.entries(CHAIN)) state.set(e.key, { value: e.value ?? new Uint8Array(), height: e.height })
      expect(state, at).toEqual(replay)
      for (let k = 0; k < 12; k++) expect((await reopened.get(CHAIN, `k${k}`))?.height, `${at} k${k}`).toBe(replay.get(`k${k}`)?.height)
      // and the chain goes on from where it stands
      const next = createBlock({ prev: now, proposer: 'p', timestamp: 99_999, transactions: [{ key: 'after', value: new Uint8Array(600) }] })
      await reopened.append(next)
      expect((await reopened.get(CHAIN, 'after'))?.height, at).toBe(now.height + 1)
      await reopened.close()
      await database.close()
      database = undefined
      await rm(dir, { recursive: true, force: true })
      dir = undefined
    }
    expect(cuts).toBeGreaterThan(SEEDS / 10)
  }, 600_000)

  it('answers "pruned" for a key whose cut value overwrote one in a pruned block, never "absent"', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-powercut-'))
    database = await openDatabase(dir)
    const store = await LevelChainStore.open(database, OPTIONS)
    const value = (fill: number): Uint8Array => new Uint8Array(600).fill(fill)
    const b1 = createBlock({ prev: emptyTip(CHAIN), proposer: 'p', timestamp: 1_001, transactions: [{ key: 'old', value: value(1) }] })
    const b2 = createBlock({ prev: tipOf(b1), proposer: 'p', timestamp: 1_002, transactions: [{ key: 'kept', value: value(2) }] })
    await store.appendMany([b1, b2], { sync: true })
    expect((await store.prune(CHAIN, [1])).pruned).toEqual([1])
    const flushed = new Map<string, number>()
    for (const f of await segmentFiles(dir)) flushed.set(f, (await stat(f)).size)
    // unsynced: overwrites 'old' (whose value is in the pruned block) and writes a new key
    const b3 = createBlock({ prev: tipOf(b2), proposer: 'p', timestamp: 1_003, transactions: [{ key: 'old', value: value(3) }, { key: 'new', value: value(4) }] })
    await store.append(b3, { sync: false })
    await dropOpenFiles(store)
    await database.close()
    for (const f of await segmentFiles(dir)) {
      const size = (await stat(f)).size
      const safe = flushed.get(f) ?? 0
      if (size <= safe) continue
      const handle = await openFile(f, 'r+')
      await handle.write(new Uint8Array(size - safe), 0, size - safe, safe)
      await handle.close()
    }

    database = await openDatabase(dir)
    const reopened = await LevelChainStore.open(database, OPTIONS)
    expect((await reopened.tip(CHAIN)).height).toBe(2)
    expect((await reopened.get(CHAIN, 'kept'))?.value).toEqual(value(2))
    // block 1 wrote 'old': its value is gone with the payload, not absent
    await expect(reopened.get(CHAIN, 'old')).rejects.toThrow(/unknown/)
    await expect(reopened.get(CHAIN, 'old')).rejects.toHaveProperty('name', 'PayloadPrunedError')
    // 'new' was in no block below the cut either: with a pruned block there,
    // the store cannot tell it from 'old', and says it does not know
    await expect(reopened.get(CHAIN, 'new')).rejects.toHaveProperty('name', 'PayloadPrunedError')
    const entries = new Map<string, Uint8Array | undefined>()
    for await (const e of reopened.entries(CHAIN)) entries.set(e.key, e.value)
    expect(entries).toEqual(new Map([['kept', value(2)], ['new', undefined], ['old', undefined]]))
    // a write after the repair is an ordinary value again
    await reopened.append(createBlock({ prev: await reopened.tip(CHAIN), proposer: 'p', timestamp: 1_004, transactions: [{ key: 'old', value: value(5) }] }))
    expect((await reopened.get(CHAIN, 'old'))?.value).toEqual(value(5))
    await reopened.close()
  })

  it('answers "pruned" for a key a pruned block above its newest kept writer overwrote, never that older value', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-powercut-'))
    database = await openDatabase(dir)
    // every payload in a segment: block 9's entry is the one the cut loses
    const store = await LevelChainStore.open(database, { inlineMax: 0, segmentMin: 0 })
    const transactions: Record<number, TransactionInput[]> = {
      // pinned (key pin on P): its payload outlives the prune
      2: [{ key: 'P', value: enc.encode('evidence') }, { key: 'K', value: enc.encode('K@2') }, { op: 'DELETE', key: 'D' }],
      // pruned: the newest writer of K and D below the cut
      5: [{ key: 'K', value: enc.encode('K@5') }, { key: 'D', value: enc.encode('D@5') }],
      // pinned (range pin): above every pruned block, so its value is known
      8: [{ key: 'A', value: enc.encode('A@8') }],
      9: [{ key: 'K', value: enc.encode('K@9') }, { key: 'D', value: enc.encode('D@9') }, { key: 'A', value: enc.encode('A@9') }]
    }
    let tip: ChainTip = emptyTip(CHAIN)
    for (let h = 1; h <= 10; h++) {
      const block = createBlock({ prev: tip, proposer: 'p', timestamp: 1_000 + h, transactions: transactions[h] ?? [{ key: `x${h}`, value: enc.encode('x') }] })
      await store.append(block, { sync: false })
      tip = tipOf(block)
    }
    await store.pin(CHAIN, { type: 'key', key: 'P' })
    await store.pin(CHAIN, { type: 'range', from: 8, to: 8 })
    expect((await store.prune(CHAIN, [1, 2, 3, 4, 5, 6, 7, 8], { watermark: 9 })).pruned).toEqual([1, 3, 4, 5, 6, 7])
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    const at = parseStored(await database.db.get(keys.block(CHAIN, 9)) as Uint8Array).location
    if (at == null) throw new Error('block 9 should be in a segment')
    // the power cut: block 9's entry never reached the disk (its batch did)
    await dropOpenFiles(store)
    await database.close()
    const handle = await openFile(join(dir, SEGMENTS_DIR, String(at.fileId), `${String(at.segment).padStart(16, '0')}.seg`), 'r+')
    await handle.write(new Uint8Array(at.length), 0, at.length, at.offset)
    await handle.close()

    database = await openDatabase(dir)
    const reopened = await LevelChainStore.open(database, { inlineMax: 0, segmentMin: 0 })
    expect((await reopened.tip(CHAIN)).height).toBe(8)
    // block 5 (pruned) wrote K and D after block 2 did: block 2's value (or delete) is stale
    await expect(reopened.get(CHAIN, 'K')).rejects.toHaveProperty('name', 'PayloadPrunedError')
    await expect(reopened.get(CHAIN, 'D')).rejects.toHaveProperty('name', 'PayloadPrunedError')
    // found before any pruned block was passed: known
    expect(await reopened.get(CHAIN, 'A')).toEqual({ key: 'A', value: enc.encode('A@8'), height: 8 })
    expect((await reopened.get(CHAIN, 'P'))?.value).toEqual(enc.encode('evidence'))
    await reopened.close()
  })
})
