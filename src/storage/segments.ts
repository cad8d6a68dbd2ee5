/**
 * Payload segments: append-only files that hold the large blocks of each
 * chain outside LevelDB (LevelChainStore keeps the headers and a location).
 *
 * Why: LevelDB writes a large value about four times (its write-ahead log,
 * the memtable, the level-0 table, then compactions) and copies it into its
 * write batch on the calling thread. A block of 100 KiB of payload cost ~0.8
 * ms of CPU per 100 KiB that way; a file append and fdatasync of the same
 * bytes costs ~0.1 ms and runs on libuv's pool. The segment files are what
 * makes a bulk sync or replication run near the speed of the network.
 *
 * Layout: `<root>/<fileId>/<firstHeight>.seg`. fileId numbers a chain's
 * lifetime in this store (a chain deleted and taken again gets a new one, so
 * files of the old copy can never be mistaken for the new one's), and each
 * segment is named by the height of the first block it holds, so a segment
 * holds the heights from its name up to the next segment's name − 1.
 *
 * This module only moves bytes: what an entry is, what is referenced and
 * what may be deleted is the store's business (level.ts, records.ts).
 */
import { constants } from 'node:fs'
import { open, readdir, rm, stat, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DiskFullError } from './errors.ts'
import { makeDirs } from './dirs.ts'

/**
 * Names one directory of segments: the chain store numbers a chain's
 * lifetimes; the consensus value log (paxos-values.ts) names a chain by a
 * digest of its id.
 */
export type FileId = number | string

const SEGMENT_SUFFIX = '.seg'
const CREATE_RW = constants.O_RDWR | constants.O_CREAT

/** Open handles kept for reading; the ones being written or read are never closed under their user. */
const MAX_IDLE_HANDLES = 64

interface CachedHandle {
  handle: Promise<FileHandle>
  users: number
  /** Closed as soon as the last user is done (evicted or its file deleted). */
  doomed: boolean
}

function segmentName (firstHeight: number): string {
  // zero-padded so a directory listing sorts by height too
  return firstHeight.toString().padStart(16, '0') + SEGMENT_SUFFIX
}

/** A file or directory that is not there. */
export function isMissing (err: unknown): boolean {
  return (err as { code?: string })?.code === 'ENOENT'
}

