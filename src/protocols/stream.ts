/**
 * Stream plumbing shared by the request/response protocols (replicate,
 * release, read): open, run, then close on success or abort on failure, so no
 * stream is ever left holding a slot; and inbound handlers that always end
 * their stream. Every read carries a timeout: yamux has no idle timeout of its
 * own, and a peer that opens a stream and sends nothing would hold it for
 * minutes.
 */
import { setMaxListeners } from 'node:events'
import type { Connection, Libp2p, PeerId, Stream, StreamHandlerOptions } from '@libp2p/interface'
import type { ProtobufDecoder } from '@libp2p/utils'
import { asError } from './framing.ts'
import { openStream } from './open-stream.ts'
import { peerText } from '../text/peer-text.ts'
import { AnswerCutOffError, InvalidMessageError, MalformedMessageError, PeerAddressUnknownError, ProtocolError, TimeoutError } from './errors.ts'

/**
 * One signal for a whole exchange that aborts (with a TimeoutError) once
 * `ms` pass without `touch()`: a long transfer is fine while it moves. Its
 * one timer is refreshed per message rather than a timeout signal (and its
 * combination with the caller's) made per message, which a transfer of
 * thousands of frames paid for in timers and listeners.
 */
export class IdleTimeout {
  readonly signal: AbortSignal
  private readonly link: LinkedSignal
  private readonly timer: ReturnType<typeof setTimeout>

  constructor (ms: number, signal?: AbortSignal, what = 'nothing moved') {
    this.link = new LinkedSignal([signal])
    this.signal = this.link.signal
    this.timer = setTimeout(() => {
      this.link.abort(new TimeoutError(`${what} for ${ms} ms`))
    }, ms)
  }

  /** Something moved: the clock starts over. */
  touch (): void {
    this.timer.refresh()
  }

  /** The exchange is over: the timer goes, and so does the link to the caller's signal. */
  clear (): void {
    clearTimeout(this.timer)
    this.link.clear()
  }
}

/** The controller a service's stop() aborts: every exchange in flight listens to its signal (LinkedSignal), however many. */
export function stopController (): AbortController {
  const controller = new AbortController()
  setMaxListeners(Infinity, controller.signal)
  return controller
}

/**
 * A signal that aborts when any of `parents` does (or on abort()), linked
 * until clear(). Not AbortSignal.any: Node keeps an entry per call in a
 * FinalizationRegistry keyed on each source signal, freed only once that
 * source is collected. With a long-lived source (a service's stop signal)
 * every call left ~100 bytes behind for good: a soak vehicle held 111,651
 * of them after an hour, one per replication of a block to a backup.
 */
export class LinkedSignal {
  readonly signal: AbortSignal
  private readonly controller = new AbortController()
  private readonly parents: AbortSignal[]
  private readonly onAbort = (evt: Event): void => { this.abort((evt.target as AbortSignal).reason) }

