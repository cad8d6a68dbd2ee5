/**
 * The local HTTP API (JSON). Binds to 127.0.0.1 unless told otherwise: it can
 * write to the vehicle's chain, so it is not for the LAN by default.
 */
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { Socket } from 'node:net'
import type { VGuardNode } from '../node/index.ts'
import { useExplainingJsonParser } from './json-body.ts'
import { MethodNotAllowedError, trackAllowedMethods } from './allowed-methods.ts'
import { clientErrorHandler, connectHandler, errorHandler, expectationHandler, frameworkErrorHandler, NotFoundError, UnavailableError } from './errors.ts'
import { registerRoutes } from './routes.ts'
import { registerVGuardDBRoutes } from './routes-vguarddb.ts'
import { PayloadBudget } from './payload-budget.ts'
import { UnansweredRequests } from './unanswered.ts'
import { registerConsensusRoutes } from './routes-consensus.ts'
import { registerMetricsRoute } from './metrics.ts'
import { registerDashboard } from './dashboard/index.ts'
import { hostCheck } from './host-check.ts'
import { originForm } from './origin-form.ts'
import { refuseContentEncodingUnrouted, refuseTransferCoding } from './content-encoding.ts'
import { refuseFragment } from './fragment.ts'
import { API_HEADER } from './api-header.ts'
import { VERSION } from '../node/version.ts'
import { checkDrainGrace } from '../node/drain-grace.ts'
import { isLongLived } from './long-lived.ts'
import { awaitsContinue, continueOnRead } from './continue.ts'
import { lingerOnClose } from './lingering-close.ts'
import { checkHttpInit, checkHttpNode, hostNameProblem } from './init-check.ts'
import { ListenError, LISTEN_FAILURES } from '../node/listen-error.ts'

/** The URL with the slashes of its key (after …/kv/, /read/ or /pins/keys/) encoded. */
function keySlashHint (url: string): string {
  const [path, query] = url.split('?', 2)
  const m = /^(\/chains\/[^/]+\/(?:kv|read|pins\/keys)\/)(.*)$/.exec(path)
  if (m == null) return url
  return `${m[1]}${m[2].replaceAll('/', '%2F')}${query != null ? `?${query}` : ''}`
}

export const DEFAULT_HTTP_HOST = '127.0.0.1'
export const DEFAULT_HTTP_PORT = 7400
/** Bodies are values for the chain; anything larger is a mistake or an attack. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024
/** While closing: how often connections that just answered their last request are closed. */
const IDLE_SWEEP_MS = 50
/**
 * While closing: how long a request whose body has not all arrived may still
 * take to arrive (or requestTimeout, if shorter). Node stops enforcing
 * requestTimeout once close() starts, and a stalled or trickling body then
 * held a vehicle's stop for the 5-minute idle timeout, or for good (a probe's):
 * past a service manager's patience, which kills the node with its database open.
 */
export const CLOSING_BODY_GRACE_MS = 5_000
/** A request (headers and body: 4 MiB at most) must arrive within this; else 408 and the connection closes (a slow body held it for ever). */
export const REQUEST_TIMEOUT_MS = 60_000
/**
 * A connection silent this long is closed. Longer than anything quiet the API
 * does: a write waits at most 120 s for its commit, an event stream sends a
 * keepalive every 15 s.
 */
export const CONNECTION_IDLE_MS = 300_000

export interface HttpApiInit {
  host?: string
  port?: number
  /** ms for a request (headers and body) to arrive, else 408. @default REQUEST_TIMEOUT_MS */
  requestTimeout?: number
  /** ms of silence after which a connection is closed. @default CONNECTION_IDLE_MS */
  idleTimeout?: number
  /**
   * Payload bytes the data reads (block pages, blocks, values) turn into JSON
   * at once, across requests: pages are cut short past it, other reads wait
   * (src/http/payload-budget.ts). @default READ_PAYLOAD_BUDGET (32 MiB)
   */
  readPayloadBudget?: number
  /**
   * Host names requests may name the API by, besides addresses and
   * localhost (src/http/host-check.ts: a domain name in Host is refused,
   * DNS rebinding), e.g. a container's service name.
   */
  allowedHosts?: string[]
}

