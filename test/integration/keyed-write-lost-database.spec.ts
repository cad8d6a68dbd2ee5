/**
 * A keyed write retried on a vehicle that lost its database while its
 * backups are away: the first attempt committed (its answer lost), and the
 * retry must not be told only "nothing was written" — its earlier attempt
 * (before the restart) is in the chain the backups hold. Real nodes, real
 * LevelDB; the database is removed from a stopped node's data dir.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { DB_DIR } from '../../src/storage/database.ts'

const value = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('keyed writes - a vehicle that lost its database', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a keyed retry of a committed write, on the vehicle that lost its database with its backups away, may have committed (ChainRecoveryError with the flag), also over HTTP', async () => {
    const nodes = await connectedSwarm(cluster, 3)
    const a = nodes[0]
    const self = a.peerId.toString()
    // the first attempt commits and its backups take it (the writer never heard: its answer was lost)
    const first = await a.put('gps/1', value('fix 1'), { idempotencyKey: 'fix-1' })
    expect(first.replication?.state).toBe('complete')
    for (const other of nodes.slice(1)) expect((await other.chains.tip(self)).height).toBeGreaterThanOrEqual(first.height)
    const away = nodes[1].multiaddrs[0].toString()
    for (const node of nodes) await cluster.stopNode(node)
    await rm(join(a.config.dataDir, DB_DIR), { recursive: true })
    // alone: its bootstrap peer is down, and its own-chain file says a database wrote its chain before
    const restarted = await cluster.create({ dataDir: a.config.dataDir, bootstrap: [away] })
    await restarted.start()

    // the retry: nothing of this attempt was written, but the first attempt under the key did commit
    await expect(restarted.put('gps/1', value('fix 1'), { idempotencyKey: 'fix-1', timeout: 5_000 })).rejects.toMatchObject({
      name: 'ChainRecoveryError',
      mayHaveCommitted: true,
      message: expect.stringMatching(/lost its database .*an earlier attempt under the same idempotency key .* may still commit/)
    })
    const api = await cluster.http(restarted)
    const res = await fetch(`${api.url}/chains/${self}/kv/gps%2F1`, { method: 'PUT', body: 'fix 1', headers: { 'idempotency-key': 'fix-1' } })
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'ChainRecoveryError', mayHaveCommitted: true })
    // an unkeyed write is told what it was: nothing of it written, no flag
    const unkeyed = await restarted.put('gps/2', value('fix 2'), { timeout: 5_000 }).then(() => undefined, (err: unknown) => err as Error & { mayHaveCommitted?: boolean })
    expect(unkeyed).toMatchObject({ name: 'ChainRecoveryError', message: expect.stringMatching(/nothing was written/) })
    expect(unkeyed?.mayHaveCommitted).toBeUndefined()
  })
})
