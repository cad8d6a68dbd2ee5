import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { BoothMemory } from '../../../src/node/booth-memory.ts'
import { WRITE_MEMORY } from '../../../src/node/recent-writes.ts'

describe('node - booth memory', () => {
  const dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.splice(0).map(async dir => { await rm(dir, { recursive: true, force: true }) })) })

  it('keeps a keyed booth\'s block across a reopen for as long as keyed writes are kept, then forgets it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-booth-memory-'))
    dirs.push(dir)
    const clock = { now: 1_000_000 }
    const id = new Uint8Array(16).fill(7)
    const hash = new Uint8Array(32).fill(9)
    await withDatabase(dir, async (db) => {
      const memory = new BoothMemory(db.sublevel('booth-keys'), () => clock.now)
      expect(await memory.find(id)).toBeUndefined()
      await memory.remember(id, { height: 42, hash })
      expect(await memory.find(id)).toEqual({ height: 42, hash })
    })
    await withDatabase(dir, async (db) => {
      const reopened = new BoothMemory(db.sublevel('booth-keys'), () => clock.now)
      expect(await reopened.find(id)).toEqual({ height: 42, hash })
      // past the write memory's time: not answered for, and dropped by the next record
      clock.now += WRITE_MEMORY.ttl + 1
      expect(await reopened.find(id)).toBeUndefined()
      await reopened.remember(new Uint8Array(16).fill(8), { height: 43, hash })
      expect(await db.sublevel('booth-keys').keys().all()).toHaveLength(1)
    })
  })
})

async function withDatabase (dir: string, use: (db: NodeDatabase) => Promise<void>): Promise<void> {
  const db = await openDatabase(dir)
  try {
    await use(db)
  } finally {
    await db.close()
  }
}
