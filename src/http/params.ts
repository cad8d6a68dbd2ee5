/**
 * Checks of the path parameters every `/chains/:id/…` route shares, so a
 * malformed id or key is a 400 before any peer is asked (asking first turns
 * it into a 503 about an unreachable "proposer" named by garbage).
 */
import { canonicalPeerId } from '../node/peer-ids.ts'
import { InvalidTransactionError, keyProblem, MAX_KEY_BYTES } from '../chain/index.ts'
import type { FastifyRequest } from 'fastify'
import type { VGuardNode } from '../node/index.ts'
import { checkIdempotencyKey, InvalidIdempotencyKeyError } from '../node/index.ts'
import { DEFAULT_KEYS_PER_READ, MAX_KEYS_PER_READ } from '../protocols/read/index.ts'
import { InvalidRequestError } from './errors.ts'

/** `:id` must be a vehicle's peer id or `shared`. @throws InvalidRequestError */
export function checkChain (node: VGuardNode, id: string): void {
  if (id === 'shared' || id === node.peerId.toString()) return
  const canonical = canonicalPeerId(id)
  if (canonical == null) throw new InvalidRequestError(`chain id: a vehicle's peer id or 'shared', got ${JSON.stringify(id)}`)
  if (canonical !== id) throw new InvalidRequestError(`chain id: give the peer id as ${canonical}, not as ${id}`)
}

/**
 * `:key` must be a key a write could have stored. The chain's own check (the
 * one a PUT meets) decides, so reads and writes cannot drift apart.
 *
 * @throws InvalidTransactionError (empty, not well-formed, over 1 KiB)
 */
export function checkKey (key: string): void {
  const problem = keyProblem(key)
  // the chain says "key must be …"; here it is the key in the URL
  if (problem != null) throw new InvalidTransactionError(`key: ${problem.replace(/^key /, '')}`)
}

/**
 * A route's query takes only the parameters it names: one it does not know
 * (a misspelling, or `?consistency=` on a route that reads locally or writes)
 * would otherwise be ignored without a word, and the answer taken for what
 * was asked. @throws InvalidRequestError
 */
export function onlyQuery (query: unknown, allowed: readonly string[]): void {
  const unknown = Object.keys(query ?? {}).filter(name => !allowed.includes(name))
  if (unknown.length === 0) return
  const takes = allowed.length === 0 ? 'takes no query parameters' : `takes ${allowed.join(', ')}`
  throw new InvalidRequestError(`unknown query parameter${unknown.length === 1 ? '' : 's'} ${unknown.map(n => JSON.stringify(n)).join(', ')}: this route ${takes}`)
}

/** A yes/no query parameter: absent is `fallback`. @throws InvalidRequestError */
export function parseFlag (name: string, raw: unknown, fallback: boolean): boolean {
  if (raw == null) return fallback
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new InvalidRequestError(`${name}: true or false, got ${JSON.stringify(raw)}`)
}

/**
 * The request's Idempotency-Key, if any. Two of them name two writes: Node
 * would join them into one key ("k1, k2"), which neither retry would send
 * again alone. Its shape is checked here too, not only by the node: a write
 * route runs this before the body is read, so a client waiting for its 100
 * hears of a malformed key before it uploads the body (a probe, 2026-12-03).
 *
 * @throws InvalidIdempotencyKeyError
 */
export function idempotencyKey (req: FastifyRequest): { idempotencyKey?: string } {
  const keys = req.raw.headersDistinct['idempotency-key']
  if (keys == null) return {}
  if (keys.length > 1) throw new InvalidIdempotencyKeyError(`one Idempotency-Key per write, got ${keys.length}`)
  return { idempotencyKey: checkIdempotencyKey(keys[0]) }
}

/** A page of a key scan, local or read with redirect, holds at most as many keys as a KEYS read. */
export const MAX_KEYS_PER_PAGE = MAX_KEYS_PER_READ

export interface KeysQuery { prefix?: string, after?: string, limit: number, values: boolean }

/** `prefix`, `after`, `limit` and `values` of a key scan (local or with redirect). @throws InvalidRequestError */
export function parseKeysQuery (req: FastifyRequest): KeysQuery {
  const query = req.query as Record<string, unknown>
  return {
    prefix: parseKeyBound(req, 'prefix'),
    after: parseKeyBound(req, 'after'),
    limit: parseLimit(query.limit),
    values: parseFlag('values', query.values, true)
  }
}

/** `prefix` and `after` bound the keys' UTF-8 bytes: text no key could start with is a mistake. */
function parseKeyBound (req: FastifyRequest, name: string): string | undefined {
  const text = strictQueryText(req, name)
  if (text == null) return undefined
  if (Buffer.byteLength(text) > MAX_KEY_BYTES) throw new InvalidRequestError(`${name}: longer than a key (${MAX_KEY_BYTES} bytes)`)
  return text
}

function parseLimit (raw: unknown): number {
  if (raw == null) return DEFAULT_KEYS_PER_READ
  if (typeof raw !== 'string' || !/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_KEYS_PER_PAGE) {
    throw new InvalidRequestError(`limit: keys per page, 1 to ${MAX_KEYS_PER_PAGE}, got ${JSON.stringify(raw)}`)
  }
  return Number(raw)
}

/**
 * A query parameter's text, percent-decoding it strictly. The query parser
 * leaves an escape that is not UTF-8 (`%ED%A0%80`, a lone surrogate) as it
 * was typed, so a key bound would be taken as that literal text: refused
 * instead. Undefined when absent. @throws InvalidRequestError
 */
export function strictQueryText (req: FastifyRequest, name: string): string | undefined {
  const url = req.raw.url ?? ''
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''
  let found: string | undefined
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    const rawName = eq === -1 ? pair : pair.slice(0, eq)
    if (decodeQueryPart(rawName) !== name) continue
    if (found != null) throw new InvalidRequestError(`${name}: one value, given more than once`)
    const raw = eq === -1 ? '' : pair.slice(eq + 1)
    const text = decodeQueryPart(raw)
    if (text == null && /%(?![0-9A-Fa-f]{2})/.test(raw)) throw new InvalidRequestError(`${name}: a % that is no escape (%25 is a % itself)`)
    if (text == null) throw new InvalidRequestError(`${name}: its percent-encoded bytes are not UTF-8`)
    found = text
  }
  return found
}

function decodeQueryPart (part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}
