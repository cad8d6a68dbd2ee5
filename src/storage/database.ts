/**
 * The node's LevelDB database. Every sublevel is opened with binary ('view')
 * encodings: sublevels default to utf8 whatever the parent uses, which mangles
 * binary values.
 */
import { realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'
import { makeDirs } from './dirs.ts'
import { checkDataFormat } from './format.ts'

export type BinaryLevel = Level<Uint8Array, Uint8Array>
export type BinarySublevel = AbstractSublevel<BinaryLevel, string | Uint8Array, Uint8Array, Uint8Array>

export const DB_DIR = 'db'

/** LevelDB would not open the database (its reason, e.g. a full disk or a corrupt file, in the message). */
export class DatabaseOpenError extends Error {
  static name = 'DatabaseOpenError'
  constructor (message = 'the database would not open') {
    super(message)
    this.name = 'DatabaseOpenError'
  }
}

/** Another process (or another node in this process) has the data dir open. */
export class DataDirInUseError extends Error {
  static name = 'DataDirInUseError'
  constructor (message = 'data dir in use by another vguard-node') {
    super(message)
    this.name = 'DataDirInUseError'
  }
}

export interface NodeDatabase {
  /** The node's data dir: the database is in its `db` folder, files beside it (payload segments). */
  readonly dataDir: string
  /** The root database (for atomic batches across sublevels). */
  readonly db: BinaryLevel
  /** A binary sublevel of the root. */
  sublevel: (name: string) => BinarySublevel
  close: () => Promise<void>
}

export const BINARY = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** One operation of a batch on the binary database. */
export type BatchOp = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

/** A write durable once it resolves: classic-level honours `sync` (sublevels pass options to the root); abstract-level's types omit it. */
export const SYNC_WRITE = { sync: true } as Record<string, unknown>

function isLocked (err: unknown): boolean {
  const e = err as { code?: string, cause?: { code?: string } }
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED'
}

/**
 * The databases this process has open, by device and inode. LevelDB keeps
 * them by path name, and its file lock does not stop a second open within
 * one process: under another name of the same dir (a symlink, a bind mount)
 * it would open it twice, two nodes on one chain, a fork on one disk (a
 * probe lost acknowledged writes so). Real paths cover symlinks, not mounts.
 */
const openHere = new Set<string>()

function inUse (dataDir: string): DataDirInUseError {
  // a node object holds its data dir from createVGuardNode until stop(), also one whose start failed
  return new DataDirInUseError(`data dir in use by another vguard-node: ${dataDir} (another process, or a node of this one not stopped: stop() releases it, also after a failed start)`)
}

export async function openDatabase (dataDir: string): Promise<NodeDatabase> {
  await makeDirs(dataDir)
  const path = join(await realpath(dataDir), DB_DIR)
  // made here, not by classic-level: its recursive mkdir says ENOENT on a read-only file system
  await makeDirs(path)
  const { dev, ino } = await stat(path)
  const identity = `${dev}:${ino}`
  // taken before the first await of the open: two opens at once cannot both pass
  if (openHere.has(identity)) throw inUse(dataDir)
  openHere.add(identity)
  const db: BinaryLevel = new Level<Uint8Array, Uint8Array>(path, BINARY)
  try {
    await db.open()
  } catch (err) {
    openHere.delete(identity)
    if (isLocked(err)) throw inUse(dataDir)
    // classic-level says only "Database failed to open"; why is in its cause
    const cause = (err as Error & { cause?: Error }).cause
    throw new DatabaseOpenError(`the database in ${path} would not open: ${cause?.message ?? (err as Error).message}`)
  }
  try {
    await checkDataFormat(db, path)
  } catch (err) {
    await db.close().catch(() => {})
    openHere.delete(identity)
    throw err
  }
  let released = false
  return {
    dataDir,
    db,
    sublevel: (name) => db.sublevel<Uint8Array, Uint8Array>(name, BINARY),
    close: async () => {
      try {
        await db.close()
      } finally {
        // once: a second close must not free the dir for whoever opened it since
        if (!released) openHere.delete(identity)
        released = true
      }
    }
  }
}
