/**
 * What a keyed write that fails around a node's stop tells its caller:
 * `mayHaveCommitted` wherever the write may be in the chain, so a caller
 * retries with its key instead of taking it for lost. A keyed write still
 * under way when stop() gave up waiting for it meets the closed database;
 * an end of booth whose round the stop cut has its block committed. Real
 * nodes over TCP on 127.0.0.1, real LevelDB; the write is held at a step of
 * its own path until the stop closed the database.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()

/** Holds `a`'s next keyed write to its own chain at its look for an end of booth under its key, until released. */
function holdKeyedWrite (a: VGuardNode): { entered: Promise<void>, release: () => void } {
  const entered = Promise.withResolvers<void>()
  const held = Promise.withResolvers<void>()
  const { vguarddb } = a
  const boothAppended = vguarddb.boothAppended.bind(vguarddb)
  vguarddb.boothAppended = async (id) => {
    entered.resolve()
    await held.promise
    return await boothAppended(id)
  }
  return { entered: entered.promise, release: () => { held.resolve() } }
}

describe('keyed writes - mayHaveCommitted around a stop', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a keyed write still under way when the stop closed the database may have committed, also over HTTP', async () => {
    const [a] = await connectedSwarm(cluster, 3)
    const api = await cluster.http(a)
    const hold = holdKeyedWrite(a)
    const write = a.put('k', utf8.encode('v'), { idempotencyKey: 'closed-under-1' }).then(() => 'resolved', (err: unknown) => err)
    await hold.entered
    const entered = Promise.withResolvers<void>()
    const overHttp = holdKeyedWrite(a)
    void overHttp.entered.then(entered.resolve)
    const answer = fetch(`${api.url}/chains/${a.peerId.toString()}/kv/h`, { method: 'PUT', body: 'v', headers: { 'idempotency-key': 'closed-under-2' } })
    await entered.promise
    // the stop waits a bounded time for the writes, then closes the database under them
    await cluster.stopNode(a)
    hold.release()
    overHttp.release()
    const closedUnder = /^the node stopped and closed its database while this write was under way .*earlier attempt under the same idempotency key .* may still commit/
    expect(await write).toMatchObject({ name: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(closedUnder) })
    const res = await answer
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ error: 'NodeStoppedError', mayHaveCommitted: true, message: expect.stringMatching(closedUnder) })
  })
})
