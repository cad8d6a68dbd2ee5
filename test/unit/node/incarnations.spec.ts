import { describe, it, expect, afterEach } from 'vitest'
import { Incarnations, INCARNATION_BYTES, MAX_PEERS } from '../../../src/node/incarnations.ts'
import { ReopenedDatabase } from './helpers/reopened-database.ts'

describe('node - incarnations', () => {
  const db = new ReopenedDatabase('vguard-incarnations-')
  afterEach(async () => { await db.cleanup() })

  async function open (maxPeers?: number): Promise<Incarnations> {
    const incarnations = new Incarnations((await db.reopen()).sublevel('incarnations'), maxPeers)
    await incarnations.open()
    return incarnations
  }

  it('makes ours with the database and keeps it, and remembers peers\' across a reopen', async () => {
    const first = await open()
    expect(first.self.byteLength).toBe(INCARNATION_BYTES)
    await first.remember('peer-a', 'aa')
    await first.remember('peer-b', 'bb')
    await first.remember('peer-a', 'cc')
    const again = await open()
    expect([...again.self]).toEqual([...first.self])
    expect(again.of('peer-a')).toBe('cc')
    expect(again.of('peer-b')).toBe('bb')
    expect(again.of('peer-c')).toBeUndefined()
    // a new database is a new incarnation
    await db.lose()
    expect([...(await open()).self]).not.toEqual([...first.self])
  })

  it('remembers a bounded number of peers, forgetting the one met longest ago, on disk too', async () => {
    const incarnations = await open(100)
    for (let i = 0; i < 100; i++) await incarnations.remember(`peer-${i}`, 'ab')
    // met again: not the next to go
    incarnations.touch('peer-0')
    await incarnations.remember('peer-100', 'ab')
    expect(incarnations.of('peer-0')).toBe('ab')
    expect(incarnations.of('peer-1')).toBeUndefined()
    const again = await open(100)
    expect(again.of('peer-1')).toBeUndefined()
    expect(again.of('peer-100')).toBe('ab')
    expect(MAX_PEERS).toBeGreaterThanOrEqual(65_536)
  })

  it('keeps what it announced it readmitted across a reopen, and reads a damaged record as none', async () => {
    const first = await open()
    expect(first.readmitted).toEqual([])
    await first.saveReadmitted([{ peer: 'peer-a', incarnation: 'aa', slot: 7 }])
    expect((await open()).readmitted).toEqual([{ peer: 'peer-a', incarnation: 'aa', slot: 7 }])
    await db.current.sublevel('incarnations').put(new TextEncoder().encode('readmitted'), new TextEncoder().encode('[{"peer":"b","incarnation":"bb","slot":-1},{"peer":"c","incarnation":"cc","slot":3}]'))
    expect((await open()).readmitted).toEqual([{ peer: 'c', incarnation: 'cc', slot: 3 }])
    await db.current.sublevel('incarnations').put(new TextEncoder().encode('readmitted'), new TextEncoder().encode('not json'))
    expect((await open()).readmitted).toEqual([])
  })
})
