/**
 * The requests of each connection that arrived whole and are not answered
 * yet. Node's parser may refuse bytes that come after such a request on its
 * connection (a Content-Length that counted a value's characters, not its
 * bytes; a body sent with a GET and no Content-Length): HTTP/1.1 answers in
 * order, so the refusal's 400 must wait for their answers. Written at once,
 * it was read as the answer to the request before it, and the connection cut
 * that answer off: a PUT that committed was answered 400 "malformed HTTP
 * request", which says nothing was written (a probe, 2026-12-03).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export class UnansweredRequests {
  private readonly bySocket = new Map<Socket, Map<IncomingMessage, ServerResponse>>()

  /** Call for every request as it starts (the server's 'request' event). */
  track (req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket
    let requests = this.bySocket.get(socket)
    if (requests == null) {
      requests = new Map()
      this.bySocket.set(socket, requests)
      socket.once('close', () => { this.bySocket.delete(socket) })
    }
    requests.set(req, res)
    res.once('close', () => { requests.delete(req) })
  }

  /**
   * Resolves once every request on `socket` that arrived whole is answered
   * (or its connection closed); undefined when none waits. A request whose
   * body is still arriving is not waited for: the refused bytes are its own.
   */
  answered (socket: Socket): Promise<void> | undefined {
    const waiting = [...this.bySocket.get(socket) ?? []].filter(([req, res]) => req.complete && !res.closed)
    if (waiting.length === 0) return undefined
    return Promise.all(waiting.map(async ([, res]) => { await new Promise(resolve => res.once('close', resolve)) })).then(() => {})
  }
}
