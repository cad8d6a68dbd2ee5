/**
 * The clock remembered writes and booths are aged by (WRITE_MEMORY.ttl):
 * ms that run only while the node runs, on the monotonic clock, carried
 * across restarts on disk. A vehicle's wall clock steps (NTP, GPS time
 * after a cold start): aged by it, a step forward of more than the ttl
 * forgot every record at once, in the running process or across a restart,
 * and a retry under the same key committed again (a probe with stepped
 * clocks on real processes). This clock never steps; it also does not count
 * the time the node was down, so a record is kept for the ttl of running
 * time (a retry after a long stop is still answered: kept longer, never
 * shorter).
 *
 * Its reading is saved every SAVE_EVERY ms and at close, not synced: a save
 * a crash lost makes the next run's readings earlier than some stamps,
 * which only keeps those records longer.
 */
import type { BinarySublevel } from '../storage/database.ts'

/** How often (ms) the reading is saved while the node runs. */
export const SAVE_EVERY = 10_000

/** Where the reading is kept. */
export const MEMORY_CLOCK_SUBLEVEL = 'memory-clock'

const KEY = new TextEncoder().encode('reading')

export class MemoryClock {
  private readonly base: number
  private readonly startedAt: number
  private readonly monotonic: () => number
  private timer?: ReturnType<typeof setInterval>
  private saving: Promise<void> = Promise.resolve()

  private constructor (private readonly db: BinarySublevel, base: number, monotonic: () => number) {
    this.base = base
    this.monotonic = monotonic
    this.startedAt = monotonic()
  }

  /**
   * Opens the clock where the last run left it; a data dir that has never
   * saved one (new, or of an earlier build, whose records are stamped with
   * the wall clock) starts it at the wall clock.
   */
  static async open (db: BinarySublevel, wall: () => number = Date.now, monotonic: () => number = performance.now.bind(performance)): Promise<MemoryClock> {
    const saved = await db.get(KEY)
    const reading = saved?.byteLength === 8 ? new DataView(saved.buffer, saved.byteOffset, 8).getFloat64(0) : undefined
    return new MemoryClock(db, reading != null && Number.isFinite(reading) ? reading : wall(), monotonic)
  }

  /** The reading: ms that only grow, by the monotonic clock, while a node runs on this data dir. */
  readonly now = (): number => this.base + (this.monotonic() - this.startedAt)

  /** Saves the reading every SAVE_EVERY ms until close. */
  start (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => { void this.save() }, SAVE_EVERY)
    this.timer.unref()
  }

  /** Stops the saves and saves the reading once more: the next run goes on from it. */
  async close (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.save()
  }

  private async save (): Promise<void> {
    const value = new Uint8Array(8)
    new DataView(value.buffer).setFloat64(0, this.now())
    // one at a time, in order: an older reading must not land after a newer one
    this.saving = this.saving.then(async () => { await this.db.put(KEY, value) }).catch(() => {})
    await this.saving
  }
}
