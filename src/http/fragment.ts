/**
 * A request target never holds a '#' (RFC 9112 §3.2: clients drop a URL's
 * fragment, and the grammar has no room for one). Node's parser lets it
 * through and the router cut the path at it: `PUT /chains/c/kv/a#` wrote key
 * `a`, and `…/kv/sensor#1` got a 400 about a query parameter nobody sent (a
 * probe, 2026-12-03). A key holding '#' goes encoded, as %23.
 */
import type { FastifyRequest } from 'fastify'
import { InvalidRequestError } from './errors.ts'

/** onRequest hook: throws before the body is read, so nothing of it is stored. */
export async function refuseFragment (req: FastifyRequest): Promise<void> {
  if (!req.raw.url?.includes('#')) return
  throw new InvalidRequestError("a request target holds no '#' (a URL's fragment is not sent): a key or value with '#' goes in the path encoded, as %23")
}
