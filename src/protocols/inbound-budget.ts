/**
 * Bytes received and not yet read whole, counted across a node's inbound
 * streams of one protocol. Each protocol caps a frame's size and its streams
 * per connection, but a member that opens every stream it may, on every
 * connection it may, and sends each frame all but its last byte, holds them
 * all: a probe took a node past 1 GiB that way. Over the budget, the stream
 * holding the most is reset (the hog, not whichever stream's bytes came last);
 * an honest sender's write fails at once and it may try again.
 */
import type { Stream, StreamMessageEvent } from '@libp2p/interface'
import { ProtocolError } from './errors.ts'

/** One stream's bytes, counted until released (see InboundBudget.meter). */
export interface Metered {
  /** `bytes` of what it received were read whole (a frame and its length prefix). */
  consumed: (bytes: number) => void
  /** Stops counting the stream and gives back what it still held (also when the stream closes). */
  release: () => void
}

interface Entry { stream: Stream, held: number, release: () => void }

export class InboundBudget {
  readonly limit: number
  private readonly what: string
  private used = 0
  private readonly entries = new Set<Entry>()

  /** `what` names the frames in the reset's message ("write requests"). */
  constructor (limit: number, what: string) {
    this.limit = limit
    this.what = what
  }

  /** Bytes counted now, over every stream metered. */
  get usedBytes (): number {
    return this.used
  }

  meter (stream: Stream): Metered {
    const entry: Entry = { stream, held: 0, release: () => {} }
    const onMessage = (evt: StreamMessageEvent): void => {
      entry.held += evt.data.byteLength
      this.used += evt.data.byteLength
      this.enforce()
    }
    const release = (): void => {
      if (!this.entries.delete(entry)) return
      this.used -= entry.held
      entry.held = 0
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('close', release)
    }
    entry.release = release
    this.entries.add(entry)
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', release)
    return {
      consumed: (bytes) => {
        const taken = Math.min(bytes, entry.held)
        entry.held -= taken
        this.used -= taken
      },
      release
    }
  }

  private enforce (): void {
    while (this.used > this.limit) {
      let hog: Entry | undefined
      for (const e of this.entries) if (hog == null || e.held >= hog.held) hog = e
      if (hog == null) return
      const { stream, held } = hog
      // given back first: the abort's close event would, but only once it is dispatched
      hog.release()
      stream.abort(new ProtocolError(`${this.what} partly received on this node exceed ${this.limit} bytes: the stream holding the most (${held} bytes) is reset`))
    }
  }
}
