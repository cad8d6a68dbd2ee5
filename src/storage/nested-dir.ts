/**
 * A data dir inside another node's `db/` or `segments/` folder is refused.
 * That node owns what is in them: on its next open it deletes a folder of
 * `segments/` that no chain of its own uses, and a node whose data dir was
 * `A/segments/7` lost everything, key and database, when node A opened
 * again (a probe, 2026-12-03). LevelDB would keep its hands off a folder in
 * `db/`, but it is no place for a node either.
 */
import { access, realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { DataDirError } from './dirs.ts'
import { DB_DIR } from './database.ts'
import { SEGMENTS_DIR } from './level.ts'

/** LevelDB's file naming the current manifest: a `db/` folder holding it is a node's database. */
const LEVELDB_CURRENT = 'CURRENT'

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

/** The real path of `dir`, resolved as far as it exists (a symlink above it leads where the files go). */
async function realPathOf (dir: string): Promise<string> {
  const missing: string[] = []
  let at = resolve(dir)
  while (true) {
    const real = await realpath(at).catch(() => undefined)
    if (real != null) return join(real, ...missing.reverse())
    if (dirname(at) === at) return resolve(dir)
    missing.push(basename(at))
    at = dirname(at)
  }
}

/**
 * @throws DataDirError naming the node whose folder `dataDir` is in
 */
export async function checkNotInsideNode (dataDir: string): Promise<void> {
  let at = await realPathOf(dataDir)
  while (dirname(at) !== at) {
    const folder = basename(at)
    const owner = dirname(at)
    if ((folder === DB_DIR || folder === SEGMENTS_DIR) && await exists(join(owner, DB_DIR, LEVELDB_CURRENT))) {
      throw new DataDirError(`data dir ${dataDir} is inside the ${folder}/ folder of the node whose data dir is ${owner}: that node owns what is in it (it would delete it), give this node a dir outside it`)
    }
    at = owner
  }
}
