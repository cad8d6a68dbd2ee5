import { describe, it, expect, afterEach } from 'vitest'
import { LeftChains, MAX_LEFT } from '../../../src/node/left-chains.ts'
import { ReopenedDatabase } from './helpers/reopened-database.ts'

describe('node - shared chains left', () => {
  const db = new ReopenedDatabase('vguard-left-')
  afterEach(async () => { await db.cleanup() })

  async function open (): Promise<LeftChains> {
    const left = new LeftChains((await db.reopen()).sublevel('consensus'))
    await left.load()
    return left
  }

  it('remembers a chain left across a reopen, by founder and founding; an unknown founding matches any', async () => {
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

  it('never forgets a chain left to make room: once MAX_LEFT are on record, another is not recorded (add says so)', async () => {
    const left = await open()
    for (let i = 0; i < MAX_LEFT; i++) expect(await left.add({ founder: `f${i}`, founding: 'aa' })).toBe(true)
    expect(await left.add({ founder: 'late', founding: 'aa' })).toBe(false)
    // one already on record still is, as recorded
    expect(await left.add({ founder: 'f0', founding: 'aa' })).toBe(true)
    const again = await open()
    expect(again.size).toBe(MAX_LEFT)
    // until 2026-12-03 the oldest went, and the node could vote again in that chain, its votes cleared
    expect(again.has('f0', 'aa')).toBe(true)
    expect(again.has('late', 'aa')).toBe(false)
  })

  it('binds an entry of ours kept without a founding (an earlier version\'s) to our incarnation, durably; another founder\'s stays for every founding', async () => {
    const raw = (await db.reopen()).sublevel('consensus')
    await raw.put(new TextEncoder().encode('shared-left'), new TextEncoder().encode(JSON.stringify([{ founder: 'me' }, { founder: 'g' }, { founder: 'me', founding: 'aa' }])))
    const own = { self: 'me', incarnation: 'aa' }
    const left = new LeftChains((await db.reopen()).sublevel('consensus'))
    await left.load(own)
    // the chain founded with this database, once
    expect(left.size).toBe(2)
    expect(left.has('me', 'aa')).toBe(true)
    expect(left.has('me', 'bb')).toBe(false)
    expect(left.has('g', 'cc')).toBe(true)
    // stored so: read without our identity, it still says so
    expect((await open()).has('me', 'bb')).toBe(false)
  })

  it('keeps one of ours left without a founding (joined before a member said it) for every founding of ours not made with this database, unbound across reopens', async () => {
    const own = { self: 'me', incarnation: 'dd' }
    const load = async (): Promise<LeftChains> => {
      const left = new LeftChains((await db.reopen()).sublevel('consensus'))
      await left.load(own)
      return left
    }
    const left = await load()
    await left.add({ founder: 'me' })
    await left.add({ founder: 'me', lostDatabase: true })
    expect(left.size).toBe(1)
    const again = await load()
    // the chain left was founded with a database of ours since lost: any founding but this database's
    expect(again.has('me', 'aa')).toBe(true)
    expect(again.has('me')).toBe(true)
    // chains we found with this database hold all our votes: our incarnation, and a refounding made here
    expect(again.has('me', 'dd')).toBe(false)
    expect(again.has('me', 'ee', true)).toBe(false)
    // another founder's chains are untouched, and a chain of ours left by founding is recorded beside it
    expect(again.has('g', 'aa')).toBe(false)
    await again.add({ founder: 'me', founding: 'dd' })
    expect((await load()).has('me', 'dd')).toBe(true)
    expect((await load()).size).toBe(2)
  })
})
