/**
 * Runs tasks one at a time per key (a chain id), in the order they came;
 * tasks of different keys run side by side. A key's entry goes once its
 * last task is done, so the map holds only keys with work in flight.
 *
 * A task may hand its turn over before it ends (`release`): the next task
 * of the key starts then, while this one runs on outside the lock. Sync's
 * reconcile does so when its fetch stalls (see sync.ts), so what it still
 * does must be safe beside the next task (its appends are serialised and
 * verified by the store, as every other writer's are).
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, task: (release: () => void) => Promise<T> | T): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    let release = (): void => {}
    const released = new Promise<void>(resolve => { release = resolve })
    const run = before.catch(() => {}).then(async () => await task(release))
    // the next task waits for this one to end or to hand its turn over, whichever comes first
    const tail = Promise.race([run.catch(() => {}), released])
    this.tails.set(key, tail)
    try {
      return await run
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
