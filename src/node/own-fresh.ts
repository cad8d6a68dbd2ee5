/**
 * Which backups the round that signed our own chain's newest table brought
 * to its tip. The table cannot say: a round short of k names, after the
 * fresh backups, the older copies it kept. A restarted vehicle that took
 * every backup its table names for fresh reported k up-to-date copies where
 * it had fewer, and never made up the shortfall without a write (a review).
 *
 * One record, in the `own-fresh` sublevel, written before the table is
 * adopted (the table's synced write makes it durable with it); a record of
 * another epoch than the table's says nothing of it.
 */
import type { BinarySublevel } from '../storage/database.ts'

const KEY = new TextEncoder().encode('own')

interface FreshRecord {
  epoch: number
  fresh: string[]
}

export class OwnFresh {
  private record?: FreshRecord

  constructor (private readonly db: BinarySublevel) {}

  async load (): Promise<void> {
    this.record = parse(await this.db.get(KEY))
  }

  /** The backups the round of `epoch` left fresh, if this node signed it and noted them. */
  of (epoch: number): string[] | undefined {
    return this.record?.epoch === epoch ? [...this.record.fresh] : undefined
  }

  async note (epoch: number, fresh: readonly string[]): Promise<void> {
    const record = { epoch, fresh: [...fresh] }
    await this.db.put(KEY, new TextEncoder().encode(JSON.stringify(record)))
    this.record = record
  }
}

function parse (bytes: Uint8Array | undefined): FreshRecord | undefined {
  if (bytes == null) return undefined
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as Partial<FreshRecord>
    if (Number.isSafeInteger(r.epoch) && Array.isArray(r.fresh) && r.fresh.every(p => typeof p === 'string')) return { epoch: r.epoch as number, fresh: r.fresh }
  } catch {}
  // unreadable: as if none (a restarted vehicle then counts no backup fresh, and makes them up)
  return undefined
}
