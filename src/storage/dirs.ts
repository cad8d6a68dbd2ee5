/**
 * `mkdir -p` that always ends. Node's recursive mkdir never settles (a
 * thread spinning at 100% CPU, the process deaf to SIGTERM until the start
 * it is part of ends) when a parent exists but cannot hold the child: it
 * takes ENOENT to mean "make the parent first", the parent answers EEXIST,
 * and round it goes. That is a data dir under a dangling symlink (a vehicle
 * whose SD card is not mounted) or under /proc or /sys. Here each missing
 * directory is made once, from the deepest one that exists down, and the
 * first refusal is the answer.
 */
import { lstat, mkdir, readlink, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/** A directory the node needs (its data dir, one inside it) cannot be made or is not a directory. */
export class DataDirError extends Error {
  static name = 'DataDirError'
  constructor (message = 'the data dir cannot be used') {
    super(message)
    this.name = 'DataDirError'
  }
}

function codeOf (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

/** Why `path`, which exists as a name, cannot be entered: a dangling symlink says where it points. */
async function whyNotADirectory (path: string): Promise<string> {
  const link = await lstat(path).catch(() => undefined)
  if (link?.isSymbolicLink() === true) {
    const target = await readlink(path).catch(() => '?')
    return `${path} is a symlink to ${target}, which does not exist (a disk that is not mounted?)`
  }
  return `${path} exists but is not a directory`
}

/**
 * Makes `dir` and its missing parents.
 *
 * @throws DataDirError naming the path that failed and why
 */
export async function makeDirs (dir: string): Promise<void> {
  const missing: string[] = []
  let at = resolve(dir)
  while (true) {
    const found = await stat(at).catch((err: unknown) => {
      if (codeOf(err) === 'ENOENT' && dirname(at) !== at) return undefined
      throw new DataDirError(`cannot make ${dir}: ${(err as Error).message}`)
    })
    if (found != null) {
      if (!found.isDirectory()) throw new DataDirError(`cannot make ${dir}: ${at} exists but is not a directory`)
      break
    }
    missing.push(at)
    at = dirname(at)
  }
  for (const path of missing.reverse()) {
    try {
      await mkdir(path)
    } catch (err) {
      // made meanwhile by someone else: fine, if it is a directory we can enter
      if (codeOf(err) === 'EEXIST' && (await stat(path).then(s => s.isDirectory(), () => false))) continue
      const why = codeOf(err) === 'EEXIST' ? await whyNotADirectory(path) : (err as Error).message
      throw new DataDirError(`cannot make ${dir}: ${why}`)
    }
  }
}
