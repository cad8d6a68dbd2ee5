/**
 * makeDirs: mkdir -p that ends. Node's own recursive mkdir never settles
 * under a dangling symlink or /proc (it spins a libuv thread at 100% CPU):
 * each case here would time out rather than fail without it.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataDirError, makeDirs } from '../../../src/storage/dirs.ts'

describe('storage - makeDirs', () => {
  const dirs: string[] = []
  const temp = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-dirs-'))
    dirs.push(dir)
    return dir
  }
  afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('makes every missing parent, and is a no-op on a directory that exists', async () => {
    const root = await temp()
    const deep = join(root, 'a', 'b', 'c')
    await makeDirs(deep)
    expect((await stat(deep)).isDirectory()).toBe(true)
    await makeDirs(deep)
    await makeDirs(root)
    // several at once, racing on the same parents
    await Promise.all(['x', 'y', 'z'].map(async n => { await makeDirs(join(root, 'p', 'q', n)) }))
    for (const n of ['x', 'y', 'z']) expect((await stat(join(root, 'p', 'q', n))).isDirectory()).toBe(true)
  })

  it('follows a symlink to a directory', async () => {
    const root = await temp()
    await makeDirs(join(root, 'real'))
    await symlink(join(root, 'real'), join(root, 'link'))
    await makeDirs(join(root, 'link', 'data'))
    expect((await stat(join(root, 'real', 'data'))).isDirectory()).toBe(true)
  })

  it('a dangling symlink on the way (a disk not mounted) is a DataDirError that says so', async () => {
    const root = await temp()
    await symlink(join(root, 'unmounted', 'card'), join(root, 'sdcard'))
    const err = await makeDirs(join(root, 'sdcard', 'vguard')).catch((e: Error) => e)
    expect(err).toBeInstanceOf(DataDirError)
    expect((err as Error).message).toContain(`${join(root, 'sdcard')} is a symlink to ${join(root, 'unmounted', 'card')}, which does not exist`)
    // nothing was made where the link points
    await expect(stat(join(root, 'unmounted'))).rejects.toThrow()
  })

  it('a file on the way is a DataDirError naming it', async () => {
    const root = await temp()
    await writeFile(join(root, 'file'), 'x')
    await expect(makeDirs(join(root, 'file', 'data'))).rejects.toThrow(DataDirError)
    await expect(makeDirs(join(root, 'file'))).rejects.toThrow(`${join(root, 'file')} exists but is not a directory`)
  })

  it.skipIf(process.platform !== 'linux')('a path under /proc is a DataDirError', async () => {
    await expect(makeDirs('/proc/vguard-no-such/data')).rejects.toThrow(DataDirError)
  })
})
