/**
 * Group commit for bulk transfers: items pushed while a run of `work` is in
 * flight wait, and the next run takes all of them at once. A slow disk makes
 * runs bigger rather than the transfer slower: a durable append costs a
 * segment write, an fdatasync and a LevelDB batch (~5 ms together on our
 * disks), so one append per 1 MiB frame capped a 64 MiB sync at ~200 MiB/s
 * of disk latency alone, with the network idle meanwhile.
 */
export class BatchQueue<T> {
  private queue: T[] = []
  private queuedBytes = 0
  private runningBytes = 0
  /**
   * A drain loop is on. Set and cleared inside the loop itself, in the same
   * step that finds the queue empty: a flag cleared later (in a promise's
   * finally, a microtask on) let an item pushed in between wait forever.
   */
  private active = false
  private readonly waiters: Array<() => void> = []
  /** The first failure of `work`; nothing runs after it. */
  failure?: Error

  constructor (private readonly work: (items: T[]) => Promise<void>) {}

  /** Bytes queued or being worked on. */
  get pendingBytes (): number {
    return this.queuedBytes + this.runningBytes
  }

  push (item: T, bytes = 0): void {
    this.queue.push(item)
    this.queuedBytes += bytes
    if (!this.active && this.failure == null) void this.drain()
  }

  /** Resolves once everything queued has run (or the first failure). */
  async idle (): Promise<void> {
    while (this.active) await this.changed()
  }

  /** Resolves once at most `bytes` are pending (or the first failure): backpressure for the producer. */
  async below (bytes: number): Promise<void> {
    while (this.active && this.pendingBytes > bytes) await this.changed()
  }

  private async changed (): Promise<void> {
    await new Promise<void>((resolve) => { this.waiters.push(resolve) })
  }

  private async drain (): Promise<void> {
    this.active = true
    try {
      while (this.queue.length > 0 && this.failure == null) {
        const items = this.queue
        this.runningBytes = this.queuedBytes
        this.queue = []
        this.queuedBytes = 0
        try {
          await this.work(items)
        } catch (err) {
          this.failure = err as Error
        }
        this.runningBytes = 0
        for (const wake of this.waiters.splice(0)) wake()
      }
    } finally {
      this.active = false
      for (const wake of this.waiters.splice(0)) wake()
    }
  }
}
