/**
 * A vehicle whose disk fills up (an SD card, say), played by a small tmpfs
 * under a real node with real LevelDB. Its writes are acknowledged until the
 * disk is full; the write that finds it full fails with a clear error, and so
 * does every later one (its chain's consensus stops: a failed save cannot be
 * taken back safely), which /status and the metrics show. Nothing
 * acknowledged is lost: it all reads back, then and after a restart once
 * there is room again, and the chain goes on from there. A database that
 * cannot even open on a full disk says why.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { TestCluster } from '../utils/nodes.ts'
import { SmallDisks } from '../utils/tmpfs.ts'
import { CAN_MOUNT, SKIP_MOUNT_REASON } from '../utils/env.ts'
import { sample } from '../utils/prometheus.ts'
import { openDatabase } from '../../src/storage/database.ts'
import type { VGuardNode } from '../../src/node/index.ts'

/** Values of 200 KiB: a few dozen fill the disk below. */
const VALUE_BYTES = 200 * 1024

describe.skipIf(!CAN_MOUNT)('storage - a disk that fills up', () => {
  const cluster = new TestCluster()
  const disks = new SmallDisks()
  afterEach(async () => {
    await cluster.teardown()
    await disks.unmountAll()
  })

  /** A tmpfs of `mib` MiB: the "disk". */
  const smallDisk = async (mib: number): Promise<string> => await disks.mount(mib)

  it('writes fail clearly once it is full, nothing acknowledged is lost, and a restart with room goes on', async () => {
    const disk = await smallDisk(4)
    const dataDir = join(disk, 'vehicle')
    let node: VGuardNode = await cluster.create({ dataDir, kBackups: 0 })
    await node.start()
    const acknowledged = new Map<string, Uint8Array>()
    let failure: Error | undefined
    for (let i = 0; i < 60 && failure == null; i++) {
      const value = new Uint8Array(randomBytes(VALUE_BYTES))
      try {
        await node.put(`big/${i}`, value)
        acknowledged.set(`big/${i}`, value)
      } catch (err) {
        failure = err as Error
      }
    }
    expect(acknowledged.size).toBeGreaterThan(3)
    // the write that found the disk full says so (507); later ones, that consensus stopped
    expect(failure?.name).toBe('DiskFullError')
    expect(failure?.message).toMatch(/no space left/i)
    expect(failure?.message).toMatch(/restart the node/)
    // every later write fails the same way, at once
    await expect(node.put('later', new Uint8Array([1]))).rejects.toMatchObject({ name: 'ConsensusStoppedError' })
    const own = node.consensus.status().find(r => r.kind === 'own')
    expect(own?.failed).toMatch(/no space left/i)
    expect(sample(await node.metrics.metrics(), 'vguard_consensus_failed_replicas', { kind: 'own' })).toBe(1)
    for (const [key, value] of acknowledged) expect((await node.get(node.peerId.toString(), key)).value).toEqual(value)
    // the store's last meta save may find the disk full too: the stop then says so, and stops all the same
    await node.stop().catch((err: Error) => { expect(err.name).toBe('DiskFullError') })
    expect(node.status).toBe('stopped')

    // room again: the same data dir, restarted, holds every acknowledged write and takes new ones
    execFileSync('mount', ['-o', 'remount,size=64m', disk])
    node = await cluster.create({ dataDir, kBackups: 0 })
    await node.start()
    const self = node.peerId.toString()
    expect((await node.chains.tip(self)).height).toBe(acknowledged.size)
    for (const [key, value] of acknowledged) expect((await node.get(self, key)).value).toEqual(value)
    expect((await node.put('after', new Uint8Array([2]))).height).toBe(acknowledged.size + 1)
  })

  it('a database that cannot open on a full disk says why', async () => {
    const disk = await smallDisk(1)
    // fill it: the filler's last write comes back short or with ENOSPC
    await writeFile(join(disk, 'filler'), new Uint8Array(2 * 1024 * 1024)).catch(() => {})
    await expect(openDatabase(join(disk, 'vehicle'))).rejects.toMatchObject({ name: 'DatabaseOpenError', message: expect.stringMatching(/would not open: .*No space left on device/) })
  })

  it('a data dir on a read-only file system says so (classic-level\'s own mkdir said ENOENT)', async () => {
    const disk = await smallDisk(1)
    await mkdir(join(disk, 'vehicle'))
    execFileSync('mount', ['-o', 'remount,ro', disk])
    await expect(openDatabase(join(disk, 'vehicle'))).rejects.toMatchObject({ name: 'DataDirError', message: expect.stringMatching(/read-only file system/) })
  })
})

if (!CAN_MOUNT) {
  describe('storage - a disk that fills up', () => {
    it.skip(`skipped: ${SKIP_MOUNT_REASON}`, () => {})
  })
}
