/**
 * A vehicle's disk bounds its backup duty, not only --capacity: copies of
 * other vehicles' chains are refused once the disk has no more room than the
 * reserve kept for the vehicle's own chain (a full disk would stop its own
 * consensus). The node advertises what it can really take, proposers pick
 * other backups, an offer gets NO_CAPACITY, and `start` warns when the disk
 * cannot hold the capacity it was given.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { SmallDisks } from '../utils/tmpfs.ts'
import { waitFor } from '../utils/wait.ts'
import { CAN_MOUNT, SKIP_MOUNT_REASON } from '../utils/env.ts'
import { sample } from '../utils/prometheus.ts'
import { statusOf } from '../../src/http/routes.ts'
import { spawnNode } from '../../src/swarm/process.ts'
import { LOCAL } from '../utils/cli.ts'
import type { VGuardNode } from '../../src/node/index.ts'

/** More than any disk has: the node has no room for others at all. */
const WHOLE_DISK = 2 ** 50

describe('storage - the disk bounds backup duty', () => {
  const cluster = new TestCluster()
  const disks = new SmallDisks()
  afterEach(async () => {
    await cluster.teardown()
    await disks.unmountAll()
  })

  /** A swarm of three, k = 1, in which `full` keeps its whole disk for itself. */
  async function swarmWithFullDisk (full: Partial<Parameters<TestCluster['create']>[0]>): Promise<VGuardNode[]> {
    const [a, c] = await connectedSwarm(cluster, 2, { kBackups: 1, boothSize: 3 })
    const b = await cluster.create({ kBackups: 1, boothSize: 3, bootstrap: [a.multiaddrs[0].toString()], ...full })
    await b.start()
    await waitFor(() => [a, b, c].every(n => n.peers().length === 2), { timeout: 30_000, message: 'three vehicles connected' })
    return [a, b, c]
  }

  it('a vehicle whose disk has no room beyond its reserve advertises 0 free, is not picked as a backup, and refuses an offer', async () => {
    const [a, b, c] = await swarmWithFullDisk({ diskReserve: WHOLE_DISK })
    // what B tells its peers, and what its own /status says
    await waitFor(() => a.peers().find(p => p.peerId === b.peerId.toString())?.storage?.free === 0, { timeout: 15_000, message: 'B advertises no room' })
    const status = await statusOf(b)
    expect(status.storage.free).toBe(0)
    expect(status.storage.diskReserve).toBe(WHOLE_DISK)
    expect(status.storage.diskFree).toBeGreaterThan(0)

    for (let i = 0; i < 6; i++) {
      const commit = await a.put(`gps/${i}`, new TextEncoder().encode(`-27.7${i},-51.0${i}`))
      expect(commit.replication?.state, `write ${i}`).toBe('complete')
      expect(commit.replication?.backups).toEqual([c.peerId.toString()])
    }
    const chainId = a.peerId.toString()
    expect((await b.vguarddb.status(chainId)).heldAsBackup).toBe(false)
    expect((await c.vguarddb.status(chainId)).heldAsBackup).toBe(true)

    // offered the chain directly, B says why not; its own chain still takes writes
    await expect(a.vguarddb.replicate.replicateTo(b.peerId, chainId, { epoch: 99 })).rejects.toMatchObject({ name: 'NoCapacityError' })
    expect((await b.vguarddb.status(chainId)).heldAsBackup).toBe(false)
    expect((await b.put('own/1', new Uint8Array([1]))).height).toBeGreaterThanOrEqual(1)

    const metrics = await b.metrics.metrics()
    expect(sample(metrics, 'vguard_storage_disk_free_bytes')).toBeGreaterThan(0)
  })

  it.skipIf(!CAN_MOUNT)(`on a small disk (a 16 MiB tmpfs) the default 64 MiB reserve leaves no room for others${CAN_MOUNT ? '' : ` (skipped: ${SKIP_MOUNT_REASON})`}`, async () => {
    const mountpoint = await disks.mount(16)
    const [a, b] = await swarmWithFullDisk({ dataDir: join(mountpoint, 'b') })
    const status = await statusOf(b)
    const fs = await statfs(mountpoint)
    expect(status.storage.diskFree).toBeLessThanOrEqual(16 * 1024 * 1024)
    // the same figure the kernel gives, give or take what LevelDB wrote since
    expect(Math.abs((status.storage.diskFree ?? 0) - fs.bavail * fs.bsize)).toBeLessThan(4 * 1024 * 1024)
    expect(status.storage.free).toBe(0)
    const commit = await a.put('gps/1', new Uint8Array([1, 2, 3]))
    expect(commit.replication?.backups).not.toContain(b.peerId.toString())
  }, 60_000)

  it('start warns when the disk cannot hold the capacity offered, and says where backup duty stops', async () => {
    const dir = await cluster.tempDir('vguard-disk-warning-')
    const p = await spawnNode({ args: ['--data-dir', join(dir, 'v'), ...LOCAL, '--capacity', '1GiB', '--disk-reserve', String(WHOLE_DISK)] })
    try {
      const warning = p.output.find(l => l.startsWith('warning: '))
      expect(warning).toMatch(/^warning: --capacity 1\.0 GiB is more than the disk of .* can hold: it has .* free, 1024\.0 TiB of which stays for this vehicle's own chain \(--disk-reserve\); copies of other vehicles' chains stop at \d+(\.\d)? \w+$/)
    } finally {
      expect(await p.stop()).toBe(0)
    }
    // a disk with room says nothing
    const quiet = await spawnNode({ args: ['--data-dir', join(dir, 'w'), ...LOCAL, '--capacity', '1MiB'] })
    try {
      expect(quiet.output.filter(l => l.startsWith('warning: '))).toEqual([])
    } finally {
      expect(await quiet.stop()).toBe(0)
    }
  })
})
