/**
 * Read with redirect (VGuardDB's third phase), as a pure procedure over an
 * `ask` function so it can be tested without sockets.
 *
 * The reader asks the chain's proposer first, then the active backups of the
 * newest table it knows. An active backup (or the proposer) serves; a
 * released backup answers REDIRECT with its newer signed table, which the
 * reader verifies, adopts if newer, and follows; an obsolete backup not yet
 * released serves its copy and says so (outcome "stale"). Each holder is
 * asked at most once (loops are detected) and at most `maxHops` are asked.
 */
import type { VerifiedTable } from '../../backup/index.ts'
import { ReadRequest, ReadResponse } from './pb/read.ts'
import { MAX_HOPS } from './constants.ts'
import { NoHolderReachableError } from './errors.ts'

export type PathOutcome = 'served' | 'stale' | 'redirect' | 'not-found' | 'unreachable' | 'unavailable' | 'invalid' | 'error' | 'loop'

export interface PathEntry {
  peerId: string
  outcome: PathOutcome
  /** The epoch and height the holder reported. */
  epoch?: number
  height?: number
  error?: string
}

export interface RedirectReadResult {
  /** The answer that ended the read (status OK or NOT_FOUND). */
  response: ReadResponse
  servedBy: string
  height: number
  epoch: number
  /** True when the data came from an obsolete backup that was not released yet. */
  stale: boolean
  path: PathEntry[]
}

export interface RedirectReadInit {
  request: ReadRequest
  /** This node: never asked over the network. */
  self: string
  /** The chain's proposer, asked first (omit for chains without one, e.g. `shared`). */
  proposer?: string
  /** Holders to ask right after the proposer, before the table's backups (e.g. a holder the caller knows of). */
  via?: string[]
  ask: (peer: string, request: ReadRequest) => Promise<ReadResponse>
  tables: {
    get: (chainId: string) => VerifiedTable | undefined
    adopt: (signed: Uint8Array, chainId?: string) => Promise<{ table: VerifiedTable, adopted: boolean }>
  }
  maxHops?: number
}

const OUTCOME_BY_STATUS: Partial<Record<ReadResponse.Status, PathOutcome>> = {
  [ReadResponse.Status.UNAVAILABLE]: 'unavailable',
  [ReadResponse.Status.INVALID]: 'invalid',
  [ReadResponse.Status.ERROR]: 'error'
}

export async function readWithRedirect (init: RedirectReadInit): Promise<RedirectReadResult> {
  const { request, self, tables } = init
  const chainId = request.chainId
  const maxHops = init.maxHops ?? MAX_HOPS
  const path: PathEntry[] = []
  const asked = new Set<string>([self])
  const queue: string[] = []
  const enqueue = (peers: string[], front = false): void => {
    const fresh = peers.filter(p => !asked.has(p) && !queue.includes(p))
    if (front) queue.unshift(...fresh)
    else queue.push(...fresh)
  }
  if (init.proposer != null) enqueue([init.proposer])
  enqueue(init.via ?? [])
  enqueue(tables.get(chainId)?.table.active ?? [])
  // a holder that is authoritative but lacks the key: kept in case nobody serves
  let notFound: { response: ReadResponse, peer: string } | undefined

  while (queue.length > 0 && path.filter(p => p.outcome !== 'loop').length < maxHops) {
    const peer = queue.shift() as string
    asked.add(peer)
    let res: ReadResponse
    try {
      res = await init.ask(peer, request)
    } catch (err) {
      path.push({ peerId: peer, outcome: 'unreachable', error: (err as Error).message })
      continue
    }
    const entry: PathEntry = { peerId: peer, outcome: 'error', epoch: res.epoch, height: res.height }
    path.push(entry)
    // any answer may carry a newer table: adopt it (verified) and widen the search
    let adopted: VerifiedTable | undefined
    if (res.table.byteLength > 0) {
      try {
        const result = await tables.adopt(res.table, chainId)
        adopted = result.table
      } catch (err) {
        entry.error = `bad table: ${(err as Error).message}`
      }
    }
    switch (res.status) {
      case ReadResponse.Status.OK: {
        const stale = res.role === ReadResponse.Role.STALE
        entry.outcome = stale ? 'stale' : 'served'
        return { response: res, servedBy: peer, height: res.height, epoch: res.epoch, stale, path }
      }
      case ReadResponse.Status.NOT_FOUND:
        entry.outcome = 'not-found'
        if (res.role === ReadResponse.Role.PROPOSER || res.role === ReadResponse.Role.ACTIVE) {
          return { response: res, servedBy: peer, height: res.height, epoch: res.epoch, stale: false, path }
        }
        notFound ??= { response: res, peer }
        break
      case ReadResponse.Status.REDIRECT: {
        entry.outcome = 'redirect'
        const next = (adopted ?? tables.get(chainId))?.table.active ?? []
        const unasked = next.filter(p => !asked.has(p))
        if (unasked.length === 0 && next.length > 0) path.push({ peerId: peer, outcome: 'loop', error: 'redirect points only to holders already asked' })
        enqueue(unasked, true)
        break
      }
      default:
        entry.outcome = OUTCOME_BY_STATUS[res.status] ?? 'error'
        entry.error ??= res.message
    }
    if (adopted != null) enqueue(adopted.table.active)
  }
  if (notFound != null) {
    const { response, peer } = notFound
    return { response, servedBy: peer, height: response.height, epoch: response.epoch, stale: true, path }
  }
  const tried = path.filter(p => p.outcome !== 'loop')
  const who = tried.length === 0 ? 'nobody (no proposer or backups known)' : tried.map(p => `${p.peerId} (${p.outcome}${p.error != null ? `: ${p.error}` : ''})`).join(', ')
  throw new NoHolderReachableError(`no holder of chain ${chainId} could serve the read; tried ${who}`, tried.map(p => ({ peerId: p.peerId, outcome: p.outcome, error: p.error })))
}
