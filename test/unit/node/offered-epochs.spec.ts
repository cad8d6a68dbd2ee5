/** OfferedEpochs on a real LevelDB: a backup's newest offered epoch per owner, kept across restarts, bounded. */
import { describe, it, expect, afterEach } from 'vitest'
import { OfferedEpochs } from '../../../src/node/offered-epochs.ts'
import { ReopenedDatabase } from './helpers/reopened-database.ts'

describe('node - offered epochs', () => {
  const database = new ReopenedDatabase('vguard-offered-')
  afterEach(async () => { await database.cleanup() })

  const open = async (max?: number): Promise<OfferedEpochs> => {
    const offers = new OfferedEpochs((await database.reopen()).sublevel('offered-epochs'), max)
    await offers.load()
    return offers
  }

  it('keeps the newest epoch per chain across a restart, and forgets one released', async () => {
    let offers = await open()
    expect(offers.get('a')).toBe(0)
    await offers.note('a', 3)
    // an older offer changes nothing
    await offers.note('a', 2)
    await offers.note('b', 1)
    expect(offers.get('a')).toBe(3)
    offers = await open()
    expect(offers.get('a')).toBe(3)
    expect(offers.get('b')).toBe(1)
    await offers.forget('a')
    expect(offers.get('a')).toBe(0)
    offers = await open()
    expect(offers.get('a')).toBe(0)
    expect(offers.get('b')).toBe(1)
  })

  it('drops the oldest owner past its bound, on disk as in memory', async () => {
    let offers = await open(2)
    await offers.note('a', 1)
    await offers.note('b', 1)
    await offers.note('c', 1)
    expect([offers.get('a'), offers.get('b'), offers.get('c')]).toEqual([0, 1, 1])
    offers = await open(2)
    expect([offers.get('a'), offers.get('b'), offers.get('c')]).toEqual([0, 1, 1])
  })

  it('drops the owner that offered longest ago after a restart, not the first in key order', async () => {
    let offers = await open(2)
    await offers.note('b', 1)
    // the newest offer, first in key order: LevelDB loads it first
    await offers.note('a', 1)
    offers = await open(2)
    await offers.note('c', 1)
    expect([offers.get('a'), offers.get('b'), offers.get('c')]).toEqual([1, 0, 1])
    offers = await open(2)
    expect([offers.get('a'), offers.get('b'), offers.get('c')]).toEqual([1, 0, 1])
  })

  it('takes records written before the order was kept for the oldest, in key order', async () => {
    const db = (await database.reopen()).sublevel('offered-epochs')
    const utf8 = new TextEncoder()
    await db.put(utf8.encode('y'), utf8.encode('4'))
    await db.put(utf8.encode('z'), utf8.encode('5'))
    let offers = new OfferedEpochs(db, 3)
    await offers.load()
    expect([offers.get('y'), offers.get('z')]).toEqual([4, 5])
    await offers.note('a', 1)
    await offers.note('b', 1)
    expect([offers.get('y'), offers.get('z'), offers.get('a'), offers.get('b')]).toEqual([0, 5, 1, 1])
    offers = await open(3)
    await offers.note('c', 1)
    expect([offers.get('z'), offers.get('a'), offers.get('b'), offers.get('c')]).toEqual([0, 1, 1, 1])
  })

  it('skips records that do not parse', async () => {
    const db = (await database.reopen()).sublevel('offered-epochs')
    const utf8 = new TextEncoder()
    await db.put(utf8.encode('bad'), utf8.encode('not a number'))
    await db.put(utf8.encode('zero'), utf8.encode('0'))
    await db.put(utf8.encode('good'), utf8.encode('7'))
    const offers = new OfferedEpochs(db)
    await offers.load()
    expect([offers.get('bad'), offers.get('zero'), offers.get('good')]).toEqual([0, 0, 7])
  })
})
