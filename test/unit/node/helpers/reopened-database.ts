import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../../src/storage/database.ts'

/**
 * A real LevelDB in a temp dir that a test opens again and again (what a
 * restart reads back) and may lose whole; `cleanup` in afterEach closes and
 * removes it.
 */
export class ReopenedDatabase {
  private readonly prefix: string
  private dir?: string
  private db?: NodeDatabase

  constructor (prefix: string) {
    this.prefix = prefix
  }

  /** The database, closed first if open (a restart). */
  async reopen (): Promise<NodeDatabase> {
    await this.db?.close()
    this.dir ??= await mkdtemp(join(tmpdir(), this.prefix))
    this.db = await openDatabase(this.dir)
    return this.db
  }

  /** The database as last reopened (a test that writes under the code it tests). */
  get current (): NodeDatabase {
    if (this.db == null) throw new Error('the database is not open: reopen() first')
    return this.db
  }

  /** Closes it and removes its files: the next reopen starts from nothing. */
  async lose (): Promise<void> {
    await this.db?.close()
    this.db = undefined
    if (this.dir != null) await rm(this.dir, { recursive: true, force: true })
  }

  async cleanup (): Promise<void> {
    await this.lose()
    this.dir = undefined
  }
}
