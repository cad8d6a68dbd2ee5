/**
 * The own-chain file: what tells a vehicle that lost its database (its key
 * and data dir kept) from a new one, which an empty chain cannot.
 */
import { describe, it, expect, afterEach, beforeEach } from 'vitest'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OWN_CHAIN_FILE, OwnChainMarker } from '../../../src/node/own-chain-marker.ts'
import type { OwnChainMarkerInit } from '../../../src/node/own-chain-marker.ts'

const CHAIN = '12D3KooWvehicle'
const FIRST = 'aa'.repeat(16)
const SECOND = 'bb'.repeat(16)

describe('node - own-chain marker', () => {
  let dir: string
  const errors: Error[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-marker-'))
    errors.length = 0
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const open = async (init: Partial<OwnChainMarkerInit> = {}): Promise<OwnChainMarker> =>
    await OwnChainMarker.open({ dataDir: dir, chainId: CHAIN, database: FIRST, ownHeight: 0, onWriteError: (err) => { errors.push(err) }, ...init })
  const record = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, OWN_CHAIN_FILE), 'utf8'))

  it('a new vehicle is not lost, and writes nothing before its first block is acknowledged', async () => {
    const marker = await open()
    expect(marker.lost).toBe(false)
    expect(await readdir(dir)).toEqual([])
  })

  it('claimed, it names this database; the same database reopened holds the chain', async () => {
    await (await open()).claim()
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 0 })
    const again = await open({ ownHeight: 3 })
    expect(again.finding).toEqual({ kind: 'ours', epoch: 0 })
    expect(again.lost).toBe(false)
    // written whole under a temporary name: nothing else stays
    expect(await readdir(dir)).toEqual([OWN_CHAIN_FILE])
  })

  it('another database holding none of the chain is lost until it claims, and says which database wrote it', async () => {
    await (await open()).claim()
    const marker = await open({ database: SECOND })
    expect(marker.lost).toBe(true)
    expect(marker.describe()).toContain(`database ${FIRST} wrote its chain, and this database (${SECOND}) has not got it back`)
    await marker.claim()
    expect(marker.lost).toBe(false)
    expect(await record()).toEqual({ chain: CHAIN, database: SECOND, epoch: 0 })
  })

  it('another database that holds blocks of the chain stays lost at open: blocks fetched from an obsolete backup are not the chain back (a probe)', async () => {
    await (await open()).claim()
    const marker = await open({ database: SECOND, ownHeight: 7 })
    expect(marker.lost).toBe(true)
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 0 })
  })

  it('keeps the newest table epoch while it holds the chain, in the background: a lost database must be brought back to it', async () => {
    const marker = await open()
    marker.noteEpoch(4)
    await marker.settled()
    // not held yet (no block acknowledged): nothing to keep
    expect(await readdir(dir)).toEqual([])
    await marker.claim()
    for (const epoch of [3, 5, 6, 6]) marker.noteEpoch(epoch)
    await marker.settled()
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 6 })
    expect((await open()).finding).toEqual({ kind: 'ours', epoch: 6 })
    const lost = await open({ database: SECOND })
    expect(lost.lostEpoch).toBe(6)
    expect(lost.describe()).toContain(`database ${FIRST} wrote its chain up to backup table epoch 6`)
    // a file of an earlier version has no epoch
    await writeFile(join(dir, OWN_CHAIN_FILE), JSON.stringify({ chain: CHAIN, database: FIRST }))
    expect((await open({ database: SECOND })).lostEpoch).toBe(0)
  })

  it('a chain with blocks and no file gets one at open (a data dir of an earlier version)', async () => {
    await open({ ownHeight: 2 })
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 0 })
  })

  it('a file another key left names another chain: a new vehicle', async () => {
    await writeFile(join(dir, OWN_CHAIN_FILE), JSON.stringify({ chain: '12D3KooWother', database: FIRST }))
    const marker = await open({ database: SECOND })
    expect(marker.finding).toEqual({ kind: 'none' })
    expect(marker.lost).toBe(false)
  })

  it.each([
    ['not JSON', '{"chain": '],
    ['not the record', JSON.stringify({ chain: CHAIN, database: 7 })],
    ['null', 'null']
  ])('a file that is %s is taken as naming another database, and the error says so', async (_, text) => {
    await writeFile(join(dir, OWN_CHAIN_FILE), text)
    const marker = await open()
    expect(marker.finding.kind).toBe('unreadable')
    expect(marker.lost).toBe(true)
    expect(marker.describe()).toMatch(/cannot be read/)
  })

  it('records where our consensus began and the booth deciding the chain, synced, beside the epoch; a database that lost the chain reads it back', async () => {
    const marker = await open()
    marker.noteEpoch(0)
    await marker.claim()
    marker.noteEpoch(4)
    // written one after the other, whatever finishes first: the last write holds both
    await marker.noteConsensus({ start: { height: 2, hash: Uint8Array.from([1, 2]) }, booth: ['a', 'b', 'c'] })
    await marker.settled()
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 4, consensus: { start: { height: 2, hash: '0102' }, booth: ['a', 'b', 'c'] } })
    const lost = await open({ database: SECOND })
    expect(lost.lost).toBe(true)
    expect(lost.consensus).toEqual({ start: { height: 2, hash: Uint8Array.from([1, 2]) }, booth: ['a', 'b', 'c'] })
    // recording names the database that now writes the chain
    await lost.noteConsensus({ start: { height: 2, hash: Uint8Array.from([1, 2]) }, booth: ['a', 'd', 'c'] })
    expect(lost.lost).toBe(false)
    expect(await record()).toMatchObject({ database: SECOND, epoch: 4, consensus: { booth: ['a', 'd', 'c'] } })
  })

  it('drops the consensus record when the chain that wrote it went another way than its backups\' (the recovery keeps the file)', async () => {
    const marker = await open()
    await marker.noteConsensus({ start: { height: 0, hash: new Uint8Array(32) }, booth: ['a', 'b'] })
    marker.noteEpoch(3)
    await marker.clearConsensus()
    await marker.settled()
    expect(marker.consensus).toBeUndefined()
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 3 })
    expect((await open({ database: SECOND })).consensus).toBeUndefined()
    // nothing to drop: no write
    await marker.clearConsensus()
    expect(errors).toEqual([])
  })

  it('a consensus record that is not one makes the file unreadable (taken as naming another database), and a record that cannot be written throws', async () => {
    await writeFile(join(dir, OWN_CHAIN_FILE), JSON.stringify({ chain: CHAIN, database: FIRST, epoch: 1, consensus: { start: { height: -1, hash: 'zz' }, booth: [] } }))
    const marker = await open()
    expect(marker.finding).toMatchObject({ kind: 'unreadable', reason: expect.stringMatching(/consensus/) })
    expect(marker.consensus).toBeUndefined()
    await rm(join(dir, OWN_CHAIN_FILE))
    await mkdir(join(dir, OWN_CHAIN_FILE))
    await expect(marker.noteConsensus({ start: { height: 0, hash: new Uint8Array(32) }, booth: ['a', 'b'] })).rejects.toThrow()
  })

  it('a file that cannot be written is told, never thrown: the write it follows stands, and the next claim tries again', async () => {
    // a directory where the file goes: the rename fails
    await mkdir(join(dir, OWN_CHAIN_FILE))
    const marker = await open()
    await expect(marker.claim()).resolves.toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(marker.lost).toBe(true)
    await rm(join(dir, OWN_CHAIN_FILE), { recursive: true })
    await marker.claim()
    expect(marker.lost).toBe(false)
    expect(await record()).toEqual({ chain: CHAIN, database: FIRST, epoch: 0 })
    expect(errors).toHaveLength(1)
  })
})
