/**
 * Ends of booth VGuard sent with an idempotency key, kept on disk for as
 * long as keyed writes are (WRITE_MEMORY.ttl): a retry whose first answer
 * was lost (the node killed mid-request) is answered with the block the
 * first appended, not appended again. A probe retried as the docs then said
 * (read the tip, retry if unchanged) and got the same booth twice: right
 * after a restart the tip had not caught up with what consensus recovers.
 *
 * Each record names the height and hash the block was to take, and is
 * written (synced) before the block is appended: a crash between the two
 * leaves a record whose block is not the chain's at that height, which
 * VGuardDB then takes for "never appended". The reverse order could lose
 * the record of a block that stays.
 */
import type { BinarySublevel } from '../storage/database.ts'
import { toHex } from '../chain/index.ts'
import { WRITE_MEMORY } from './recent-writes.ts'
import { SYNC_WRITE } from '../storage/database.ts'

export interface BoothRecord {
  height: number
  hash: Uint8Array
}

/** A record: when it was kept (ms, float64), the block's height (float64), the block's 32-byte hash. */
const RECORD_BYTES = 16 + 32
const utf8 = new TextEncoder()

/** When a record was kept; a damaged one counts as long expired. */
function keptAt (value: Uint8Array): number {
  if (value.byteLength !== RECORD_BYTES) return Number.NEGATIVE_INFINITY
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(0)
}

export class BoothMemory {
  private readonly db: BinarySublevel
  private readonly now: () => number

  constructor (db: BinarySublevel, now: () => number = Date.now) {
    this.db = db
    this.now = now
  }

  /** The record kept for the booth `id`, if it is recent enough to answer for. */
  async find (id: Uint8Array): Promise<BoothRecord | undefined> {
    const value = await this.db.get(utf8.encode(toHex(id)))
    if (value == null || this.now() - keptAt(value) > WRITE_MEMORY.ttl) return undefined
    return { height: new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(8), hash: new Uint8Array(value.subarray(16)) }
  }

  /** Keeps `record` for the booth `id`, durably (before its block is appended), and drops expired ones. */
  async remember (id: Uint8Array, record: BoothRecord): Promise<void> {
    const value = new Uint8Array(RECORD_BYTES)
    const view = new DataView(value.buffer)
    const now = this.now()
    view.setFloat64(0, now)
    view.setFloat64(8, record.height)
    value.set(record.hash, 16)
    await this.forgetExpired(now)
    await this.db.put(utf8.encode(toHex(id)), value, SYNC_WRITE)
  }

  /** Booths end seconds apart: a scan of those kept is small, and bounds the memory to WRITE_MEMORY.limit. */
  private async forgetExpired (now: number): Promise<void> {
    const drop: Uint8Array[] = []
    const kept: Array<{ key: Uint8Array, at: number }> = []
    for await (const [key, value] of this.db.iterator()) {
      const at = keptAt(value)
      if (now - at > WRITE_MEMORY.ttl) drop.push(key)
      else kept.push({ key, at })
    }
    if (kept.length >= WRITE_MEMORY.limit) {
      kept.sort((a, b) => a.at - b.at)
      for (const k of kept.slice(0, kept.length - WRITE_MEMORY.limit + 1)) drop.push(k.key)
    }
    if (drop.length > 0) await this.db.batch(drop.map(key => ({ type: 'del' as const, key })))
  }
}
