/**
 * `Expect: 100-continue` met only when the body will be read (RFC 9110
 * §10.1.1). Node answered `100 Continue` as soon as a request's head
 * arrived, before the API had decided, so a request it refuses (an unknown
 * route, a Content-Length over the limit, a Host not allowed, a bad key) was
 * first invited to send its whole body: curl sends the header for bodies
 * over 1 MiB, and a 64 MiB PUT was uploaded whole before its 413 (a probe,
 * 2026-12-03). With a 'checkContinue' listener Node sends nothing itself:
 * the 100 goes out here when the body is first read, and never once an
 * answer has begun. Node closes the connection after an answer sent without
 * the 100 (the client may send the body anyway, unread).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Requests whose client waits for a 100 that has not been sent. */
const waiting = new WeakSet<IncomingMessage>()

/** Whether the request's client is still waiting for `100 Continue` before it sends the body. */
export function awaitsContinue (req: IncomingMessage): boolean {
  return waiting.has(req)
}

/** Whether an Expect header (two are joined by ", ") names 100-continue and no other expectation (case-insensitive: RFC 9110 §10.1.1). */
function onlyContinue (expect: string | undefined): boolean {
  const expectations = (expect ?? '').split(',').map(e => e.trim()).filter(e => e !== '')
  return expectations.length > 0 && expectations.every(e => e.toLowerCase() === '100-continue')
}

/** Hands requests that expect 100-continue to the server's request handlers, the 100 deferred to the body's first read. */
export function continueOnRead (server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Node takes a header naming 100-continue anywhere for it: another expectation beside it
    // (`100-continue, foo`, or two Expect headers) was met as 100-continue alone (a probe, 2026-12-03)
    if (!onlyContinue(req.headers.expect)) {
      if (server.listenerCount('checkExpectation') > 0) server.emit('checkExpectation', req, res)
      else res.writeHead(417).end()
      return
    }
    waiting.add(req)
    // every consumer of the body (a 'data' listener, pipe, read, resume) pulls it through _read
    const read = req._read.bind(req)
    req._read = (size: number) => {
      if (waiting.delete(req) && !res.headersSent && !res.writableEnded) res.writeContinue()
      req._read = read
      read(size)
    }
    server.emit('request', req, res)
  })
}

/**
 * A preParsing hook for a route that takes a body: runs `check` (the
 * route's checks of its path, query and headers, which its handler runs
 * again) before the body is read when the client waits for the 100, so a
 * request the route refuses is refused without inviting the body. Other
 * requests go on as they did (their body is on its way already).
 */
export function checkBeforeContinue (check: (req: FastifyRequest) => unknown): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req) => {
    if (awaitsContinue(req.raw)) check(req)
  }
}