  constructor (parents: Array<AbortSignal | undefined>) {
    this.signal = this.controller.signal
    setMaxListeners(Infinity, this.signal)
    const linked = parents.filter((p): p is AbortSignal => p != null)
    const aborted = linked.find(p => p.aborted)
    this.parents = aborted == null ? linked : []
    if (aborted != null) {
      this.controller.abort(aborted.reason)
      return
    }
    for (const parent of this.parents) {
      // one listener per exchange in flight on a long-lived signal: not a leak, they go at clear()
      setMaxListeners(Infinity, parent)
      parent.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  abort (reason?: unknown): void {
    this.controller.abort(reason)
    this.clear()
  }

  /** Unlinks from the parents (idempotent); the signal stays as it is. */
  clear (): void {
    for (const parent of this.parents) parent.removeEventListener('abort', this.onAbort)
  }
}

/**
 * Runs `fn` with a signal that aborts with a TimeoutError after `ms` (or with
 * the caller's `signal`), and clears the timer as soon as `fn` settles.
 * Unlike AbortSignal.timeout, whose timer cannot be cleared: it lives its
 * full time, then builds a DOMException nobody reads. One per replication
 * round lived five minutes, thousands at once under steady writes; one per
 * request or answer read cost every request ~13 µs of CPU seconds later.
 */
export async function withDeadline<T> (ms: number, fn: (signal: AbortSignal) => Promise<T>, what = 'not done', signal?: AbortSignal): Promise<T> {
  const deadline = new IdleTimeout(ms, signal, what)
  try {
    return await fn(deadline.signal)
  } finally {
    deadline.clear()
  }
}

/**
 * What a peer's malformed or oversized frame surfaces as, from @libp2p/utils
 * and protons (StreamBufferError: more unread bytes than the reader buffers).
 */
const MALFORMED = new Set(['RangeError', 'MaxLengthError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError'])

/** A varint length prefix of any frame we allow (< 2^35 bytes). */
const MAX_LENGTH_PREFIX_BYTES = 5

/**
 * The `maxBufferSize` a lpStream/pbStream reader needs for frames of up to
 * `maxFrameBytes`. @libp2p/utils' reader holds every byte received and not
 * yet read, and resets the stream once that passes its limit, 4 MiB by
 * default: a frame near 4 MiB could never be read, and its stream was cut
 * on every try. Room for the frame being read and one arriving behind it,
 * plus `inFlightBytes` the sender may have outstanding on top (a window).
 */
export function readBufferFor (maxFrameBytes: number, inFlightBytes = 0): number {
  return inFlightBytes + 2 * (maxFrameBytes + MAX_LENGTH_PREFIX_BYTES)
}

function isAbort (err: unknown): boolean {
  const name = (err as Error)?.name
  return name === 'AbortError' || name === 'TimeoutError'
}

/**
 * Opens a stream to `peer` for `protocol`, runs `fn`, and closes the stream
 * (or aborts it if `fn` throws). The whole exchange ends with the caller's
 * `signal` or, given a `timeout` (ms), after it (withDeadline: the timer
 * goes with the exchange); `fn` gets the signal that combines both. Aborts
 * and timeouts surface as TimeoutError. With `answerLast` (`fn` resolves
 * with the peer's answer, read last: write, read, release, replicate),
 * the answer is returned as soon as it is in: a stream that still holds part
 * of the request (the peer answered before it took it) is aborted, and a
 * close that fails is too. Without (peer exchange, which reads nothing back),
 * the close is waited for: it is what delivers the message.
 */
export async function withStream<T> (
  libp2p: Pick<Libp2p, 'dialProtocol'> & Partial<Pick<Libp2p, 'getConnections'>>,
  peer: PeerId,
  protocol: string,
  fn: (stream: Stream, signal: AbortSignal) => Promise<T>,
  options: { signal?: AbortSignal, timeout?: number, answerLast?: boolean }
): Promise<T> {
  const { timeout, signal, answerLast } = options
  if (timeout != null) {
    return await withDeadline(timeout, async (deadline) => await withStream(libp2p, peer, protocol, fn, { signal: deadline, answerLast }), `no answer on ${protocol}`, signal)
  }
  const exchange = signal ?? new AbortController().signal
  let stream: Stream | undefined
  try {
    // the client speaks first in every exchange, so protocol negotiation can ride
    // along with the first message instead of costing a round trip of its own
    stream = await openStream(libp2p, peer, protocol, { signal: exchange, negotiateFully: false })
    const result = await fn(stream, exchange)
    if (answerLast !== true) {
      // no answer (peer exchange's one message): what was sent may not be out yet, and the close waits until it is
      await endOutbound(stream, peer, protocol, exchange)
      return result
    }
    // the peer's answer is in, and it is the outcome: a close that fails after it (a peer that answered before it
    // took the rest of our request, then took no more) ends the stream, not the exchange (a write answered OK was
    // told "no answer: it may still commit": a review)
    const opened = stream
    if (holdsUnsent(opened)) {
      // the peer answered before it took the whole request (a refusal, or a peer that stopped reading): the rest
      // is moot, and a close would wait for it to go out, the caller with it, until the deadline (until
      // 2026-12-03 a write answered OK came back only when its deadline ended that close). An honest peer
      // answers once it has read the whole request, so nothing it needs is cut off
      opened.abort(new ProtocolError(`${peer.toString()} answered on ${protocol} before it took the whole request: the rest is not sent`))
      return result
    }
    await endOutbound(opened, peer, protocol, exchange).catch((err: unknown) => { opened.abort(asError(err)) })
    return result
  } catch (thrown) {
    // close() waits for the stream to take what is queued, and rejects with its close event if it ends first
    const err = asError(thrown)
    stream?.abort(err)
    if (isAbort(err)) throw new TimeoutError(`${protocol} with ${peer.toString()} timed out`)
    if (stream == null && err.name === 'NoValidAddressesError') {
      throw new PeerAddressUnknownError(`no address of ${peer.toString()} is known: it is not connected, and no peer told this node where it is`)
    }
    throw asInvalidMessage(err, protocol, peer)
  }
}

/**
 * Whether `stream` has bytes it has not sent yet, or is waiting for room to
 * send more: what close() would wait for (the whole of it, and a window
 * from the peer), before it sends its end.
 */
function holdsUnsent (stream: Stream): boolean {
  return stream.writeBufferLength > 0 || stream.writableNeedsDrain === true
}

/** A peer's answer that broke the framing, a size limit or ended early, as InvalidMessageError; any other error as it is. */
export function asInvalidMessage (err: Error, protocol: string, peer: PeerId): Error {
  if (err.name === 'UnexpectedEOFError') return new AnswerCutOffError(`${protocol}: the answer from ${peer.toString()} was cut off (it went away, or closed the stream mid-answer): ${err.message}`)
  return MALFORMED.has(err.name) ? new InvalidMessageError(`${protocol}: malformed answer from ${peer.toString()}: ${err.message}`) : err
}

/**
 * The fields of a message `T` that carry text a peer chose (a string, or a
 * list of strings), each with the characters of it kept (see peerText).
 */
export type PeerTextFields<T> = { [K in keyof T as T[K] extends string | string[] ? K : never]?: number }

/**
 * `msg` with each of its `fields` escaped and cut (peerText), in place: what a
 * peer wrote there reaches logs, errors, the API's JSON and terminals. Names
 * and ids come through unchanged (they hold no control character and are
 * far shorter than the bound), so code that compares or parses them still
 * can; what they can no longer carry is a terminal escape or megabytes.
 */
export function withPeerText<T> (msg: T, fields: PeerTextFields<T>): T {
  const record = msg as Record<string, unknown>
  for (const [field, max] of Object.entries(fields) as Array<[string, number]>) {
    const value = record[field]
    if (typeof value === 'string') record[field] = peerText(value, max)
    else if (Array.isArray(value)) record[field] = value.map(v => typeof v === 'string' ? peerText(v, max) : v)
  }
  return msg
}

/**
 * `codec` for reading a peer's messages with pbStream: a message that does
 * not decode is a MalformedMessageError (an InvalidMessageError). protons throws plain Errors (an
 * invalid wire type, an unknown enum value), which a caller could not tell
 * from a bug of ours (found by test/integration/protocol-fuzz-clients.spec.ts).
 * The `text` fields of what decodes are escaped and bounded (withPeerText):
 * until 2026-12-03 an answer's `message` went raw into errors and logs, ANSI
 * escapes, forged log lines, bidi overrides and a megabyte of text with it.
 */
export function decoderOf<T> (codec: { decode: ProtobufDecoder<T> }, what: string, text: PeerTextFields<T> = {}): { decode: ProtobufDecoder<T> } {
  return {
    decode: (data, options) => {
      let msg: T
      try {
        msg = codec.decode(data, options)
      } catch (err) {
        throw new MalformedMessageError(`malformed ${what}: ${(err as Error).message}`)
      }
      return withPeerText(msg, text)
    }
  }
}

export type InboundHandler = (stream: Stream, connection: Connection) => Promise<void>

/** How long a peer may keep its end of an inbound stream open once the exchange is over. */
export const HALF_CLOSED_GRACE = 5_000

/**
 * Resets `stream` unless it is closed within `ms`: a sender that keeps its
 * end open (an honest one ends it when told) would hold the stream, its slot
 * and whatever it sent, for as long as it liked.
 */
export function resetUnlessClosed (stream: Stream, ms: number, why: string, log?: (why: string) => void): void {
  if (stream.status === 'closed' || stream.status === 'aborted' || stream.status === 'reset') return
  const timer = setTimeout(() => {
    if (stream.status === 'closed') return
    log?.(why)
    stream.abort(new ProtocolError(why))
  }, ms)
  timer.unref?.()
  stream.addEventListener('close', () => { clearTimeout(timer) }, { once: true })
}

/**
 * Ends an outbound exchange whose answer is in: what the peer sends now is
 * dropped, our side is closed, and a peer that does not end its side (an
 * honest responder does once it answered) is reset after HALF_CLOSED_GRACE.
 * Closing our side alone left the stream open for as long as the peer liked,
 * its reader buffering all it sent (up to the reader's limit, 12 MiB for a
 * read, ~16 MiB for a sync) on each stream: found in review.
 */
export async function endOutbound (stream: Stream, peer: PeerId, protocol: string, signal: AbortSignal, log?: (why: string) => void): Promise<void> {
  if (stream.readStatus === 'readable') await stream.closeRead().catch(() => {})
  await stream.close({ signal })
  resetUnlessClosed(stream, HALF_CLOSED_GRACE, `${peer.toString()} kept its end of a finished ${protocol} exchange open`, log)
}

/**
 * Ends an inbound exchange whose answer is out: what the peer sends now is
 * dropped, not buffered for nobody (a probe's member held 3.5 MiB on each of
 * its streams after their answers), and a peer that does not end its side is
 * reset after HALF_CLOSED_GRACE.
 */
export async function finishExchange (stream: Stream): Promise<void> {
  if (stream.readStatus === 'readable') await stream.closeRead().catch(() => {})
  if (stream.status === 'open') await withDeadline(5_000, async (signal) => { await stream.close({ signal }) }, 'stream not closed')
  resetUnlessClosed(stream, HALF_CLOSED_GRACE, 'the peer kept its end of a finished exchange open')
}

/** Registers a handler whose stream is always closed (success) or aborted (failure). */
export async function handleProtocol (
  libp2p: Pick<Libp2p, 'handle'>,
  protocol: string,
  handler: InboundHandler,
  options: StreamHandlerOptions,
  onError: (err: Error, connection: Connection) => void
): Promise<void> {
  await libp2p.handle(protocol, async (stream, connection) => {
    try {
      await handler(stream, connection)
      await finishExchange(stream)
    } catch (thrown) {
      const err = asError(thrown)
      onError(err, connection)
      stream.abort(err)
    }
  }, options)
}
