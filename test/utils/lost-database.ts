/** A vehicle that lost its database, as the lost-database specs make one: stopped nodes' data dirs edited. */
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openDatabase } from '../../src/storage/database.ts'
import type { Formation } from '../../src/node/shared-chain-choice.ts'

/** Deletes everything of a stopped node's data dir but its key. */
export async function wipeDatabase (dataDir: string): Promise<void> {
  for (const name of await readdir(dataDir)) {
    if (name !== 'peer.key') await rm(join(dataDir, name), { recursive: true, force: true })
  }
}

/**
 * Makes a stopped member's record one joined before any member said the founding
 * (foundingUnknown): it announces no founding then, as a member of an earlier
 * version does.
 */
export async function forgetFounding (dataDir: string): Promise<void> {
  const db = await openDatabase(dataDir)
  try {
    const key = new TextEncoder().encode('shared-formation')
    const stored = await db.sublevel('consensus').get(key)
    if (stored == null) throw new Error(`no shared chain on record in ${dataDir}`)
    const { founding: _, ...rest } = JSON.parse(new TextDecoder().decode(stored)) as Formation
    await db.sublevel('consensus').put(key, new TextEncoder().encode(JSON.stringify({ ...rest, foundingUnknown: true })))
  } finally {
    await db.close()
  }
}