export interface HttpApi {
  readonly url: string
  readonly server: FastifyInstance
  /**
   * Answers new requests 503 (the node is stopping) and waits, `graceMs` at
   * most, for those running to be answered (event streams aside: they end
   * when the node stops). Then stop the node, then close().
   *
   * @throws InvalidArgumentError for a grace that is not a number of ms from 0 (nothing drained: the API still serves)
   */
  drain: (graceMs: number) => Promise<void>
  close: () => Promise<void>
}

/** How long a stopping CLI node lets running requests (a write waiting for its commit) finish: within docker's 10 s. */
export const DRAIN_GRACE_MS = 5_000

/**
 * A failed listen as the node's own ListenError (the address, why in words),
 * keeping the socket's `code`: an embedder got `listen EADDRINUSE` or
 * `getaddrinfo ENOTFOUND` as plain Errors. Other errors pass through.
 */
function apiListenError (err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException)?.code ?? ''
  const reason = LISTEN_FAILURES[code]
  if (reason == null) return err
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`
  return new ListenError(`the HTTP API cannot listen on ${address}: ${reason}`, [{ address, reason, code }], { cause: err })
}

/** @throws ConfigError for a node or options it does not take (checkHttpInit); ListenError when it cannot listen (the address in use, not allowed, a host name that does not resolve) */
export async function startHttpApi (node: VGuardNode, init: HttpApiInit = {}): Promise<HttpApi> {
  checkHttpNode(node)
  checkHttpInit(init)
  const requestTimeout = init.requestTimeout ?? REQUEST_TIMEOUT_MS
  // bytes the parser refuses are answered after the requests before them on their connection
  const unanswered = new UnansweredRequests()
  const server = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    // keys may be 1 KiB (3 KiB URL-encoded): longer ones get a typed 400 from the chain's checks, not a bare 414
    routerOptions: { maxParamLength: 4 * 1024 },
    // bad bodies are refused, not quietly repaired: no stripping of unknown fields, no type coercion
    // (validateSchema: our route schemas are fixed and covered by tests; checking them
    // against the JSON Schema meta-schema compiled that meta-schema at every start, ~30 ms)
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, validateSchema: false } },
    // every error, also those fastify and Node's parser answer before a route runs, in the documented shape
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: clientErrorHandler(socket => unanswered.answered(socket)),
    // fastify's own 503 while closing has a body of its own shape: the hook below answers instead
    return503OnClosing: false,
    requestTimeout,
    connectionTimeout: init.idleTimeout ?? CONNECTION_IDLE_MS,
    // to Node's createServer too: fastify sets requestTimeout on the server once it is made, which
    // Node 22 no longer reads (a body that trickled in was never cut off); and Node checks it every
    // 30 s, so a shorter timeout would be kept only to the next check
    // (headersTimeout too: Node takes it from requestTimeout, and a requestTimeout of 0 would turn off the slow-headers guard)
    // requireHostHeader: an HTTP/1.1 request without Host got Node's own empty 400; the Host check answers it (421, JSON)
    http: { requireHostHeader: false, requestTimeout, headersTimeout: requestTimeout > 0 ? Math.min(60_000, requestTimeout) : 60_000, connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 2))) }
  })
  // requests in flight per connection: closing ends the connections that have none
  const inFlight = new Map<Socket, number>()
  // an answer that closes its connection mid-body is read before the connection goes (src/http/lingering-close.ts;
  // first: it notes each request before another listener can answer it)
  lingerOnClose(server.server)
  server.server.on('connect', connectHandler)
  server.server.on('checkExpectation', expectationHandler)
  // 100 Continue once the body is read, not as soon as the head arrives (src/http/continue.ts)
  continueOnRead(server.server)
  server.server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0)
    socket.once('close', () => { inFlight.delete(socket) })
  })
  // requests whose body is still arriving: no handler has run for them, so closing may cut them off
  const arriving = new Set<IncomingMessage>()
  server.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    unanswered.track(req, res)
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1)
    if (!req.complete) {
      arriving.add(req)
      req.once('end', () => { arriving.delete(req) })
    }
    res.once('close', () => {
      arriving.delete(req)
      if (inFlight.has(socket)) inFlight.set(socket, Math.max(0, (inFlight.get(socket) ?? 1) - 1))
    })
  })
  let closing = false
  /** When the API began to close (drain or close): a body still arriving is cut off a grace from then. */
  let closingSince: number | undefined
  /** Requests a handler is working on (after the closing check), until their answer is sent or cut off. */
  const running = new Set<IncomingMessage>()
  const host = init.host ?? DEFAULT_HTTP_HOST
  // JSON bodies only (POST /booth/end): fastify also parses text/plain, which a
  // JSON route then refused as a body of the wrong shape (400), not of the wrong type (415)
  server.removeContentTypeParser('text/plain')
  useExplainingJsonParser(server)
  server.setErrorHandler(errorHandler)
  const allowedMethods = trackAllowedMethods(server)
  /** No route takes the request: 405 naming the methods its path takes, else 404. @throws always */
  const noRoute = (req: FastifyRequest, reply: FastifyReply): never => {
    // an absolute target (http://host/status) is routed by its path: looked up whole, it matched no path (a probe, 2026-12-03)
    const url = originForm(req.url)
    const path = url.split('?')[0]
    const allow = allowedMethods(path)
    if (allow.length > 0) {
      void reply.header('allow', allow.join(', '))
      throw new MethodNotAllowedError(`${path} takes ${allow.join(', ')}, not ${req.method}`, allow)
    }
    // a key holding '/' (gps/1) splits into path segments no route has
    const slashed = /^\/chains\/[^/?]+\/(kv|read|pins\/keys)\/[^?]*\//.test(url)
    throw new NotFoundError(`no route ${req.method} ${req.url}${slashed ? ` (a key with '/' goes in the path encoded, as %2F: ${keySlashHint(url)})` : ''}`)
  }
  server.setNotFoundHandler(noRoute)
  // every answer, errors too, says it comes from a vguard-node (src/http/api-header.ts)
  server.addHook('onSend', async (_req, reply, payload) => {
    void reply.header(API_HEADER, VERSION)
    return payload
  })
  // a request that reaches a closing server (pipelined, or on a keep-alive
  // connection not yet closed) does not start: the node is going away
  server.addHook('onRequest', async (req, reply) => {
    if (!closing) return
    void reply.header('connection', 'close')
    // a keyed write never hears "nothing written" without the flag: its key may be a retry of an attempt that commits (a soak)
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['idempotency-key'] != null) {
      // another node forwards a write to this vehicle's own chain here: 'retry on another node' only held for the shared chain
      throw new UnavailableError('the node is stopping: this attempt ran nothing here, and an earlier attempt under the same idempotency key may still commit; retry it with the same key once this node is back (a write to the shared chain may also go through another node)', true)
    }
    throw new UnavailableError('the node is stopping: ask again once it is back (reads, and writes to the shared chain, may also go through another node)')
  })
  server.addHook('onRequest', async (req, reply) => {
    running.add(req.raw)
    reply.raw.once('close', () => { running.delete(req.raw) })
  })
  // the address the socket bound (known once it listens): '127.1' binds to loopback as much as '127.0.0.1'
  const listening: { address?: string } = {}
  // The name the operator bound the API by is allowed too: the URL start prints, and clients given the same
  // --http, got 421 (a review). No rebinding hole: a page can put a name in Host only if it controls its DNS
  const boundName = isIP(host) === 0 && hostNameProblem(host) == null ? [host] : []
  server.addHook('onRequest', hostCheck(() => listening.address, [...(init.allowedHosts ?? []), ...boundName]))
  // the routes that read a body refuse a coded one themselves (src/http/content-encoding.ts)
  server.addHook('onRequest', refuseContentEncodingUnrouted)
  server.addHook('onRequest', refuseTransferCoding)
  server.addHook('onRequest', refuseFragment)
  // fastify refuses a QUERY without a Content-Type (RFC 10008) before the not-found handler runs: 400 named by its
  // own code, FST_ERR_ROUTE_MISSING_CONTENT_TYPE, where one with a Content-Type got 405 (a probe, 2026-12-03)
  server.addHook('onRequest', async (req, reply) => {
    if (req.method === 'QUERY' && req.headers['content-type'] == null && !allowedMethods(originForm(req.url).split('?')[0]).includes('QUERY')) noRoute(req, reply)
  })
  // a client waiting for its 100 is answered 404 or 405 before its body is invited: the not-found
  // handler parses a body first (a JSON one that is not JSON is 400), so it sent the 100 to read it (a probe, 2026-12-03)
  server.addHook('preParsing', async (req, reply) => {
    if (req.is404 && awaitsContinue(req.raw)) noRoute(req, reply)
  })
  const budget = new PayloadBudget(init.readPayloadBudget)
  registerRoutes(server, node, budget)
  registerVGuardDBRoutes(server, node, budget)
  registerConsensusRoutes(server, node)
  registerMetricsRoute(server, node)
  registerDashboard(server, node, init.idleTimeout ?? CONNECTION_IDLE_MS)
  try {
    await server.listen({ host, port: init.port ?? DEFAULT_HTTP_PORT })
  } catch (err) {
    // the routes' hooks let go of the node (the event log listens to it)
    await server.close().catch(() => {})
    throw apiListenError(err, host, init.port ?? DEFAULT_HTTP_PORT)
  }
  const address = server.server.address()
  const port = typeof address === 'object' && address != null ? address.port : init.port
  listening.address = typeof address === 'object' && address != null ? address.address : host
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${String(port)}`,
    server,
    drain: async (graceMs: number) => {
      // before closing: a grace refused drained nothing (node.drain refuses the same)
      checkDrainGrace('api.drain', graceMs)
      closing = true
      closingSince ??= Date.now()
      // Still listening: a connection that arrives now gets its 503 (the closing hook) like one open
      // before. Closing the listener here reset the connections waiting in the kernel's accept queue,
      // which on a busy host were many (a soak: 12 of 40 writes sent just before a SIGTERM got ECONNRESET,
      // which a client cannot tell from a lost answer); close() stops listening once the node has stopped.
      const deadline = Date.now() + graceMs
      const busy = (): boolean => [...running].some(req => !isLongLived(req))
      while (busy() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, IDLE_SWEEP_MS))
    },
    close: async () => {
      closing = true
      const closed = server.close()
      // Node closes the connections that are idle when close() starts. One whose
      // request was still running (a write waiting for its commit) stays open
      // after its answer until keepAliveTimeout (72 s), and so would a vehicle's
      // shutdown: close each one as soon as it falls idle. Idle counts our way
      // (no request in flight): Node's leaves out a connection that never sent
      // a request, which held the stop until its client went away.
      closingSince ??= Date.now()
      const bodyDeadline = closingSince + (requestTimeout > 0 ? Math.min(requestTimeout, CLOSING_BODY_GRACE_MS) : CLOSING_BODY_GRACE_MS)
      const closeIdle = (): void => {
        for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy()
        // a body that has not arrived by now never ran a handler: nothing of it was written
        if (Date.now() >= bodyDeadline) for (const req of arriving) if (!req.complete) req.socket.destroy()
      }
      closeIdle()
      const sweep = setInterval(closeIdle, IDLE_SWEEP_MS)
      try {
        await closed
      } finally {
        clearInterval(sweep)
      }
    }
  }
}