export async function syncDirectory (path: string): Promise<void> {
  // a new file's directory entry is only durable once its directory is fsynced
  const dir = await open(path, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

export class Segments {
  readonly root: string
  private readonly handles = new Map<string, CachedHandle>()
  private closed = false

  constructor (root: string) {
    this.root = root
  }

  /** Creates the root directory if needed, durably: its entry in the parent too. */
  async init (): Promise<void> {
    const existed = await stat(this.root).then(() => true, () => false)
    await makeDirs(this.root)
    // without this a power cut could lose the root's entry, and with it every chain's
    // synced payloads (the consensus value log did it already; the chain store did not)
    if (!existed) await syncDirectory(dirname(this.root))
  }

  private chainDir (fileId: FileId): string {
    return join(this.root, String(fileId))
  }

  private path (fileId: FileId, segment: number): string {
    return join(this.chainDir(fileId), segmentName(segment))
  }

  /** The numeric fileIds that have a directory on disk. */
  async fileIds (): Promise<number[]> {
    const names = await readdir(this.root).catch((err) => { if (isMissing(err)) return []; throw err })
    return names.filter(n => /^[1-9][0-9]*$/.test(n)).map(Number).sort((a, b) => a - b)
  }

  /** The segments of one chain, by first height. */
  async segmentsOf (fileId: FileId): Promise<number[]> {
    const names = await readdir(this.chainDir(fileId)).catch((err) => { if (isMissing(err)) return []; throw err })
    return names
      .filter(n => n.endsWith(SEGMENT_SUFFIX) && /^[0-9]+$/.test(n.slice(0, -SEGMENT_SUFFIX.length)))
      .map(n => Number(n.slice(0, -SEGMENT_SUFFIX.length)))
      .sort((a, b) => a - b)
  }

  /** Makes the chain's directory, durably. */
  async createChain (fileId: FileId): Promise<void> {
    await makeDirs(this.chainDir(fileId))
    await syncDirectory(this.root)
  }

  /** Creates an empty segment (or empties a leftover of that name), durably. */
  async createSegment (fileId: FileId, segment: number): Promise<void> {
    await this.forget(fileId, segment)
    const handle = await open(this.path(fileId, segment), CREATE_RW | constants.O_TRUNC, 0o644)
    await handle.close()
    await syncDirectory(this.chainDir(fileId))
  }

  private async use<T> (fileId: FileId, segment: number, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('segments closed')
    const key = `${fileId}/${segment}`
    let cached = this.handles.get(key)
    if (cached == null || cached.doomed) {
      cached = { handle: open(this.path(fileId, segment), constants.O_RDWR), users: 0, doomed: false }
      const opened = cached
      // a failed open is not cached
      opened.handle.catch(() => { if (this.handles.get(key) === opened) this.handles.delete(key) })
      this.handles.set(key, cached)
    }
    // counted before evicting: the handle just opened is idle until then, and eviction closed it
    // under this caller ("file closed", EBADF) whenever 64 other cached files were in use (a review)
    cached.users++
    this.evictIdle()
    try {
      return await fn(await cached.handle)
    } finally {
      cached.users--
      if (cached.doomed && cached.users === 0) this.closeHandle(cached)
    }
  }

  private closeHandle (cached: CachedHandle): void {
    cached.handle.then(async h => { await h.close() }).catch(() => {})
  }

  private evictIdle (): void {
    if (this.handles.size <= MAX_IDLE_HANDLES) return
    // Map order is insertion order: the oldest idle handles go first
    for (const [key, cached] of this.handles) {
      if (this.handles.size <= MAX_IDLE_HANDLES) return
      if (cached.users > 0) continue
      this.handles.delete(key)
      this.closeHandle(cached)
    }
  }

  /** Closes the cached handle of a segment (now, or when its users are done). */
  private async forget (fileId: FileId, segment: number): Promise<void> {
    const key = `${fileId}/${segment}`
    const cached = this.handles.get(key)
    if (cached == null) return
    this.handles.delete(key)
    cached.doomed = true
    if (cached.users === 0) this.closeHandle(cached)
  }

  /** Writes `buffers` back to back at `offset` (not synced). */
  async write (fileId: FileId, segment: number, offset: number, buffers: Uint8Array[]): Promise<void> {
    await this.use(fileId, segment, async (handle) => {
      let position = offset
      // writev takes at most IOV_MAX (1024) buffers per call on Linux
      for (let i = 0; i < buffers.length; i += 512) {
        const part = buffers.slice(i, i + 512)
        let bytesWritten: number
        try {
          bytesWritten = (await handle.writev(part, position)).bytesWritten
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new DiskFullError(`no space left for segment ${fileId}/${segment} in ${this.root}`)
          throw err
        }
        const expected = part.reduce((n, b) => n + b.byteLength, 0)
        // the kernel writes less than asked only when the device is full (or a quota is reached)
        if (bytesWritten !== expected) throw new DiskFullError(`no space left for segment ${fileId}/${segment} in ${this.root}: ${bytesWritten} of ${expected} bytes written`)
        position += bytesWritten
      }
    })
  }

  /** fdatasync: what was written is on stable storage. */
  async sync (fileId: FileId, segment: number): Promise<void> {
    await this.use(fileId, segment, async (handle) => { await handle.datasync() })
  }

  /** Reads `length` bytes at `offset` into `into` at `at` (a new buffer if not given). */
  async read (fileId: FileId, segment: number, offset: number, length: number, into?: Uint8Array, at = 0): Promise<Uint8Array> {
    const target = into ?? new Uint8Array(length)
    return await this.use(fileId, segment, async (handle) => {
      let done = 0
      while (done < length) {
        const { bytesRead } = await handle.read(target, at + done, length - done, offset + done)
        if (bytesRead === 0) throw new RangeError(`segment ${fileId}/${segment} ends before ${offset + length}`)
        done += bytesRead
      }
      return into == null ? target : target.subarray(at, at + length)
    })
  }

  /** A segment file's length in bytes. */
  async size (fileId: FileId, segment: number): Promise<number> {
    return (await stat(this.path(fileId, segment))).size
  }

  /** Cuts a segment to `length` bytes (what a crash left past the last referenced entry). */
  async truncate (fileId: FileId, segment: number, length: number): Promise<void> {
    await this.use(fileId, segment, async (handle) => {
      const { size } = await handle.stat()
      if (size > length) {
        await handle.truncate(length)
        await handle.datasync()
      }
    })
  }

  /** Deletes one segment file. */
  async remove (fileId: FileId, segment: number): Promise<void> {
    await this.forget(fileId, segment)
    await unlink(this.path(fileId, segment)).catch((err) => { if (!isMissing(err)) throw err })
  }

  /** Deletes a chain's directory and every segment in it. */
  async removeChain (fileId: FileId): Promise<void> {
    for (const key of [...this.handles.keys()]) {
      if (key.startsWith(`${fileId}/`)) await this.forget(fileId, Number(key.slice(key.indexOf('/') + 1)))
    }
    await rm(this.chainDir(fileId), { recursive: true, force: true })
  }

  /** Closes every handle (users in flight finish first). */
  async close (): Promise<void> {
    this.closed = true
    const all = [...this.handles.values()]
    this.handles.clear()
    await Promise.allSettled(all.map(async (cached) => {
      cached.doomed = true
      if (cached.users === 0) await (await cached.handle).close()
    }))
  }
}
