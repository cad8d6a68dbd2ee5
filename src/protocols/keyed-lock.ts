/**
 * Runs tasks one at a time per key (a chain id), in the order they came;
 * tasks of different keys run side by side. A key's entry goes once its
 * last task is done, so the map holds only keys with work in flight.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, task: () => Promise<T> | T): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    const run = before.catch(() => {}).then(task)
    const tail = run.catch(() => {})
    this.tails.set(key, tail)
    try {
      return await run
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
