import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SEGMENTS_DIR } from '../../src/storage/level.ts'

/** Bytes of every payload segment file under a LevelChainStore's data dir (what retention must free on disk too). */
export async function segmentBytes (dir: string): Promise<number> {
  let total = 0
  const root = join(dir, SEGMENTS_DIR)
  for (const fileId of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, fileId))) total += (await stat(join(root, fileId, name))).size
  }
  return total
}
