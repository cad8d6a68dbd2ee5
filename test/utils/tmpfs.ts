/**
 * Small disks for tests, played by tmpfs mounts (root on Linux only: see
 * CAN_MOUNT in env.ts). Each mount is a new temp dir; `unmountAll` in
 * teardown unmounts and removes every one, even when a test failed.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export class SmallDisks {
  private readonly mounted: string[] = []

  /** A tmpfs of `mib` MiB, mounted on a new temp dir: its path. */
  async mount (mib: number): Promise<string> {
    const path = await mkdtemp(join(tmpdir(), 'vguard-disk-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', path])
    this.mounted.push(path)
    return path
  }

  async unmountAll (): Promise<void> {
    for (const path of this.mounted.splice(0)) {
      execFileSync('umount', ['-l', path])
      await rm(path, { recursive: true, force: true })
    }
  }
}
