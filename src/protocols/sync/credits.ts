/**
 * A BLOCKS exchange's credit, as the responder sees it: the requester's
 * CREDIT messages are read as they come, for the whole exchange, not only
 * while the responder waits for credit. A stream that waits for room in the
 * serve budget (for a run its store reads ahead, say) must still take in its
 * requester's credits: they give back the budget share its own sent frames
 * hold, which may be the very room it waits for.
 */
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { MessageStream } from '@libp2p/interface'
import { ProtocolError, TimeoutError } from '../errors.ts'
import { SyncRequest, decodeRequest } from './messages.ts'
import { MAX_WINDOW_BYTES } from './constants.ts'
import { withinMs } from '../time-limit.ts'

export class Credits {
  private credit: number
  /** Why no more credit will come (the requester's end closed, a bad message, the exchange ended). */
  private failure: Error | undefined
  /**
   * Aborted once the requester broke the exchange (sent what is not a CREDIT,
   * or reset the stream): it ends at the next frame, credit or not, and a
   * wait for room in the budget ends too. Its closing its write side does
   * not break it: the credit it gave may still be spent.
   */
  private readonly broke = new AbortController()
  private changed = quietDeferred()
  private readonly reading = new AbortController()

  /**
   * @param initial the request's credit
   * @param onCredit called with each CREDIT's bytes, as it arrives
   * @param stream the stream `lp` reads: once the requester closed its write side, its reset is seen there
   */
  constructor (private readonly lp: LengthPrefixedStream, initial: number, private readonly onCredit: (bytes: number) => void, private readonly stream?: Pick<MessageStream, 'status' | 'addEventListener'>) {
    this.credit = Math.min(initial, MAX_WINDOW_BYTES)
    this.read().catch(() => {})
  }

  /**
   * Resolves once there is credit to send (the requester consumed what it
   * had), or rejects: with a TimeoutError if none comes within `timeout` ms,
   * or with why none will come.
   */
  async available (timeout: number): Promise<void> {
    if (this.broke.signal.aborted) throw this.broke.signal.reason
    // one deadline for the whole wait: a CREDIT of a byte now and then (never enough to send on) restarted it, and
    // a requester that read nothing held its stream's room in the budget for good (a probe: three held 45 of 48 MiB)
    const deadline = performance.now() + timeout
    while (this.credit <= 0) {
      if (this.failure != null) throw this.failure
      await withinMs(this.changed.promise, deadline - performance.now(), () => new TimeoutError(`no credit to send on within ${timeout} ms`))
    }
  }

  /** Aborted once the requester broke the exchange (see broke). */
  get broken (): AbortSignal {
    return this.broke.signal
  }

  /** Spends credit on a frame about to be sent (it may go below zero: a frame is sent whole). */
  spend (bytes: number): void {
    this.credit -= bytes
  }

  /** Stops reading: the exchange is over. */
  close (): void {
    this.reading.abort()
  }

  private async read (): Promise<void> {
    try {
      while (true) {
        const bytes = await this.lp.read({ signal: this.reading.signal })
        const msg = decodeRequest(bytes)
        if (msg.type !== SyncRequest.Type.CREDIT || !Number.isSafeInteger(msg.credit) || msg.credit < 1) {
          throw new ProtocolError('expected a CREDIT message')
        }
        this.credit = Math.min(this.credit + msg.credit, MAX_WINDOW_BYTES)
        this.onCredit(msg.credit)
        this.announce()
      }
    } catch (err) {
      this.failure = err as Error
      // the requester closed its write side (it may still read what its credit asked for), or we closed the reading
      const quiet = this.failure.name === 'UnexpectedEOFError' || this.reading.signal.aborted
      if (!quiet) this.broke.abort(this.failure)
      else if (!this.reading.signal.aborted) this.watchReset()
      this.changed.reject(this.failure)
    }
  }

  /**
   * The requester closed its write side: no more reads see it go, so its
   * reset (or our connection's end) is taken from the stream's close event.
   * Else a stream waiting for room in the budget held its share until its
   * timeout.
   */
  private watchReset (): void {
    const stream = this.stream
    if (stream == null) return
    if (stream.status === 'reset' || stream.status === 'aborted') {
      this.broke.abort(new ProtocolError('the requester reset the stream'))
      return
    }
    stream.addEventListener('close', (evt) => {
      if (evt.error != null) this.broke.abort(evt.error)
    }, { once: true })
  }

  private announce (): void {
    const changed = this.changed
    this.changed = quietDeferred()
    changed.resolve()
  }
}

/** A deferred whose rejection nobody has to await. */
function quietDeferred (): PromiseWithResolvers<void> {
  const deferred = Promise.withResolvers<void>()
  deferred.promise.catch(() => {})
  return deferred
}
