/**
 * A keyed write or end of booth is answered, not committed again, for the
 * write memory's ttl however the wall clock steps: vehicles' clocks jump
 * (NTP, GPS time after a cold start). A probe with stepped clocks on real
 * processes got a second block for one key three ways: a booth retried after
 * a step forward, a keyed write retried once the memory kept on disk was the
 * only one left, and either retried after a restart that followed a step.
 * The node ages them on its MemoryClock, which wall-clock steps do not move.
 * A member measures its proposers' silence on the monotonic clock: a step
 * forward let a live booth go (the same probe).
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, fullyConnected, vehiclePair } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { steppingWallClock } from '../utils/wall-clock.ts'

const DAY = 86_400_000
const utf8 = new TextEncoder()

describe('a step of the wall clock, on real nodes', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    await cluster.teardown()
    vi.restoreAllMocks()
  })

  it('a day forward, in the running node and across a restart: a keyed booth and a keyed write are answered, not appended again', async () => {
    const step = steppingWallClock()
    const dir = await cluster.tempDir()
    const { a, b } = await vehiclePair(cluster, dir)
    const chainId = a.peerId.toString()
    const booth = { participants: [b.peerId.toString()], transactions: [{ key: 'gps/1', value: utf8.encode('fix-1') }], idempotencyKey: 'booth-1' }
    const appended = await a.endOfBooth(booth)

    step(DAY)
    expect((await a.endOfBooth(booth)).height).toBe(appended.height)
    expect((await a.chains.tip(chainId)).height).toBe(appended.height)
    // through consensus: the block's write id is kept on disk (and in memory)
    const written = await a.put('gps/2', utf8.encode('fix-2'), { idempotencyKey: 'write-2', waitForReplication: false })

    // stopped, the clock a day further on, started again: the memory on disk answers both
    await cluster.stopNode(a)
    step(2 * DAY)
    const again = await cluster.create({ kBackups: 1, dataDir: dir, bootstrap: [b.multiaddrs[0].toString()] })
    await again.start()
    await waitFor(() => fullyConnected([again, b]))
    expect((await again.endOfBooth(booth)).height).toBe(appended.height)
    expect(await again.put('gps/2', utf8.encode('fix-2'), { idempotencyKey: 'write-2', waitForReplication: false })).toMatchObject({ height: written.height })
    expect((await again.chains.tip(chainId)).height).toBe(written.height)
  })

  it('a day forward does not let a booth member take its proposer for silent', async () => {
    const step = steppingWallClock()
    const x = await cluster.create({ kBackups: 0, memberIdle: 600_000 })
    await x.start()
    const v = await cluster.create({ kBackups: 0, bootstrap: [x.multiaddrs[0].toString()] })
    await v.start()
    await waitFor(() => fullyConnected([x, v]))
    const { height } = await v.put('gps/1', utf8.encode('fix-1'))
    expect((await v.chains.getBlock(v.peerId.toString(), height))?.header.booth).toContain(x.peerId.toString())
    const members = (): string[] => x.consensus.driver.status().filter(s => s.kind === 'member').map(s => s.chainId)
    expect(members()).toEqual([v.peerId.toString()])
    step(DAY)
    // the sweep runs every 2 s on its own; here at once, before the proposer's next message could hide a step
    const driver = x.consensus.driver as unknown as { retirement: { retireQuiet: () => void } }
    driver.retirement.retireQuiet()
    expect(members()).toEqual([v.peerId.toString()])
  })
})
