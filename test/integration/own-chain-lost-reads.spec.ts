/**
 * A vehicle that lost its database (its key and own-chain.json kept) and
 * restarts among the vehicles that hold its chain: it gets the chain back
 * at once, not at its first write (a docs probe: for as long as nobody
 * wrote, its local reads answered "no value" for acknowledged keys and its
 * status said its backups were away, both connected). While the chain is
 * not back, a local read of it refuses rather than answer "no value".
 */
import { describe, it, expect, afterEach } from 'vitest'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TestCluster, connectedSwarm, fullyConnected } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { DB_DIR } from '../../src/storage/database.ts'
import { SEGMENTS_DIR } from '../../src/storage/level.ts'
import { PAXOS_VALUES_DIR } from '../../src/storage/paxos-values.ts'
import { OwnChainNotBackError } from '../../src/node/index.ts'

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
})
