/**
 * Writes through consensus: PUT and DELETE /chains/:id/kv/:key.
 *
 * - `:id` is this vehicle's peer id (its own chain), `shared` (forwarded to
 *   the shared chain's leader), or another vehicle's peer id (forwarded to
 *   that vehicle, the only proposer of its chain);
 * - PUT's body is the value's bytes, whatever the content type (so they are
 *   stored exactly as sent); an empty body stores an empty value;
 * - the answer comes once the block is committed: `{ chainId, height, hash }`;
 *   without a quorum 503 with a JSON error, and nothing is written;
 * - a vehicle's own chain also waits for the replication round after the
 *   commit (`replication` in the answer) unless `?waitForReplication=false`:
 *   the block is as durable either way (its booth's majority holds it), the
 *   answer just does not wait for the copies (a slow link to a backup);
 * - an `Idempotency-Key` header names the write: sent again (to any node)
 *   with the same key and body, it commits once and every attempt gets the
 *   first commit's answer (WriteOptions.idempotencyKey).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { VGuardNode } from '../node/index.ts'
import { commitJson } from '../node/consensus.ts'
import { checkChain, checkKey, idempotencyKey, onlyQuery, parseFlag } from './params.ts'
import { checkBeforeContinue } from './continue.ts'
import { refuseContentEncoding } from './content-encoding.ts'

interface KvParams { id: string, key: string }
interface WriteQuery { waitForReplication?: unknown }

/** What a write may ask in its query: whether to wait for its replication round. @throws InvalidRequestError */
function writeOptions (query: WriteQuery): { waitForReplication: boolean } {
  onlyQuery(query, ['waitForReplication'])
  return { waitForReplication: parseFlag('waitForReplication', query.waitForReplication, true) }
}

/** A write's path, query and Idempotency-Key, checked: what it writes where, and how. @throws InvalidRequestError, InvalidTransactionError, InvalidIdempotencyKeyError */
function writeRequest (node: VGuardNode, req: FastifyRequest<{ Params: KvParams, Querystring: WriteQuery }>): { id: string, key: string, options: { waitForReplication: boolean, idempotencyKey?: string } } {
  const { id, key } = req.params
  // a write has no consistency: its query says only whether it waits for its copies
  const options = writeOptions(req.query)
  // as reads and pins do: a bad key is about the key in the URL, not "transaction 0" of a block
  checkChain(node, id)
  checkKey(key)
  return { id, key, options: { ...options, ...idempotencyKey(req) } }
}

export function registerConsensusRoutes (server: FastifyInstance, node: VGuardNode): void {
  // an encapsulated scope: only these routes take raw bodies
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => { done(null, body) })

    // a client waiting for its 100 hears of a bad path or query before it sends the value (src/http/continue.ts)
    const checkFirst = checkBeforeContinue(req => writeRequest(node, req as FastifyRequest<{ Params: KvParams, Querystring: WriteQuery }>))
    scope.put<{ Params: KvParams, Body: Buffer | undefined, Querystring: WriteQuery }>('/chains/:id/kv/:key', { onRequest: refuseContentEncoding, preParsing: checkFirst }, async (req) => {
      const { id, key, options } = writeRequest(node, req)
      const body = req.body
      const value = body == null ? new Uint8Array(0) : new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      return commitJson(await node.put(key, value, { chainId: id, ...options }))
    })

    scope.delete<{ Params: KvParams, Querystring: WriteQuery }>('/chains/:id/kv/:key', { preParsing: checkFirst }, async (req) => {
      const { id, key, options } = writeRequest(node, req)
      return commitJson(await node.delete(key, { chainId: id, ...options }))
    })
  })
}
