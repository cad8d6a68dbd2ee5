/**
 * Reading a chain's stored records in height order, for the LevelDB chain
 * store (level.ts): the records streamed from LevelDB with read-ahead, and
 * grouped into runs of segment entries (RecordRun), the located ones read
 * from their segment in as few reads as possible, straight into the run.
 */
import type { BinaryLevel } from './database.ts'
import type { ChainKeys } from './keys.ts'
import { entryOffsets, entryRecord, parseStored, writeEntry } from './records.ts'
import type { Location } from './records.ts'
import { plain, plainBuffer, recordOf, storedEntrySize } from './level-bytes.ts'
import type { StoredAt } from './level-bytes.ts'
import type { RecordRun, RunOptions, StoredRecord } from './index.ts'

/** Bytes of records one iterator round trip fetches when streaming blocks. */
const READ_AHEAD_BYTES = 1024 * 1024

/** Consecutive located entries are read from a segment in reads of up to this size. */
const SPAN_BYTES = 4 * 1024 * 1024

/** What reading runs needs of the store. */
export interface RunReader {
  /** The chain's stored records (storedForms, through the store). */
  forms: (chainId: string, from: number, to: number, signal?: AbortSignal) => AsyncIterable<StoredAt>
  /** A segment entry, or undefined if its chain was deleted meanwhile; `into` at `offset` if given. */
  readEntry: (chainId: string, at: Location, into?: Uint8Array, offset?: number) => Promise<Uint8Array | undefined>
  /** Keeps the chain's segment files from being deleted until releaseFiles. */
  holdFiles: (chainId: string) => number | undefined
  releaseFiles: (fileId: number | undefined) => Promise<void>
}

interface RunPlan {
  from: number
  to: number
  bytes: number
  items: Array<StoredAt & { at: number }>
  pruned: boolean
}

/**
 * The block records of heights from..to, read ahead: each thread-pool round
 * trip fetches about READ_AHEAD_BYTES of them (classic-level's default
 * budget, 16 KiB, meant one round trip per inline block), and the next
 * round trip is started before the caller consumes the current one.
 */
export async function * storedForms (source: { db: BinaryLevel, keys: ChainKeys }, chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredAt> {
  // a bulk scan: fillCache false keeps it from evicting the block cache's hot entries (LevelDB's advice for scans)
  const iterator = source.db.values({ gte: source.keys.block(chainId, from), lte: source.keys.block(chainId, to), highWaterMarkBytes: READ_AHEAD_BYTES, fillCache: false })
  // records are consecutive (a prune keeps the header record), so heights are counted
  let height = from
  try {
    let next = iterator.nextv(1000)
    while (true) {
      const values = await next
      if (values.length === 0) return
      next = iterator.nextv(1000)
      // awaited on the next turn; this only keeps a failure after an early exit from counting as unhandled
      next.catch(() => {})
      for (const value of values) {
        signal?.throwIfAborted()
        const bytes = plain(value)
        yield { height: height++, value: bytes, form: parseStored(bytes) }
      }
    }
  } finally {
    await iterator.close()
  }
}

/**
 * Stored records grouped into runs of whole entries of at most `maxBytes`
 * (one entry at least): consecutive located entries are read from their
 * segment with one read, straight into the run's buffer. The next run is
 * read while the caller handles the current one.
 */
export async function * recordRuns (reader: RunReader, chainId: string, from: number, to: number, options: Omit<RunOptions, 'from' | 'to'>): AsyncGenerator<RecordRun> {
  const { maxBytes, signal, maxBlocks = Infinity, beforeRead } = options
  // held before the records are read: the entries they locate stay readable until the runs end
  const fileId = reader.holdFiles(chainId)
  const planned = plannedRuns(reader, chainId, from, to, maxBytes, maxBlocks, signal)
  let pending: Promise<RecordRun | undefined> | undefined
  const readNext = async (): Promise<RecordRun | undefined> => {
    const plan = await planned.next()
    if (plan.done === true) return undefined
    await beforeRead?.(plan.value.bytes)
    return await fillRun(reader, chainId, plan.value)
  }
  try {
    pending = readNext()
    while (true) {
      const run = await pending
      if (run == null) return
      pending = readNext()
      pending.catch(() => {})
      signal?.throwIfAborted()
      yield run
    }
  } finally {
    await planned.return(undefined)
    // a read ahead still in flight reads the files too
    await pending?.catch(() => {})
    await reader.releaseFiles(fileId)
  }
}

/** The records of heights from..to one by one, as the runs of SPAN_BYTES that hold them are read. */
export async function * runRecords (reader: RunReader, chainId: string, from: number, to: number, signal?: AbortSignal): AsyncGenerator<StoredRecord> {
  let height = from
  for await (const run of recordRuns(reader, chainId, from, to, { maxBytes: SPAN_BYTES, signal })) {
    const offsets = entryOffsets(run.bytes)
    for (let i = 0; i < offsets.length; i++) {
      const record = entryRecord(run.bytes.subarray(offsets[i], offsets[i + 1] ?? run.bytes.byteLength))
      // runs are read ahead: the signal is checked as each record is handed out
      signal?.throwIfAborted()
      yield { height: height++, record, pruned: run.pruned }
    }
  }
}

async function * plannedRuns (reader: RunReader, chainId: string, from: number, to: number, maxBytes: number, maxBlocks: number, signal?: AbortSignal): AsyncGenerator<RunPlan> {
  let plan: RunPlan | undefined
  for await (const stored of reader.forms(chainId, from, to, signal)) {
    const size = storedEntrySize(stored.form)
    const alone = stored.form.pruned
    if (plan != null && (alone || plan.pruned || plan.bytes + size > maxBytes || plan.items.length >= maxBlocks)) {
      yield plan
      plan = undefined
    }
    plan ??= { from: stored.height, to: stored.height, bytes: 0, items: [], pruned: alone }
    plan.items.push({ ...stored, at: plan.bytes })
    plan.bytes += size
    plan.to = stored.height
  }
  if (plan != null) yield plan
}

async function fillRun (reader: RunReader, chainId: string, plan: RunPlan): Promise<RecordRun | undefined> {
  // every byte is written below: no need to zero a megabyte first (measured ~15 ms of main thread per 64 MiB)
  const bytes = plainBuffer(plan.bytes)
  const reads: Array<Promise<Uint8Array | undefined>> = []
  let span: { first: Location, at: number, length: number } | undefined
  const flushSpan = (): void => {
    if (span == null) return
    reads.push(reader.readEntry(chainId, { ...span.first, length: span.length }, bytes, span.at))
    span = undefined
  }
  for (const item of plan.items) {
    const at = item.form.location
    if (at == null || item.form.pruned) {
      flushSpan()
      writeEntry(bytes, item.at, recordOf(item))
      continue
    }
    const contiguous = span != null && span.first.fileId === at.fileId && span.first.segment === at.segment &&
      span.first.offset + span.length === at.offset && span.length + at.length <= SPAN_BYTES
    if (contiguous && span != null) {
      span.length += at.length
      continue
    }
    flushSpan()
    span = { first: at, at: item.at, length: at.length }
  }
  flushSpan()
  const results = await Promise.all(reads)
  // the chain was deleted while we read it
  if (results.some(r => r == null)) return undefined
  return { from: plan.from, to: plan.to, bytes, pruned: plan.pruned }
}
