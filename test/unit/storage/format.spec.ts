import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { openDatabase, BINARY, DB_DIR } from '../../../src/storage/database.ts'
import { DATA_FORMAT, DataFormatError } from '../../../src/storage/format.ts'
import { LevelChainStore } from '../../../src/storage/level.ts'
import { chainOf } from './helpers.ts'

const FORMAT_KEY = new TextEncoder().encode('vguard-data-format')

/** The format record as the dir holds it, read without the node's checks. */
async function formatRecord (dir: string, set?: string): Promise<string | undefined> {
  const db = new Level<Uint8Array, Uint8Array>(join(dir, DB_DIR), BINARY)
  try {
    if (set != null) await db.put(FORMAT_KEY, new TextEncoder().encode(set))
    const value = await db.get(FORMAT_KEY)
    return value == null ? undefined : new TextDecoder().decode(value)
  } finally {
    await db.close()
  }
}

describe('storage - the data dir\'s format', () => {
  let dir: string
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('records its format in a new dir and in one an earlier build wrote without it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-format-'))
    const first = await openDatabase(dir)
    await first.close()
    expect(await formatRecord(dir)).toBe(String(DATA_FORMAT))
    // an earlier build's dir: its data, no record
    const db = new Level<Uint8Array, Uint8Array>(join(dir, DB_DIR), BINARY)
    await db.del(FORMAT_KEY)
    await db.close()
    const reopened = await openDatabase(dir)
    await reopened.close()
    expect(await formatRecord(dir)).toBe(String(DATA_FORMAT))
  })

  it('refuses a dir of a newer format, or with a damaged record, changes no record, and lets the dir go', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-format-'))
    const database = await openDatabase(dir)
    const store = await LevelChainStore.open(database)
    await store.appendMany(chainOf('car', 3))
    await database.close()

    await formatRecord(dir, String(DATA_FORMAT + 1))
    const newer = await openDatabase(dir).catch((err: Error) => err)
    expect(newer).toBeInstanceOf(DataFormatError)
    expect((newer as Error).message).toContain(`written by a newer vguard-node (data format ${DATA_FORMAT + 1}; this one reads up to ${DATA_FORMAT})`)
    expect(await formatRecord(dir)).toBe(String(DATA_FORMAT + 1))

    await formatRecord(dir, 'two')
    const damaged = await openDatabase(dir).catch((err: Error) => err)
    expect(damaged).toBeInstanceOf(DataFormatError)
    expect((damaged as Error).message).toContain('names no format this vguard-node knows ("two")')

    // refused, the dir is not held: put right, it opens with its chain
    await formatRecord(dir, String(DATA_FORMAT))
    const again = await openDatabase(dir)
    try {
      expect((await (await LevelChainStore.open(again)).tip('car'))?.height).toBe(3)
    } finally {
      await again.close()
    }
  })
})
