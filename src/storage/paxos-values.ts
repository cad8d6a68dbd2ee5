/**
 * The value log of one chain's consensus state: large accepted values live
 * in append-only segment files beside LevelDB, and the LevelDB entry keeps
 * only where (segment, offset, length, crc32).
 *
 * Why: an acceptor keeps every value it accepts until the slot is compacted
 * (up to 4 MiB each, on every booth member), and LevelDB writes a value about
 * four times (write-ahead log, memtable, level-0 table, compactions) and
 * copies it on the calling thread. In the consensus benchmark that halved the
 * commit throughput of large blocks (15–19k against 35k txs/s with the values
 * out of LevelDB). A segment write is one copy into the page cache, on
 * libuv's pool, and a compacted segment is deleted whole.
 *
 * The rule that keeps it crash-safe: a value is written and fdatasynced
 * before the LevelDB batch that points to it is written. So whatever LevelDB
 * recovers after a crash (synced or not) points to durable bytes, and an
 * entry overwritten at a new ballot never points to bytes that may vanish.
 * A segment is deleted only after a synced batch dropped its last reference.
 *
 * Layout: `<dataDir>/paxos-values/<sha-256 of the chain id, hex>/<n>.seg`;
 * n counts up, and a reopened log never appends to a segment it did not
 * create in this run (its tail may hold bytes of a save that failed).
 */
import { createHash } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { dirname, join } from 'node:path'
import { readdir, stat } from 'node:fs/promises'
import { syncDirectory } from './segments.ts'
import type { Segments } from './segments.ts'

/** The value logs' directory in the node's data dir. */
export const PAXOS_VALUES_DIR = 'paxos-values'

/**
 * Bytes the value logs of a data dir take on disk: a booth member's log of
 * the chains it votes on, which `used` (chains held) does not count. A crash
 * probe's members held as much there as the chain itself: a segment goes
 * only once no entry points into it.
 */
export async function valueLogBytes (dataDir: string): Promise<number> {
  const root = join(dataDir, PAXOS_VALUES_DIR)
  let total = 0
  const chains = await readdir(root, { withFileTypes: true }).catch(() => [])
  for (const chain of chains) {
    if (!chain.isDirectory()) continue
    const files = await readdir(join(root, chain.name)).catch(() => [])
    for (const file of files) {
      // a segment deleted between the listing and its stat counts as nothing
      total += (await stat(join(root, chain.name, file)).catch(() => undefined))?.size ?? 0
    }
  }
  return total
}

/** Values at least this large go to the log; smaller ones stay inline (a segment write and fdatasync cost more than LevelDB for them). */
export const VALUE_LOG_MIN_BYTES = 64 * 1024

/** A segment takes values until it holds this much, then the next one starts. */
export const VALUE_SEGMENT_BYTES = 64 * 1024 * 1024
/**
 * A segment nothing points into any more is left for a new one once it holds
 * this much: otherwise a chain whose large values come now and then (each
 * compacted before the next) kept every one of them on disk until 64 MiB
 * were written (a soak probe: 40 MB of dead values on a vehicle, not counted
 * in its storage, up to 64 MiB for each chain it votes on).
 */
export const VALUE_SEGMENT_ROLL_EMPTY_BYTES = 4 * 1024 * 1024

/** Where a value lives in its chain's log. */
export interface ValueRef {
  segment: number
  offset: number
  length: number
  crc: number
}

/** A logged value that is missing or does not match its checksum: the disk lost or changed what was synced. */
export class CorruptValueError extends Error {
  static name = 'CorruptValueError'
  constructor (message = 'Corrupt consensus value') {
    super(message)
    this.name = 'CorruptValueError'
  }
}

/** The directory of a chain's value log: chain ids may hold any character, a digest names a directory safely. */
export function valueLogDir (chainId: string): string {
  return createHash('sha256').update(chainId).digest('hex')
}

export class PaxosValueLog {
  private readonly segments: Segments
  private readonly dir: string
  private readonly segmentBytes: number
  private readonly rollEmptyBytes: number
  /** Live references per segment (entries of the LevelDB state that point into it). */
  private readonly refs = new Map<number, number>()
  /** The segment being appended to and its size; undefined: the next append starts a new one. */
  private current?: { segment: number, size: number }
  /** The next segment's number; undefined until the directory was listed. */
  private next?: number

  constructor (segments: Segments, chainId: string, options: { segmentBytes?: number, rollEmptyBytes?: number } = {}) {
    this.segments = segments
    this.dir = valueLogDir(chainId)
    this.segmentBytes = options.segmentBytes ?? VALUE_SEGMENT_BYTES
    this.rollEmptyBytes = options.rollEmptyBytes ?? VALUE_SEGMENT_ROLL_EMPTY_BYTES
  }

