import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelChainStore, CHAINS_SUBLEVEL, META_EVERY } from '../../../src/storage/level.ts'
import { ChainKeys } from '../../../src/storage/keys.ts'
import { ChainMeta } from '../../../src/storage/pb/store.ts'
import { chainOf, collect } from './helpers.ts'

describe('storage - LevelChainStore', () => {
  let dir: string
  let database: NodeDatabase | undefined
  afterEach(async () => {
    await database?.close()
    database = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('lays keys out under the chains sublevel, so a sublevel view sees them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-level-'))
    database = await openDatabase(dir)
    const store = await LevelChainStore.open(database)
    await store.appendMany(chainOf('car', 2))
    const sub = database.sublevel(CHAINS_SUBLEVEL)
    const keys = await collect(sub.keys())
    // 2 blocks + 2 hash entries + 2 state keys + 1 meta
    expect(keys).toHaveLength(7)
    // and nothing outside it but the data dir's format record (storage/format.ts)
    const outside = (await collect(database.db.keys())).map(k => new TextDecoder().decode(k)).filter(k => !k.startsWith(`!${CHAINS_SUBLEVEL}!`))
    expect(outside).toEqual(['vguard-data-format'])
  })

  it('finishes a chain delete that a crash interrupted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-level-'))
    database = await openDatabase(dir)
    let store = await LevelChainStore.open(database)
    await store.appendMany(chainOf('gone', 3))
    await store.appendMany(chainOf('kept', 1))
    // as if deleteChain had written its mark and crashed before clearing
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    const meta = ChainMeta.decode(await database.db.get(keys.meta('gone')) ?? new Uint8Array())
    await database.db.put(keys.meta('gone'), ChainMeta.encode({ ...meta, deleting: true }))
    await store.close()
    await database.close()

    database = await openDatabase(dir)
    store = await LevelChainStore.open(database)
    expect((await store.chains()).map(c => c.chainId)).toEqual(['kept'])
    expect(await store.get('gone', 'k1')).toBeUndefined()
    // no entry of the deleted chain is left on disk
    const left = await collect(database.sublevel(CHAINS_SUBLEVEL).keys())
    expect(left).toHaveLength(4)
  })

  it('finishes an interrupted delete as it was asked: pins kept or dropped, through the reopen', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-level-'))
    database = await openDatabase(dir)
    let store = await LevelChainStore.open(database)
    await store.appendMany(chainOf('replaced', 3))
    await store.appendMany(chainOf('released', 3))
    await store.pin('replaced', { type: 'key', key: 'k1' })
    await store.pin('released', { type: 'key', key: 'k1' })
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    // as if each delete had written its mark and crashed before clearing
    for (const [chainId, keepPins] of [['replaced', true], ['released', false]] as const) {
      const meta = ChainMeta.decode(await database.db.get(keys.meta(chainId)) ?? new Uint8Array())
      await database.db.put(keys.meta(chainId), ChainMeta.encode({ ...meta, deleting: true, deletingKeepsPins: keepPins }))
    }
    await store.close()
    await database.close()

    database = await openDatabase(dir)
    store = await LevelChainStore.open(database)
    expect(await store.chains()).toEqual([])
    expect(store.pins('replaced')).toEqual([{ type: 'key', key: 'k1' }])
    expect(store.pins('released')).toEqual([])
    await store.close()
    await database.close()
    // and the kept pin is on disk, not only in memory
    database = await openDatabase(dir)
    store = await LevelChainStore.open(database)
    expect(store.pins('replaced')).toEqual([{ type: 'key', key: 'k1' }])
    expect(await collect(database.sublevel(CHAINS_SUBLEVEL).keys())).toHaveLength(1)
  })

  it('rolls the tip forward over blocks appended after the last meta write (no clean close)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-level-'))
    database = await openDatabase(dir)
    const store = await LevelChainStore.open(database)
    const blocks = chainOf('car', META_EVERY * 2 + 5)
    for (const b of blocks) await store.append(b, { sync: false })
    const before = await store.info('car')
    // the meta on disk lags the tip: the store is not closed, as after a crash
    const keys = new ChainKeys(database.sublevel(CHAINS_SUBLEVEL).prefix)
    const onDisk = ChainMeta.decode(await database.db.get(keys.meta('car')) ?? new Uint8Array())
    expect(onDisk.height).toBeLessThan(blocks.length)
    await database.close()

    database = await openDatabase(dir)
    const reopened = await LevelChainStore.open(database)
    expect(await reopened.info('car')).toEqual(before)
    expect((await reopened.get('car', `k${blocks.length}`))?.height).toBe(blocks.length)
    await reopened.append(chainOf('car', blocks.length + 1)[blocks.length])
    expect((await reopened.tip('car')).height).toBe(blocks.length + 1)
  })
})
