/**
 * The node's LevelDB database. Every sublevel is opened with binary ('view')
 * encodings: sublevels default to utf8 whatever the parent uses, which mangles
 * binary values.
 */
import { realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'
import { makeDirs } from './dirs.ts'

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

function isLocked (err: unknown): boolean {
  const e = err as { code?: string, cause?: { code?: string } }
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED'
}

export async function openDatabase (dataDir: string): Promise<NodeDatabase> {
  await makeDirs(dataDir)
  // LevelDB keeps the databases a process holds by path name: under another
  // name of the same dir (a symlink) it would open it twice, two nodes on one
  // chain, a fork on one disk. The real path is one name for the dir.
  const path = join(await realpath(dataDir), DB_DIR)
  // made here, not by classic-level: its recursive mkdir says ENOENT on a read-only file system
  await makeDirs(path)
  const db: BinaryLevel = new Level<Uint8Array, Uint8Array>(path, BINARY)
  try {
    await db.open()
  } catch (err) {
    // a node object holds its data dir from createVGuardNode until stop(), also one whose start failed
    if (isLocked(err)) throw new DataDirInUseError(`data dir in use by another vguard-node: ${dataDir} (another process, or a node of this one not stopped: stop() releases it, also after a failed start)`)
    // classic-level says only "Database failed to open"; why is in its cause
    const cause = (err as Error & { cause?: Error }).cause
    throw new DatabaseOpenError(`the database in ${path} would not open: ${cause?.message ?? (err as Error).message}`)
  }
  return {
    dataDir,
    db,
    sublevel: (name) => db.sublevel<Uint8Array, Uint8Array>(name, BINARY),
    close: async () => { await db.close() }
  }
}
