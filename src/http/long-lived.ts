/**
 * Requests that stay open until the node stops (event streams): a server
 * that drains before its node stops waits for the others only.
 */
import type { IncomingMessage } from 'node:http'

const streams = new WeakSet<IncomingMessage>()

/** The request's answer lasts as long as the node (an event stream). */
export function markLongLived (req: IncomingMessage): void {
  streams.add(req)
}

export function isLongLived (req: IncomingMessage): boolean {
  return streams.has(req)
}
