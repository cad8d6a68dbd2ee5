/**
 * Lingering close (RFC 9112 §9.6). An answer that closes its connection
 * while the request's body is still arriving (a 413 for a body over the
 * limit) was followed at once by Node's destroySoon: the socket closed with
 * the client's bytes unread, TCP answered them with a reset, and the reset
 * reached the client before it had read the answer. It saw "connection
 * reset" or "broken pipe" (curl: `(55) Send failure`), which it cannot tell
 * from a lost answer (a probe, 2026-12-03). Here the server closes its
 * side only, reads and drops what still arrives, and closes the socket once
 * the client closes its own or after LINGER_MS. The parser's own refusals
 * (431, 400, 408: src/http/errors.ts) close their connection so too.
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'

/** How long a closing connection keeps reading a body no one reads: the client has long had the answer by then. */
export const LINGER_MS = 2_000

/** Makes `server` linger before it closes a connection whose request's body is still arriving. */
export function lingerOnClose (server: Server, lingerMs = LINGER_MS): void {
  // each connection's latest request: the one an answer that closes the connection answers
  const latest = new WeakMap<Socket, IncomingMessage>()
  server.on('request', (req: IncomingMessage) => { latest.set(req.socket, req) })
  // a request with an Expect not met is answered 417 without a 'request' event (its body may be on its way)
  server.on('checkExpectation', (req: IncomingMessage) => { latest.set(req.socket, req) })
  server.on('connection', (socket: Socket) => {
    const destroySoon = socket.destroySoon.bind(socket)
    // Node calls it once the answer to a request that closes its connection is written
    socket.destroySoon = () => {
      const req = latest.get(socket)
      if (req == null || req.complete || socket.readableEnded || socket.destroyed) {
        destroySoon()
        return
      }
      linger(socket, lingerMs)
    }
  })
}

/** Ends our side of `socket` (after what was written), drops what still arrives, and closes it once the client closes its own, or after `lingerMs`. */
export function linger (socket: Socket, lingerMs = LINGER_MS): void {
  // our side ends after the answer; what arrives meanwhile goes to the request, which nothing reads (Node dumps it)
  socket.end()
  const timer = setTimeout(() => { socket.destroy() }, lingerMs)
  socket.once('end', () => { socket.destroy() })
  socket.once('close', () => { clearTimeout(timer) })
}
