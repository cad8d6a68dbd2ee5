/**
 * VGuardDB over HTTP: VGuard's end-of-booth hook and the redirect reads (a
 * key, or a page of keys).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { PayloadBudget, Reservation } from './payload-budget.ts'
import type { ReplicationOutcome, VGuardNode } from '../node/index.ts'
import { encodeValue, keyEntryJson } from './encoding.ts'
import { InvalidRequestError, KeyNotFoundError } from './errors.ts'
import { ReadResponse } from '../protocols/read/index.ts'
import type { PathEntry } from '../protocols/read/index.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import { checkChain, checkKey, idempotencyKey, onlyQuery, parseKeysQuery } from './params.ts'
import { checkBeforeContinue } from './continue.ts'
import { refuseContentEncoding } from './content-encoding.ts'
import { refuseJsonCharset } from './json-body.ts'

const utf8 = new TextEncoder()
/** A read's `via` names a few holders: 1 KiB is some twenty peer ids. */
const MAX_VIA_CHARS = 1024

interface BoothBody {
  participants: string[]
  transactions: Array<{ key: string, value?: string, encoding?: 'utf8' | 'base64', delete?: boolean }>
}

const boothSchema = {
  body: {
    type: 'object',
    required: ['participants', 'transactions'],
    additionalProperties: false,
    properties: {
      participants: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } },
      transactions: {
        type: 'array',
        minItems: 1,
        maxItems: 65_536,
        items: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 1024 },
            value: { type: 'string' },
            encoding: { type: 'string', enum: ['utf8', 'base64'] },
            delete: { type: 'boolean' }
          }
        }
      }
    }
  }
}

function decodeTransaction (tx: BoothBody['transactions'][number]): { key: string, value?: Uint8Array, delete?: boolean } {
  if (tx.delete === true) {
    if (tx.value != null) throw new InvalidRequestError(`transaction ${tx.key}: a delete has no value`)
    if (tx.encoding != null) throw new InvalidRequestError(`transaction ${tx.key}: a delete has no value, so no encoding`)
    return { key: tx.key, delete: true }
  }
  if (tx.value == null) throw new InvalidRequestError(`transaction ${tx.key}: value required (or "delete": true)`)
  // a lone surrogate has no UTF-8: it would be stored as U+FFFD, other bytes than sent (keys are refused alike)
  if (tx.encoding !== 'base64' && !tx.value.isWellFormed()) throw new InvalidRequestError(`transaction ${tx.key}: value is not well-formed unicode (send bytes as base64)`)
  return { key: tx.key, value: tx.encoding === 'base64' ? decodeBase64(tx.key, tx.value) : utf8.encode(tx.value) }
}

/**
 * Canonical base64 only (RFC 4648 alphabet, padded, zero pad bits, no
 * whitespace): Buffer.from skips what it cannot read, so "!!!not base64"
 * would be stored as other bytes than the sender meant. Canonical input is
 * exactly what re-encodes to itself.
 */
function decodeBase64 (key: string, text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) throw new InvalidRequestError(`transaction ${key}: value is not canonical base64`)
  return bytes
}

/** A round short of k: how many backups took the chain now, and how many older copies stay active beside them. */
function shortWarning (outcome: ReplicationOutcome, k: number): string {
  const fresh = outcome.transfers.length
  const kept = outcome.active.length - fresh
  return `only ${fresh} of ${k} backups could take the chain${kept > 0 ? `; ${kept} older ${kept === 1 ? 'copy stays' : 'copies stay'} active until a round refreshes ${kept === 1 ? 'it' : 'them'}` : ''}`
}

