import { withinMs } from '../protocols/time-limit.ts'

/** How long stop() waits for the writes under way to have their outcome once consensus stopped. */
const WRITES_SETTLE_ON_STOP = 5_000

/**
 * Writes taken and not yet settled (append, endOfBooth): stop() waits for
 * their outcome before node:stopped, the last event a node sends.
 */
export class WritesUnderWay {
  private readonly writes = new Set<Promise<unknown>>()

  /** The write's outcome; it counts as under way until it has one. */
  async track<T> (write: Promise<T>): Promise<T> {
    this.writes.add(write)
    try {
      return await write
    } finally {
      this.writes.delete(write)
    }
  }

  /** Once consensus stopped, every write under way has its outcome at once (bounded all the same: stop never hangs). */
  async settled (): Promise<void> {
    await withinMs(Promise.allSettled([...this.writes]), WRITES_SETTLE_ON_STOP, () => new Error('writes still under way')).catch(() => {})
  }
}
