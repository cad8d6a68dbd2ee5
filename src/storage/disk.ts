/**
 * What the disk under a data dir can still take. The capacity (--capacity) is
 * what a vehicle offers; the disk is what it has. A vehicle whose SD card is
 * nearly full must refuse other vehicles' chains before their copies fill it:
 * a full disk stops its own chain's consensus (a failed save cannot be taken
 * back safely, docs/storage.md), so backup duty never takes the last bytes.
 */
import { statfs } from 'node:fs/promises'

/** Bytes an unprivileged process may still write on the file system holding `path`; Infinity if it cannot tell. */
export async function diskFreeBytes (path: string): Promise<number> {
  try {
    const s = await statfs(path)
    return s.bavail * s.bsize
  } catch {
    // a file system without statfs: the capacity alone bounds backup duty, as before
    return Number.POSITIVE_INFINITY
  }
}
