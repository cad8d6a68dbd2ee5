/**
 * Pins: what retention never prunes in a chain this node holds (V-Guard's
 * storage master lets users keep evidence).
 *
 * - GET /chains/:id/pins → { chainId, pins }
 * - PUT /chains/:id/pins/keys/:key, DELETE …: every block that writes the key
 * - PUT /chains/:id/pins/heights/:range, DELETE …: heights N or N-M
 *
 * PUT and DELETE take no body (one of any type is ignored) and answer
 * { chainId, pins, changed } (false: those blocks were already so; both are
 * idempotent); PUT adds alreadyPruned, the blocks it
 * names whose payload retention pruned before (a pin cannot bring them back). Heights are what counts, not list entries:
 * pinning heights inside a pinned range changes nothing, a new range merges
 * with the ranges it overlaps or touches, and unpinning heights takes them out
 * of every pinned range (splitting it). Key pins match exactly. A pin keeps payloads from retention, not a copy from
 * its release: a backup told to delete its copy deletes its pins with it (a
 * copy its owner replaces keeps them).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MAX_HEIGHT_TEXT } from './max-height.ts'
import type { VGuardNode } from '../node/index.ts'
import type { Pin } from '../node/index.ts'
import { InvalidRequestError } from './errors.ts'
import { checkChain, checkKey, onlyQuery } from './params.ts'
import { checkBeforeContinue } from './continue.ts'

interface PinAnswer { chainId: string, pins: Pin[], changed?: boolean, alreadyPruned?: number }

/** `N` or `N-M`, heights ≥ 1. @throws InvalidRequestError */
export function parseHeights (raw: string): Pin {
  const m = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(raw)
  // a height of 16 digits or more is no integer a chain reaches (it read as "not an integer": a review)
  if (m == null && /^\d{16,}(?:-\d+)?$|^\d+-\d{16,}$/.test(raw)) throw new InvalidRequestError(`heights: at most 15 digits each, got ${JSON.stringify(raw)}`)
  if (m == null) throw new InvalidRequestError(`heights: N or N-M (integers from 1 to ${MAX_HEIGHT_TEXT}), got ${JSON.stringify(raw)}`)
  const from = Number(m[1])
  const to = m[2] != null ? Number(m[2]) : from
  if (from < 1 || to < from) throw new InvalidRequestError(`heights: 1 ≤ from ≤ to, got ${raw}`)
  return { type: 'range', from, to }
}

export function registerPinRoutes (server: FastifyInstance, node: VGuardNode): void {
  const answer = (chainId: string): PinAnswer => ({ chainId, pins: node.chains.pins(chainId) })
  const change = async (chainId: string, pin: Pin, op: 'pin' | 'unpin'): Promise<PinAnswer> => {
    checkChain(node, chainId)
    const outcome = op === 'pin' ? await node.pin(chainId, pin) : await node.unpin(chainId, pin)
    return { ...answer(chainId), ...outcome }
  }
  const keyPin = (key: string): Pin => {
    checkKey(key)
    return { type: 'key', key }
  }

  // no pin route takes a query parameter: one given is a mistake (a typo of a write's option), refused before anything changes
  server.get<{ Params: { id: string } }>('/chains/:id/pins', async (req) => {
    onlyQuery(req.query, [])
    checkChain(node, req.params.id)
    return answer(req.params.id)
  })
  // an encapsulated scope: a pin's PUT and DELETE take no body, and ignore one of any type, as a DELETE of a key
  // does (one not JSON was refused 415 "send the body as application/json", JSON that did not parse 400: a probe, 2026-12-03)
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => { done(null, undefined) })
    const targets: Array<[string, (raw: string) => Pin]> = [['keys', keyPin], ['heights', parseHeights]]
    for (const [kind, parse] of targets) {
      for (const [method, op] of [['PUT', 'pin'], ['DELETE', 'unpin']] as const) {
        const pinRequest = (req: FastifyRequest<{ Params: { id: string, target: string } }>): Pin => {
          // in the handler's order: the query, the target, then the chain (change)
          onlyQuery(req.query, [])
          const pin = parse(req.params.target)
          checkChain(node, req.params.id)
          return pin
        }
        scope.route<{ Params: { id: string, target: string } }>({
          method,
          url: `/chains/:id/pins/${kind}/:target`,
          // a client waiting for its 100 hears of a bad path or query before it sends a body (src/http/continue.ts)
          preParsing: checkBeforeContinue(req => pinRequest(req as FastifyRequest<{ Params: { id: string, target: string } }>)),
          handler: async (req) => {
            onlyQuery(req.query, [])
            return await change(req.params.id, parse(req.params.target), op)
          }
        })
      }
    }
  })
}
