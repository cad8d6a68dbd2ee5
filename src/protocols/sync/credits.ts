/**
 * A BLOCKS exchange's credit, as the responder sees it: the requester's
 * CREDIT messages are read as they come, for the whole exchange, not only
 * while the responder waits for credit. A stream that waits for room in the
 * serve budget (for a run its store reads ahead, say) must still take in its
 * requester's credits: they give back the budget share its own sent frames
 * hold, which may be the very room it waits for.
 */
import type { LengthPrefixedStream } from '@libp2p/utils'
import { ProtocolError, TimeoutError } from '../errors.ts'
import { SyncRequest, decodeRequest } from './messages.ts'
import { MAX_WINDOW_BYTES } from './constants.ts'

export class Credits {
  private credit: number
  /** Why no more credit will come (the requester's end closed, a bad message, the exchange ended). */
  private failure: Error | undefined
  /** The requester sent what is not a CREDIT: the exchange ends at the next frame, credit or not. */
  private broken = false
  private changed = quietDeferred()
  private readonly reading = new AbortController()

  /**
   * @param initial the request's credit
   * @param onCredit called with each CREDIT's bytes, as it arrives
   */
  constructor (private readonly lp: LengthPrefixedStream, initial: number, private readonly onCredit: (bytes: number) => void) {
    this.credit = Math.min(initial, MAX_WINDOW_BYTES)
    this.read().catch(() => {})
  }

  /**
   * Resolves once there is credit to send (the requester consumed what it
   * had), or rejects: with a TimeoutError if none comes within `timeout` ms,
   * or with why none will come.
   */
  async available (timeout: number): Promise<void> {
    if (this.broken && this.failure != null) throw this.failure
    while (this.credit <= 0) {
      if (this.failure != null) throw this.failure
      await within(this.changed.promise, timeout)
    }
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
        let msg: SyncRequest
        try {
          msg = decodeRequest(bytes)
        } catch (err) {
          this.broken = true
          throw err
        }
        if (msg.type !== SyncRequest.Type.CREDIT || !Number.isSafeInteger(msg.credit) || msg.credit < 1) {
          this.broken = true
          throw new ProtocolError('expected a CREDIT message')
        }
        this.credit = Math.min(this.credit + msg.credit, MAX_WINDOW_BYTES)
        this.onCredit(msg.credit)
        this.announce()
      }
    } catch (err) {
      this.failure = err as Error
      this.changed.reject(this.failure)
    }
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

/** Settles like `promise`, or rejects with a TimeoutError after `ms`. */
async function within (promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => { reject(new TimeoutError(`no CREDIT message within ${ms} ms`)) }, ms)
  })
  try {
    await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}
