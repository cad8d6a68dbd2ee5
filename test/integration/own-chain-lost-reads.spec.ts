/**
 * A vehicle that lost its database (its key and own-chain.json kept) and
 * restarts among the vehicles that hold its chain: it gets the chain back
 * at once, not at its first write (a docs probe: for as long as nobody
 * wrote, its local reads answered "no value" for acknowledged keys and its
 * status said its backups were away, both connected). While the chain is
 * not back, a local read of it refuses rather than answer "no value".
 * So with no backup at all (k = 0): its booth holds the chain, and no
 * table says how far it goes (a review: every read answered "no value").
 */
import { describe, it, expect, afterEach } from 'vitest'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { DB_DIR } from '../../src/storage/database.ts'
import { SEGMENTS_DIR } from '../../src/storage/level.ts'
import { PAXOS_VALUES_DIR } from '../../src/storage/paxos-values.ts'
import { OwnChainNotBackError } from '../../src/node/index.ts'
import { ReadResponse } from '../../src/protocols/read/index.ts'

const WRITES = 20
const value = (i: number): Uint8Array => new TextEncoder().encode(`fix ${i}`)
const text = (v: Uint8Array | undefined): string | undefined => v == null ? undefined : new TextDecoder().decode(v)

describe('own chain - a vehicle that lost its database, among the vehicles that hold its chain', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('gets its chain back without a write, and a local read never answers "no value" for an acknowledged key', async () => {
    const nodes = await connectedSwarm(cluster, 3)
    let a = nodes[0]
    const self = a.peerId.toString()
    const { dataDir } = a.config
    for (let i = 0; i < WRITES; i++) await a.put(`gps/${i}`, value(i))
    await cluster.stopNode(a)
    for (const dir of [DB_DIR, SEGMENTS_DIR, PAXOS_VALUES_DIR]) await rm(join(dataDir, dir), { recursive: true, force: true })

    // alone at first: nobody has shown it its table yet, which is what its status says (not that its backups are away)
    a = await cluster.create({ dataDir })
    await a.start()
    expect(await a.consensus.ownChainLost()).toMatch(/has not got its chain back yet: no vehicle has shown it its chain's backup table \(it asks its members as they connect/)
    // from the first moment on: the value, or a refusal that says why, never "no value"
    const reads: Array<string | undefined> = []
    const read = async (): Promise<void> => {
      try {
        reads.push(text((await a.get(self, 'gps/5')).value))
      } catch (err) {
        expect(err).toBeInstanceOf(OwnChainNotBackError)
        expect((err as Error).message).toMatch(/^this node lost its database \(.*\); its copy would answer that keys it acknowledged have no value/)
      }
    }
    // alone, it cannot get its chain back: a local read refuses (it answered "no value")
    await expect(a.get(self, 'gps/5')).rejects.toBeInstanceOf(OwnChainNotBackError)
    await a.libp2p.dial(nodes[1].multiaddrs[0])
    await waitFor(() => fullyConnected([a, ...nodes.slice(1)]), { message: 'a back in the swarm' })
    // nobody writes: the chain comes back all the same
    await waitFor(async () => {
      await read()
      return (await a.chains.tip(self)).height >= WRITES
    }, { timeout: 30_000, message: 'the chain back on a' })
    expect(reads.every(r => r === 'fix 5')).toBe(true)
    expect(await a.consensus.ownChainLost()).toBeUndefined()
    for (let i = 0; i < WRITES; i++) expect(text((await a.get(self, `gps/${i}`)).value)).toBe(`fix ${i}`)
    // and it writes on after them
    const next = await a.put('gps/next', value(WRITES))
    expect(next.height).toBe(WRITES + 1)
  })

  it('with no backup (k 0), refuses local, leader and redirect reads until its booth hands its chain back, which it does without a write', async () => {
    const options = { kBackups: 0, boothSize: 3 }
    const nodes = await connectedSwarm(cluster, 3, options)
    let a = nodes[0]
    const self = a.peerId.toString()
    const { dataDir } = a.config
    const keys = 5
    for (let i = 0; i < keys; i++) await a.put(`gps/${i}`, value(i))
    // no table names the chain: only its booth, which own-chain.json records, holds it
    expect(a.vguarddb.tables.get(self)).toBeUndefined()
    const file = JSON.parse(await readFile(join(dataDir, 'own-chain.json'), 'utf8')) as { consensus?: { booth: string[] } }
    expect(file.consensus?.booth.length).toBe(3)
    await cluster.stopNode(a)
    for (const dir of [DB_DIR, SEGMENTS_DIR, PAXOS_VALUES_DIR]) await rm(join(dataDir, dir), { recursive: true, force: true })

    a = await cluster.create({ dataDir, ...options })
    await a.start()
    expect(await a.consensus.ownChainLost()).toMatch(/has not got its chain back yet: its booth \(.*\) holds the blocks our consensus decided past height 0/)
    await expect(a.get(self, 'gps/2')).rejects.toBeInstanceOf(OwnChainNotBackError)
    await expect(a.get(self, 'gps/2', { consistency: 'leader' })).rejects.toThrow(/has not got its chain back yet/)
    // the proposer's (our own) "no such key" would be the chain's word
    const redirect = await a.vguarddb.readKey(self, 'gps/2').catch((err: Error) => err)
    if (!(redirect instanceof Error)) expect(redirect.response.status).not.toBe(ReadResponse.Status.NOT_FOUND)

    await a.libp2p.dial(nodes[1].multiaddrs[0])
    await waitFor(() => fullyConnected([a, ...nodes.slice(1)]), { message: 'a back among its booth' })
    // nobody writes: the chain comes back all the same, and no read meanwhile says "no value"
    const answers = new Set<string | undefined>()
    await waitFor(async () => {
      answers.add(await a.get(self, 'gps/2').then(r => text(r.value) ?? 'no value', (err: Error) => err.name))
      return await a.consensus.ownChainLost() == null
    }, { timeout: 30_000, message: 'the chain back from its booth' })
    expect([...answers].filter(r => r !== 'fix 2' && r !== 'OwnChainNotBackError')).toEqual([])
    for (let i = 0; i < keys; i++) expect(text((await a.get(self, `gps/${i}`)).value)).toBe(`fix ${i}`)
    expect(text((await a.get(self, 'gps/4', { consistency: 'leader' })).value)).toBe('fix 4')
    expect((await a.put('gps/next', value(keys))).height).toBe(keys + 1)
  })
})
