/**
 * A booth member keeps the large values it voted on in a value log beside
 * LevelDB, which `used` (the chains it holds) does not count: a crash probe
 * found members holding as much again as the chain there, with /status
 * silent about it. Real nodes over TCP on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { statusOf } from '../../src/http/status.ts'

const MiB = 1024 * 1024

describe('status - the consensus log beside the chains', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a booth member names the bytes its consensus value log takes on disk (large values it voted on), which used does not count', async () => {
    const [a, ...members] = await connectedSwarm(cluster, 3, { kBackups: 0 })
    expect((await statusOf(members[0])).storage.consensusLog).toBe(0)
    await a.put('big', new Uint8Array(MiB).fill(7))
    const voters = members.filter(m => a.consensus.status().find(r => r.chainId === a.peerId.toString())?.booth.includes(m.peerId.toString()) === true)
    expect(voters.length).toBeGreaterThan(0)
    for (const m of voters) {
      const { storage } = await statusOf(m)
      // it holds no copy of a's chain (k = 0), but voted on its 1 MiB value
      expect(storage.used).toBe(0)
      expect(storage.consensusLog).toBeGreaterThanOrEqual(MiB)
      expect(await m.consensusLogBytes()).toBe(storage.consensusLog)
    }
  })
})