  /**
   * Appends values back to back and fdatasyncs them: durable when this
   * resolves, and referenced by nobody yet (see retain).
   */
  async append (values: Uint8Array[]): Promise<ValueRef[]> {
    const total = values.reduce((n, v) => n + v.byteLength, 0)
    // full, or holding only values nothing points into (a synced batch dropped them: emptiedBy) and enough of them
    const emptied = this.current != null && this.current.size >= this.rollEmptyBytes && !this.refs.has(this.current.segment)
    if (this.current == null || emptied || (this.current.size > 0 && this.current.size + total > this.segmentBytes)) {
      const full = this.current?.segment
      this.current = { segment: await this.newSegment(), size: 0 }
      // emptied while it was being appended to (a synced batch did that, see emptiedBy), or never referenced
      if (full != null) await this.drop([full]).catch(() => {}) // left behind, the next load deletes it
    }
    const { segment, size } = this.current
    try {
      await this.segments.write(this.dir, segment, size, values)
      await this.segments.sync(this.dir, segment)
    } catch (err) {
      // the tail may hold part of these bytes: later values go to a fresh segment
      this.current = undefined
      throw err
    }
    const out: ValueRef[] = []
    let offset = size
    for (const v of values) {
      out.push({ segment, offset, length: v.byteLength, crc: crc32(v) })
      offset += v.byteLength
    }
    this.current.size = offset
    return out
  }

  /** Reads a value and checks it against its reference. */
  async read (ref: ValueRef): Promise<Uint8Array> {
    let bytes: Uint8Array
    try {
      bytes = await this.segments.read(this.dir, ref.segment, ref.offset, ref.length)
    } catch (err) {
      throw new CorruptValueError(`consensus value at segment ${ref.segment}, offset ${ref.offset} is unreadable: ${(err as Error).message}`)
    }
    if (crc32(bytes) !== ref.crc) throw new CorruptValueError(`consensus value at segment ${ref.segment}, offset ${ref.offset} does not match its checksum`)
    return bytes
  }

  retain (ref: ValueRef): void {
    this.refs.set(ref.segment, (this.refs.get(ref.segment) ?? 0) + 1)
  }

  release (ref: ValueRef): void {
    const left = (this.refs.get(ref.segment) ?? 0) - 1
    if (left > 0) this.refs.set(ref.segment, left)
    else this.refs.delete(ref.segment)
  }

  /**
   * The segments that `released` takes the last reference from. The batch
   * that drops those references must be synced before they go (drop()):
   * otherwise a crash could bring back an entry that points into a deleted
   * segment. The segment being appended to counts too, as it may be
   * replaced before the next synced batch.
   */
  emptiedBy (released: ValueRef[]): number[] {
    const left = new Map<number, number>()
    for (const ref of released) left.set(ref.segment, (left.get(ref.segment) ?? this.refs.get(ref.segment) ?? 0) - 1)
    return [...left].filter(([, n]) => n <= 0).map(([segment]) => segment)
  }

  /** Deletes those of `segments` that no entry points into now (but the one being appended to: replaced, it goes then). */
  async drop (segments: number[]): Promise<void> {
    for (const segment of segments) {
      if (!this.refs.has(segment) && segment !== this.current?.segment) await this.segments.remove(this.dir, segment)
    }
  }

  /**
   * Counts references from what LevelDB holds: the entries just loaded.
   * Segments nobody points into (a failed save's bytes, a compaction a crash
   * interrupted) are deleted. A log opened in this process appends after a
   * segment only if it created it (another run's tail may hold a failed
   * save's bytes).
   */
  async reset (referenced: ValueRef[]): Promise<void> {
    this.refs.clear()
    for (const ref of referenced) this.retain(ref)
    await this.drop(await this.segments.segmentsOf(this.dir))
  }

  /**
   * Stops appending: the chain's replica closed. The segment being appended
   * to goes if nothing points into it, and the chain's directory with it
   * when nothing points into the log at all. Safe after any completed save:
   * a save whose batch took a segment's last reference was synced
   * (emptiedBy counts the segment being appended to).
   */
  async seal (): Promise<void> {
    const current = this.current
    this.current = undefined
    if (this.refs.size === 0) {
      this.next = undefined
      await this.segments.removeChain(this.dir)
      return
    }
    if (current != null) await this.drop([current.segment])
  }

  /** Deletes the whole log. */
  async remove (): Promise<void> {
    this.refs.clear()
    this.current = undefined
    this.next = undefined
    await this.segments.removeChain(this.dir)
  }

  private async newSegment (): Promise<number> {
    if (this.next == null) {
      // the log's root and its entry in the data dir, durably (a synced value must be findable after a crash)
      await this.segments.init()
      await syncDirectory(dirname(this.segments.root))
      await this.segments.createChain(this.dir)
      const onDisk = await this.segments.segmentsOf(this.dir)
      this.next = onDisk.length === 0 ? 1 : onDisk[onDisk.length - 1] + 1
    }
    const segment = this.next++
    await this.segments.createSegment(this.dir, segment)
    return segment
  }
}
