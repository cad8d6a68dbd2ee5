/**
 * The data dir's format number, kept in the database. Every layout so far
 * is format 1: builds read the dirs of earlier ones through special cases
 * (a probe opened dirs of three earlier builds and back again, nothing
 * lost), and protobuf skips fields it does not know. A change a build cannot
 * read that way raises the number; then a build that only knows an older
 * one refuses the dir with a DataFormatError before it reads or writes a
 * thing in it, instead of taking what it misreads for data.
 *
 * A dir without the record (a new one, or one an earlier build wrote) is
 * format 1 and gets the record.
 */
import { SYNC_WRITE } from './database.ts'
import type { BinaryLevel } from './database.ts'

/** The newest format this build reads and the one it writes. */
export const DATA_FORMAT = 1

/** The record's key, in the root database outside every sublevel (those are `!name!…`). */
const FORMAT_KEY = new TextEncoder().encode('vguard-data-format')

/** The data dir was written in a format this build does not read. */
export class DataFormatError extends Error {
  static name = 'DataFormatError'
  constructor (message = 'the data dir is in a format this vguard-node does not read') {
    super(message)
    this.name = 'DataFormatError'
  }
}

/**
 * Refuses a database of a newer format (or a damaged record); records
 * DATA_FORMAT in one that has none, durably.
 *
 * @throws DataFormatError
 */
export async function checkDataFormat (db: BinaryLevel, path: string): Promise<void> {
  const value = await db.get(FORMAT_KEY)
  if (value == null) {
    await db.put(FORMAT_KEY, new TextEncoder().encode(String(DATA_FORMAT)), SYNC_WRITE)
    return
  }
  const text = new TextDecoder().decode(value)
  const format = /^[1-9][0-9]{0,8}$/.test(text) ? Number(text) : undefined
  if (format == null) throw new DataFormatError(`the database in ${path} names no format this vguard-node knows (${JSON.stringify(text.slice(0, 40))}): is it a vguard-node data dir, and undamaged?`)
  if (format > DATA_FORMAT) {
    throw new DataFormatError(`the data dir was written by a newer vguard-node (data format ${format}; this one reads up to ${DATA_FORMAT}): run that version or a newer one on it (its records were left as they are)`)
  }
}
