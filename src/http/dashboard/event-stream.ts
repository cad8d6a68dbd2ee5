/**
 * `GET /events`: the node's events as Server-Sent Events, for the dashboard
 * and for anyone who wants to watch a vehicle (`curl -N`). Each message is
 * `id: <id>`, `event: <type>` and `data: <detail as JSON>`; `?types=a,b` picks
 * types; a reader back with `Last-Event-ID` gets what it missed (event-log.ts),
 * after an `events:missed` message saying how many of the next are those.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { VGuardNode, VGuardNodeEvents } from '../../node/index.ts'
import { NotStartedError } from '../../node/index.ts'
import { InvalidRequestError, UnavailableError } from '../errors.ts'
import { onlyQuery } from '../params.ts'
import { API_HEADER } from '../api-header.ts'
import { VERSION } from '../../node/version.ts'
import { EVENT_TYPES } from './event-types.ts'
import { EventLog } from './event-log.ts'
import type { LoggedEvent } from './event-log.ts'
import { markLongLived } from '../long-lived.ts'

export { EVENT_TYPES }

/** Each stream holds a socket and a listener per type: a few dashboards and watchers, not a crowd. */
export const MAX_EVENT_STREAMS = 16
/** A reader this far behind is cut off rather than buffered for without bound. */
export const MAX_UNSENT_BYTES = 1024 * 1024
/**
 * A comment line this often (or at half the connection's idle timeout, if
 * shorter) keeps proxies and idle timeouts from closing a quiet stream. None
 * goes to a reader that has not taken what was sent: its connection falls
 * idle and the idle timeout closes it.
 */
const KEEPALIVE_MS = 15_000

interface EventStreamQuery { types?: string | string[] }

/** `idleTimeout`: the connections' idle timeout (ms), which the keepalive must beat. */
export function registerEventStream (server: FastifyInstance, node: VGuardNode, idleTimeout = Infinity): void {
  // 0 is no idle timeout, as for fastify's connectionTimeout
  const keepaliveMs = idleTimeout > 0 ? Math.max(10, Math.min(KEEPALIVE_MS, Math.floor(idleTimeout / 2))) : KEEPALIVE_MS
  /** How to end each open stream. */
  const open = new Set<() => void>()
  // started by the first stream: a server that never listens (its port taken) leaves nothing on the node
  const log = new EventLog(node)
  // a live stream never falls idle: end them all before the server waits for its connections
  server.addHook('preClose', (done) => {
    for (const end of open) end()
    log.stop()
    done()
  })
  // a stream has no head to send alone: HEAD would hold a stream slot and never answer
  server.get<{ Querystring: EventStreamQuery }>('/events', { exposeHeadRoute: false }, async (req, reply) => {
    // a typo (?type=) would otherwise stream every type
    onlyQuery(req.query, ['types'])
    const types = parseTypes(req.query.types)
    const lastEventId = req.headers['last-event-id']
    if (lastEventId != null && (Array.isArray(lastEventId) || !EventLog.wellFormed(lastEventId))) {
      throw new InvalidRequestError('Last-Event-ID: give one id of an event this node sent (<16 hex digits>.<number>)')
    }
    // a stopped node sends nothing more: a stream would stay open and silent
    if (node.status !== 'started') throw new NotStartedError('the node is not running: no events would come')
    if (open.size >= MAX_EVENT_STREAMS) throw new UnavailableError(`at most ${MAX_EVENT_STREAMS} event streams at once`)
    log.start()
    markLongLived(req.raw)
    stream(reply, node, types, open, keepaliveMs, log, lastEventId)
  })
}

function parseTypes (value: string | string[] | undefined): Array<keyof VGuardNodeEvents> {
  if (Array.isArray(value)) throw new InvalidRequestError('types: give it once, comma-separated (types=a,b)')
  // empty entries are no types (',,' as '': every type; it was 'unknown event type ""')
  const asked = [...new Set((value ?? '').split(',').map(t => t.trim()).filter(t => t !== ''))]
  if (asked.length === 0) return [...EVENT_TYPES]
  const unknown = asked.filter(t => !(EVENT_TYPES as readonly string[]).includes(t))
  if (unknown.length > 0) throw new InvalidRequestError(`unknown event type ${JSON.stringify(unknown[0])}; known: ${EVENT_TYPES.join(', ')}`)
  return asked as Array<keyof VGuardNodeEvents>
}

function stream (reply: FastifyReply, node: VGuardNode, types: Array<keyof VGuardNodeEvents>, open: Set<() => void>, keepaliveMs: number, log: EventLog, lastEventId?: string): void {
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    [API_HEADER]: VERSION,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive'
  })
  // with the newest id: a reader of rare types resumes from there, not from its last event's
  // (every event of its types up to it went out before, on this one stream)
  const keepalive = setInterval(() => {
    if (res.writableLength > MAX_UNSENT_BYTES) cutOff()
    else if (res.writableLength === 0) res.write(`: keepalive\nid: ${log.lastId}\n\n`)
  }, keepaliveMs)
  keepalive.unref()
  const wanted = new Set(types)
  // a listener runs inside the node's event dispatch: it must never throw, so it never writes to a finished response
  const send = (event: LoggedEvent): void => {
    if (!wanted.has(event.type)) return
    if (res.writableLength > MAX_UNSENT_BYTES) cutOff()
    else res.write(event.text)
  }
  const listener = (event: LoggedEvent): void => {
    send(event)
    // a stopped node emits nothing more: its streams end (told so if they asked), whoever closes the server
    if (event.type === 'node:stopped') end()
  }
  let unsubscribe = (): void => {}
  const detach = (): void => {
    clearInterval(keepalive)
    unsubscribe()
    open.delete(end)
  }
  const end = (): void => {
    detach()
    res.end()
  }
  // a reader too far behind: its connection goes now, with what it had not taken (ending it
  // would queue the end behind that, and keep the socket and its buffers until the idle timeout)
  const cutOff = (): void => {
    detach()
    res.destroy()
  }
  open.add(end)
  res.once('close', detach)
  res.on('error', detach)
  // the first bytes tell the client the stream is live (and which types it gets), and an id
  // (an id-only block sets EventSource's last id): a reader that drops before any event of its
  // types comes back with it, and gets what it missed
  res.write(`: vguard-node ${node.peerId.toString()} events: ${types.join(',')}\n\n`)
  // a reader back after a break: what it missed first (the log and this stream are in step: nothing runs in between)
  if (lastEventId != null) {
    const resume = log.since(lastEventId, wanted)
    // with an id, or the next break would report the same loss again
    if ('lost' in resume) res.write(`id: ${log.lastId}\nevent: events:lost\ndata: ${JSON.stringify({ lastEventId, reason: resume.lost })}\n\n`)
    else {
      // said first, so a reader can tell them from live ones: the dashboard counted them into its txs/s as
      // if they had happened now (a probe, 2026-12-03). No id: a break amid them resumes from the last one had
      if (resume.events.length > 0) res.write(`event: events:missed\ndata: ${JSON.stringify({ lastEventId, events: resume.events.length })}\n\n`)
      for (const event of resume.events) send(event)
    }
  }
  res.write(`id: ${log.lastId}\n\n`)
  unsubscribe = log.subscribe(listener)
}
