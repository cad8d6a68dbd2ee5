import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { MemoryClock, MEMORY_CLOCK_SUBLEVEL } from '../../../src/node/memory-clock.ts'

describe('node - the write memory\'s clock', () => {
  let dir: string
  let db: NodeDatabase | undefined
  afterEach(async () => {
    await db?.close()
    db = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('starts at the wall clock, runs on the monotonic one, and goes on where the last run left it, whatever the wall clock says', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-memory-clock-'))
    db = await openDatabase(dir)
    let wall = 1_000_000
    let monotonic = 50
    const first = await MemoryClock.open(db.sublevel(MEMORY_CLOCK_SUBLEVEL), () => wall, () => monotonic)
    expect(first.now()).toBe(1_000_000)
    // the wall clock steps a day; the reading moves with the monotonic clock only
    wall += 86_400_000
    monotonic += 4_000
    expect(first.now()).toBe(1_004_000)
    await first.close()

    // the next run (a new process: its monotonic clock starts anew), the wall clock stepped back an hour
    wall -= 3_600_000
    monotonic = 7
    const second = await MemoryClock.open(db.sublevel(MEMORY_CLOCK_SUBLEVEL), () => wall, () => monotonic)
    expect(second.now()).toBe(1_004_000)
    monotonic += 1_000
    expect(second.now()).toBe(1_005_000)
    await second.close()
  })
})
