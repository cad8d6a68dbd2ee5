/**
 * A transfer's send window: bytes sent but not yet acknowledged as
 * appended. The writer waits while it is full.
 *
 * Its size follows the transfer's throughput: about a second of what the
 * backup acknowledged so far (at least `min`, at most `max`). Every byte in
 * flight waits in the connection's send queue, and so does everything else
 * the two vehicles say to each other over that connection, Paxos and
 * liveness pings included. At a full 8 MiB, a copy over a 4 Mbit/s link
 * queued ~17 s ahead of them (a bandwidth probe: the vehicle's own writes
 * stalled and 100 failed while a backup took its chain). On a LAN or
 * loopback a second of throughput is far above `max`, and the window is
 * `max` from the first acknowledgement on.
 */

import { throughputWindow } from '../throughput.ts'

export class TransferWindow {
  inflight = 0
  private readonly min: number
  private readonly max: number
  private readonly now: () => number
  private waiter?: () => void
  /** When the first byte was reserved (ms), and the bytes acknowledged since. */
  private started?: number
  private acked = 0
  private abandoned = false

  constructor (min: number, max: number, now: () => number = () => performance.now()) {
    this.min = Math.min(min, max)
    this.max = max
    this.now = now
  }

  /** The window now: a second of the throughput acknowledged so far, within [min, max]; `min` before any acknowledgement. */
  get size (): number {
    return throughputWindow(this.acked, this.started == null ? 0 : this.now() - this.started, this.min, this.max)
  }

  async reserve (bytes: number): Promise<void> {
    this.started ??= this.now()
    // a frame larger than the window still goes, alone; after abandon() nothing waits (the writer sees why)
    while (!this.abandoned && this.inflight > 0 && this.inflight + bytes > this.size) {
      await new Promise<void>((resolve) => { this.waiter = resolve })
    }
    this.inflight += bytes
  }

  /** `bytes` were acknowledged. */
  release (bytes: number): void {
    this.inflight -= bytes
    this.acked += bytes
    this.wake()
  }

  /** The transfer ended: nothing waits any more. */
  abandon (): void {
    this.abandoned = true
    this.wake()
  }

  private wake (): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
