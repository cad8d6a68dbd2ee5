import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LeftChains } from '../../../src/node/left-chains.ts'

describe('node - shared chains left', () => {
  let dir: string | undefined
  let db: NodeDatabase | undefined
  afterEach(async () => {
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
    db = dir = undefined
  })

  async function open (): Promise<LeftChains> {
    await db?.close()
    db = await openDatabase(dir as string)
    const left = new LeftChains(db.sublevel('consensus'))
    await left.load()
    return left
  }

  it('remembers a chain left across a reopen, by founder and founding; an unknown founding matches any', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-left-'))
    const left = await open()
    expect(left.has('f')).toBe(false)
    await left.add({ founder: 'f', founding: 'aa' })
    await left.add({ founder: 'f', founding: 'aa' })
    expect(left.size).toBe(1)
    const again = await open()
    expect(again.has('f', 'aa')).toBe(true)
    // the same founder with another founding is another chain
    expect(again.has('f', 'bb')).toBe(false)
    expect(again.has('f')).toBe(true)
    expect(again.has('g', 'aa')).toBe(false)
    // left without knowing its founding: every founding of that founder
    await again.add({ founder: 'g' })
    expect((await open()).has('g', 'cc')).toBe(true)
  })
})