export function registerVGuardDBRoutes (server: FastifyInstance, node: VGuardNode, budget = new PayloadBudget()): void {
  const boothRequest = (req: FastifyRequest): { idempotencyKey?: string } => {
    onlyQuery(req.query, [])
    // a retry of a request whose answer was lost appends nothing again
    return idempotencyKey(req)
  }
  // a client waiting for its 100 hears of a bad query before it sends the booth (src/http/continue.ts)
  server.post<{ Body: BoothBody }>('/booth/end', { schema: boothSchema, onRequest: [refuseContentEncoding, refuseJsonCharset], preParsing: checkBeforeContinue(boothRequest) }, async (req) => {
    const keyed = boothRequest(req)
    const outcome = await node.endOfBooth({
      participants: req.body.participants,
      transactions: req.body.transactions.map(decodeTransaction),
      ...keyed
    })
    return {
      chainId: outcome.chainId,
      height: outcome.height,
      epoch: outcome.epoch,
      active: outcome.active,
      obsolete: outcome.obsolete,
      complete: outcome.complete,
      ...(outcome.complete ? {} : { warning: shortWarning(outcome, node.config.kBackups) }),
      // also when others made up for them (a backup of the table before): VGuard learns whom it chose that did not take it
      ...(outcome.failures.length > 0 ? { failures: outcome.failures } : {})
    }
  })

  server.get<{ Params: { id: string, key: string }, Querystring: { via?: string | string[] } }>('/chains/:id/read/:key', async (req, reply) => {
    onlyQuery(req.query, ['via'])
    checkChain(node, req.params.id)
    checkKey(req.params.key)
    const result = await node.vguarddb.readKey(req.params.id, req.params.key, { via: parseVia(req.query.via) })
    const path = pathJson(result.path)
    if (result.response.status !== ReadResponse.Status.OK) {
      throw Object.assign(new KeyNotFoundError(`key ${req.params.key} has no value in chain ${req.params.id}`), { details: { path, servedBy: result.servedBy, stale: result.stale } })
    }
    await new Reservation(budget, reply.raw).take(result.response.value.byteLength)
    return {
      key: req.params.key,
      ...encodeValue(result.response.value),
      height: result.response.valueHeight,
      chainHeight: result.height,
      epoch: result.epoch,
      servedBy: result.servedBy,
      stale: result.stale,
      path
    }
  })

  // a page of another vehicle's keys, read as a key is: proposer first, then its backups
  server.get<{ Params: { id: string }, Querystring: { via?: string | string[] } }>('/chains/:id/read', async (req, reply) => {
    onlyQuery(req.query, ['prefix', 'after', 'limit', 'values', 'via'])
    checkChain(node, req.params.id)
    const { prefix, after, limit, values } = parseKeysQuery(req)
    const result = await node.vguarddb.readKeys(req.params.id, { prefix, after, limit, values }, { via: parseVia(req.query.via) })
    const { entries, more } = result.response
    await new Reservation(budget, reply.raw).take(entries.reduce((n, e) => n + e.value.byteLength, 0))
    return {
      chainId: req.params.id,
      prefix: prefix ?? '',
      entries: entries.map(e => keyEntryJson(e, values)),
      next: more && entries.length > 0 ? entries[entries.length - 1].key : null,
      chainHeight: result.height,
      epoch: result.epoch,
      servedBy: result.servedBy,
      stale: result.stale,
      path: pathJson(result.path)
    }
  })
}

/** `?via=ID[,ID…]`: holders to ask right after the proposer (e.g. a backup you know was released). @throws InvalidRequestError */
function parseVia (raw: string | string[] | undefined): string[] | undefined {
  if (Array.isArray(raw)) throw new InvalidRequestError('via: give it once, comma-separated (via=ID,ID)')
  if (raw != null && raw.length > MAX_VIA_CHARS) throw new InvalidRequestError(`via: at most ${MAX_VIA_CHARS} characters (a few peer ids), got ${raw.length}`)
  const via = raw?.split(',').map(v => v.trim()).filter(v => v !== '')
  // given, it names someone: `?via=` or `?via=,,` read as no via, where `?limit=` and `?values=` are refused (a probe, 2026-12-03)
  if (via?.length === 0) throw new InvalidRequestError('via: name one peer id or more, comma-separated (via=ID,ID), or leave it out')
  for (const id of via ?? []) {
    try {
      peerIdFromString(id)
    } catch {
      throw new InvalidRequestError(`via: not a peer id: ${id}`)
    }
  }
  return via
}

/** A read's path as JSON: each holder asked, how it answered, and what it reported. */
function pathJson (path: PathEntry[]): Array<Record<string, unknown>> {
  return path.map(p => ({ peerId: p.peerId, outcome: p.outcome, ...(p.epoch != null ? { epoch: p.epoch } : {}), ...(p.height != null ? { height: p.height } : {}), ...(p.error != null ? { error: p.error } : {}) }))
}
