/**
 * The node's recent events as Server-Sent Events messages, numbered, for the
 * streams of one HTTP server: each event is serialized once, sent to every
 * stream that asked for its type, and kept (the last 1,024, 1 MiB at most)
 * so that a reader that reconnects with `Last-Event-ID` gets what it missed
 * (events of its types: a reader of rare ones is not told it lost others').
 * EventSource sends that header by itself when it reconnects, so a dashboard
 * that lost its connection for a moment (a restart of the proxy, a laptop
 * asleep) misses nothing the node still holds, and is told when it did.
 *
 * Ids are `<log>.<n>`: `<log>` is random per log (per server and process),
 * so an id from before a restart of the node is recognised as one this log
 * never gave, not taken for a number it did.
 */
import { randomBytes } from 'node:crypto'
import type { VGuardNode, VGuardNodeEvents } from '../../node/index.ts'
import { EVENT_TYPES } from './event-types.ts'

export interface LoggedEvent {
  seq: number
  type: keyof VGuardNodeEvents
  /** The whole SSE message: id, event and data lines, and the blank line that ends it. */
  text: string
  /** Its size in UTF-8. */
  bytes: number
}

/** What a reader that reconnects gets: the events after its id, or why they cannot be had. */
export type Resume = { events: LoggedEvent[] } | { lost: string }

export interface EventLogInit {
  /** Events kept for readers that reconnect. @default 1024 */
  maxEvents?: number
  /** Bytes of messages kept for them. @default 1 MiB */
  maxBytes?: number
}

/** A Last-Event-ID as this log gives them: 16 hex digits, a dot, a number. */
const ID_FORMAT = /^([0-9a-f]{16})\.([0-9]{1,15})$/

export class EventLog {
  /** This log's part of every id. */
  readonly name = randomBytes(8).toString('hex')
  private readonly maxEvents: number
  private readonly maxBytes: number
  private readonly kept: LoggedEvent[] = []
  private bytes = 0
  private last = 0
  /** Per type, the newest event of it no longer kept: a reader of that type that had not had it cannot resume. */
  private readonly dropped = new Map<keyof VGuardNodeEvents, number>()
  private readonly subscribers = new Set<(event: LoggedEvent) => void>()
  private readonly listener = (evt: Event): void => { this.add(evt) }
  private started = false

  constructor (private readonly node: VGuardNode, init: EventLogInit = {}) {
    this.maxEvents = init.maxEvents ?? 1024
    this.maxBytes = init.maxBytes ?? 1024 * 1024
  }

  /** Listens to the node (again a no-op once started). */
  start (): void {
    if (this.started) return
    this.started = true
    for (const type of EVENT_TYPES) this.node.addEventListener(type, this.listener)
  }

  stop (): void {
    this.started = false
    for (const type of EVENT_TYPES) this.node.removeEventListener(type, this.listener)
    this.subscribers.clear()
  }

  /** The id of the newest event: a reader that has had every event of its types up to it may resume from it. */
  get lastId (): string {
    return `${this.name}.${this.last}`
  }

  /** Calls `fn` with every event from now on, until the returned function is called. */
  subscribe (fn: (event: LoggedEvent) => void): () => void {
    this.subscribers.add(fn)
    return () => { this.subscribers.delete(fn) }
  }

  /** Whether `id` has this log's shape (a reader's header that does not is a bad request). */
  static wellFormed (id: string): boolean {
    return ID_FORMAT.test(id)
  }

  /** The events of `types` after `id`, if this log gave it and still holds every later one of those types. */
  since (id: string, types: ReadonlySet<keyof VGuardNodeEvents>): Resume {
    const m = ID_FORMAT.exec(id)
    if (m == null) return { lost: `${JSON.stringify(id)} is no event id of this node` }
    if (m[1] !== this.name) return { lost: 'the node (or its HTTP API) restarted since that event: events in between are not known here' }
    const seq = Number(m[2])
    if (seq > this.last) return { lost: `event ${id} was never sent` }
    for (const type of types) {
      if ((this.dropped.get(type) ?? 0) > seq) return { lost: `events after ${id} are no longer held (the last ${this.maxEvents} are, within ${this.maxBytes} bytes)` }
    }
    return { events: this.kept.filter(e => e.seq > seq && types.has(e.type)) }
  }

  private add (evt: Event): void {
    const seq = ++this.last
    const type = evt.type as keyof VGuardNodeEvents
    const text = `id: ${this.name}.${seq}\nevent: ${type}\ndata: ${JSON.stringify((evt as CustomEvent<unknown>).detail)}\n\n`
    const event = { seq, type, text, bytes: Buffer.byteLength(text) }
    this.kept.push(event)
    this.bytes += event.bytes
    while (this.kept.length > this.maxEvents || (this.bytes > this.maxBytes && this.kept.length > 0)) {
      const dropped = this.kept.shift() as LoggedEvent
      this.bytes -= dropped.bytes
      // a reader of its type that saw it may still resume; one that did not may not
      this.dropped.set(dropped.type, dropped.seq)
    }
    for (const fn of this.subscribers) fn(event)
  }
}
