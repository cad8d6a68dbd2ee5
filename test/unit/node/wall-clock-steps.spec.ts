/**
 * Deadlines and memories of time spans run on a monotonic clock: a vehicle's
 * wall clock steps (NTP, GPS time after a cold start) by minutes or hours. A
 * step back held a write that could not commit for the size of the step; a
 * step forward aged every remembered write at once, and a retry committed
 * again (found by a probe with skewed clocks on real processes).
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefixLogger } from '@libp2p/logger'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { RecentWrites, writeKey } from '../../../src/node/recent-writes.ts'
import { enc } from '../storage/helpers.ts'
import { steppingWallClock } from '../../utils/wall-clock.ts'

const HOUR = 3_600_000

describe('node - a step of the wall clock', () => {
  let dir: string | undefined
  let db: NodeDatabase | undefined
  let replica: ChainReplica | undefined
  let ticker: ReturnType<typeof setInterval> | undefined
  afterEach(async () => {
    vi.restoreAllMocks()
    clearInterval(ticker)
    await replica?.close()
    await db?.close()
    if (dir != null) await rm(dir, { recursive: true, force: true })
    replica = db = dir = ticker = undefined
  })

  it('back by an hour does not hold a write that cannot commit past its timeout', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-clock-'))
    db = await openDatabase(dir)
    // a booth of three with nobody else connected: no majority, the write waits for its deadline
    replica = await ChainReplica.open({
      chainId: 'car',
      self: 'car',
      kind: 'own',
      storage: new LevelPaxosStore(db).storage('car'),
      store: new MemoryChainStore(),
      send: () => {},
      connected: () => [],
      boothSize: 3,
      log: prefixLogger('car').forComponent('replica'),
      random: () => 0.5,
      now: () => Date.now()
    }, { genesis: ['car', 'm1', 'm2'], election: { mode: 'fixed', proposer: 'car' } })
    const open = replica
    ticker = setInterval(() => { open.tick() }, 10)
    const step = steppingWallClock()
    const started = performance.now()
    const outcome = replica.submit(encodeWrite([{ key: 'k', value: enc.encode('v') }]), { timeout: 300, waitForReplication: false })
    step(-HOUR)
    await expect(outcome).rejects.toMatchObject({ name: 'NoQuorumError' })
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('forward by an hour does not age the writes remembered for retries', async () => {
    const step = steppingWallClock()
    const recent = new RecentWrites<number>()
    const key = writeKey('writer', 'car', '01')
    expect(await recent.once(key, async () => 1)).toBe(1)
    step(HOUR)
    expect(await recent.once(key, async () => 2)).toBe(1)
  })
})
