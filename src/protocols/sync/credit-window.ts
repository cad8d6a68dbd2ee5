/**
 * A requester's credit for a BLOCKS exchange, as it grants it: the request
 * gives `min`, and each frame received is answered with what keeps about a
 * second of the exchange's throughput outstanding, within [min, max]
 * (../throughput.ts). It was the whole window (8 MiB) from the start, which
 * on a slow link queued many seconds of blocks ahead of everything else the
 * two vehicles say over that connection.
 */
import { throughputWindow } from '../throughput.ts'

export class CreditWindow {
  private readonly min: number
  private readonly max: number
  private readonly now: () => number
  private readonly started: number
  /**
   * Credit granted less the frames received: the responder's credit, less
   * what it sent that is still on its way. Below zero when a frame passed its
   * credit (the responder sends while it has any). Kept exact, never clamped:
   * a requester that thought more was outstanding than the responder had
   * could wait for a frame the responder would never send.
   */
  private outstanding: number
  private received = 0

  constructor (min: number, max: number, now: () => number = () => performance.now()) {
    this.min = Math.min(min, max)
    this.max = max
    this.now = now
    this.started = now()
    this.outstanding = this.min
  }

  /** The credit the request gives. */
  get initial (): number {
    return this.min
  }

  /** A frame of `bytes` arrived: the credit to grant back now (0: none, the window shrinks). */
  frame (bytes: number): number {
    this.received += bytes
    this.outstanding -= bytes
    const target = throughputWindow(this.received, this.now() - this.started, this.min, this.max)
    const grant = Math.max(0, target - this.outstanding)
    this.outstanding += grant
    return grant
  }
}
