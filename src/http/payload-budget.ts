/**
 * Payload bytes the API's reads may turn into JSON at once, across requests.
 * A page of blocks is bounded (MAX_PAGE_PAYLOAD_BYTES), but building one
 * takes some four times its payload in memory (the buffers, base64 strings,
 * the JSON text): a probe's 30 concurrent pages of 4 MiB values took a node
 * capped at 256 MiB of heap down. Pages are cut short when the budget is
 * spent (their `next` goes on from there); a read that has nothing yet waits
 * for room, for a while, then is refused as busy.
 */
import type { ServerResponse } from 'node:http'
import { UnavailableError } from './errors.ts'

/** Payload bytes in flight across all reads. */
export const READ_PAYLOAD_BUDGET = 32 * 1024 * 1024
/** How long a read waits for room before it is refused (503). */
export const READ_BUDGET_WAIT = 10_000

interface Waiter { bytes: number, resolve: () => void }

export class PayloadBudget {
  private free: number
  private readonly waiters: Waiter[] = []

  constructor (private readonly limit = READ_PAYLOAD_BUDGET, private readonly wait = READ_BUDGET_WAIT) {
    this.free = limit
  }

  get available (): number {
    return this.free
  }

  /** Takes `bytes` if they are free now (and nobody waits before us). */
  tryTake (bytes: number): boolean {
    if (bytes === 0) return true
    if (this.waiters.length > 0 || bytes > this.free) return false
    this.free -= bytes
    return true
  }

  /**
   * Takes `bytes` (at most the whole budget), waiting for room in turn;
   * resolves with what it took (what give() is to get back).
   * @throws UnavailableError after the wait
   */
  async take (bytes: number): Promise<number> {
    const wanted = Math.min(bytes, this.limit)
    if (this.tryTake(wanted)) return wanted
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        this.wake()
        reject(new UnavailableError(`the node is busy sending other reads' data (${this.limit} bytes at once); try again`))
      }, this.wait)
      const waiter: Waiter = { bytes: wanted, resolve: () => { clearTimeout(timer); resolve(wanted) } }
      this.waiters.push(waiter)
    })
  }

  /** Gives back what a read took. */
  give (bytes: number): void {
    this.free = Math.min(this.limit, this.free + Math.min(bytes, this.limit))
    this.wake()
  }

  private wake (): void {
    while (this.waiters.length > 0 && this.waiters[0].bytes <= this.free) {
      const next = this.waiters.shift() as Waiter
      this.free -= next.bytes
      next.resolve()
    }
  }
}

/** What one response holds of the budget: given back once it is sent, or its client gone. */
export class Reservation {
  private held = 0
  private done = false

  constructor (private readonly budget: PayloadBudget, response: ServerResponse) {
    // a client gone before this was made (while the read ran) closed it already: nothing is held for it
    if (response.closed || response.destroyed) this.done = true
    else response.once('close', () => { this.release() })
  }

  /** Takes `bytes` if they are free now. */
  tryTake (bytes: number): boolean {
    if (this.done || !this.budget.tryTake(bytes)) return false
    this.held += bytes
    return true
  }

  /** Takes `bytes`, waiting for room. @throws UnavailableError after the wait */
  async take (bytes: number): Promise<void> {
    const taken = await this.budget.take(bytes)
    // the client left while this waited: nothing will be sent
    if (this.done) this.budget.give(taken)
    else this.held += taken
  }

  private release (): void {
    this.done = true
    this.budget.give(this.held)
    this.held = 0
  }
}

/**
 * The items of one page, in order: at most `limit`, and at most `maxBytes`
 * of payload while the read budget has room (the first item whatever its
 * size, waiting for room). `next` is the first item left out, if the page
 * ended before the items did.
 */
export async function takePage<T> (items: AsyncIterable<T>, bytesOf: (item: T) => number, reservation: Reservation, limits: { limit?: number, maxBytes: number }): Promise<{ page: T[], next?: T }> {
  const page: T[] = []
  let bytes = 0
  for await (const item of items) {
    const size = bytesOf(item)
    if (page.length === (limits.limit ?? Number.POSITIVE_INFINITY) || (page.length > 0 && (bytes + size > limits.maxBytes || !reservation.tryTake(size)))) return { page, next: item }
    if (page.length === 0) await reservation.take(size)
    bytes += size
    page.push(item)
  }
  return { page }
}
