/**
 * Read with redirect (VGuardDB's third phase), as a pure procedure over an
 * `ask` function so it can be tested without sockets.
 *
 * The reader asks the chain's proposer first, then the active backups of the
 * newest table it knows. An active backup (or the proposer) serves; a
 * released backup answers REDIRECT with its newer signed table, which the
 * reader verifies, adopts if newer, and follows. Each holder is asked at most
 * once (loops are detected) and at most `maxHops` answers are followed
 * (holders out of reach are not counted: they are finitely many).
 *
 * An answer is stale (outcome "stale") when the holder says so (an obsolete
 * backup not yet released) or when it is behind the newest table the reader
 * holds: an older epoch, or a height below the table's. The holder's role
 * comes from its own table, which may be old: a backup that was down while
 * the chain moved to new backups still believes it is active. A stale answer
 * does not end the read: the reader keeps looking for a holder that is up to
 * date and returns the freshest stale answer (flagged) only if none is
 * reachable. When the proposer did not show its table and no lookup ran,
 * one table lookup confirms the reader's table before an answer judged
 * against it is called fresh: a newer table another holder showed is
 * adopted and followed, but is no proof that it is the newest (it may be an
 * old one the holder kept, or replayed).
 *
 * What a holder reports is checked against the tables the reader verified
 * before it counts: a holder may lie. An epoch above every table the reader
 * verified (an honest holder carries the table its epoch comes from) is made
 * up, and so is a tip at the newest table's height that is not the tip the
 * table names (or the holder's chain forked away from the proposer's): the
 * answer is `invalid`, never served nor kept. Its content (e.g. blocks) is
 * checked by the caller's `check`, against the same table.
 *
 * An up-to-date answer that lacks part of what was asked (`whole`: a block
 * whose payload the holder pruned) does not end the read either: another
 * holder may have it all. It is returned (outcome "pruned") only if none does,
 * before any stale answer. A page of keys (KEYS) is served only by the
 * proposer or an active backup of the newest table, as an absence is: any
 * other holder's is kept as a stale answer.
 */
import { bytesEqual } from '../../chain/index.ts'
import type { VerifiedTable } from '../../backup/index.ts'
import { ReadRequest, ReadResponse } from './pb/read.ts'
import { MAX_HOPS, MAX_LOOKUP_ROUNDS, READ_TIMEOUT } from './constants.ts'
import { NoHolderReachableError } from './errors.ts'
import { valueHeightProblem } from './messages.ts'

/** How a peer answered; `holder` only in a table lookup: it holds a copy but knows no table (asked for the data next). */
export type PathOutcome = 'served' | 'stale' | 'pruned' | 'redirect' | 'holder' | 'not-found' | 'unreachable' | 'unavailable' | 'invalid' | 'refused' | 'error' | 'loop'

export interface PathEntry {
  peerId: string
  outcome: PathOutcome
  /** The epoch and height the holder reported. */
  epoch?: number
  height?: number
  error?: string
}

/**
 * A holder whose ask threw: an answer that arrived and does not decode is the
 * holder's error; one that never came or was cut short (it went away) is a
 * holder out of reach.
 */
export function failedAsk (peerId: string, err: Error): PathEntry {
  return { peerId, outcome: err.name === 'MalformedMessageError' ? 'error' : 'unreachable', error: err.message }
}

export interface RedirectReadResult {
  /** The answer that ended the read (status OK or NOT_FOUND). */
  response: ReadResponse
  servedBy: string
  height: number
  epoch: number
  /**
   * True when no up-to-date holder could answer and this answer is behind:
   * from an obsolete backup not yet released, or older (epoch or height) than
   * the newest table the reader holds.
   */
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
    /** `table`: the one held after (the newest); `shown`: the one given, verified (older than the one held, perhaps). */
    adopt: (signed: Uint8Array, chainId?: string) => Promise<{ table: VerifiedTable, adopted: boolean, shown: VerifiedTable }>
  }
  maxHops?: number
  /**
   * Called when every holder known has been asked without an up-to-date
   * answer: finds newer tables (e.g. from neighbours that heard the gossip)
   * among peers not in the set it is given, and adopts them through `tables`;
   * their active backups are asked next, then the `holders` it found (peers
   * that hold a copy whatever their role). Called again, with the peers it
   * asked added to the set, while that still leaves nobody to ask, up to
   * MAX_LOOKUP_ROUNDS times or until it asks nobody. The `path` entries it
   * returns join the path; they are a lookup, not hops.
   */
  lookup?: (asked: ReadonlySet<string>) => Promise<LookupResult>
  /**
   * Called once, when the proposer did not show its table and no lookup
   * ran, before an answer judged against the reader's table is called
   * fresh (also when another holder showed a newer table: only the
   * proposer's proves itself current): looks newer tables up as `lookup`
   * does (its path entries join the path before that answer), or answers
   * nothing when the reader's table was news or confirmed a moment ago.
   */
  confirm?: (asked: ReadonlySet<string>) => Promise<LookupResult>
  /**
   * Called when the proposer itself showed its table (adopted through
   * `tables`): the table the reader holds is the chain's newest for now.
   */
  news?: () => void
  /**
   * An epoch the chain is known to have reached although the reader holds
   * no table of it (a vehicle that lost its database reading its own chain:
   * own-chain.json keeps the epoch it had reached). An answer from an older
   * epoch is behind, whatever role the holder claims. @default 0
   */
  floorEpoch?: number
  /** ms after which no further holder is asked (the read ends with what it has). @default READ_TIMEOUT */
  timeout?: number
  /** Aborted, the read stops asking at once and throws its reason (the reader is stopping: holders that fail then are not out of reach). */
  signal?: AbortSignal
  /**
   * Checks what an answer holds (e.g. its blocks, src/node/block-answer.ts)
   * against `newest`, the newest table the reader holds once it adopted the
   * one the answer carries; an answer that does not check out comes back
   * with status ERROR and a message saying why, and the read goes on. Called
   * again whenever the reader came to hold a newer table before the answer
   * counts (one a lookup found, or a later holder showed).
   */
  check?: (request: ReadRequest, response: ReadResponse, newest: VerifiedTable | undefined) => ReadResponse
  /**
   * Whether an answer that checked out carries all that was asked (e.g. a
   * block whose payload retention pruned does not). One that does not is
   * kept (outcome "pruned") and the read looks on for a holder with all of
   * it; it is returned only if none answers so. @default every answer is whole
   */
  whole?: (request: ReadRequest, response: ReadResponse) => boolean
}

/** What a table lookup found: one path entry per peer asked, and the peers that hold a copy. */
export interface LookupResult {
  path: PathEntry[]
  /** Peers that hold a copy of the chain (they answered its tip), table or not. */
  holders: string[]
}

const OUTCOME_BY_STATUS: Partial<Record<ReadResponse.Status, PathOutcome>> = {
  [ReadResponse.Status.UNAVAILABLE]: 'unavailable',
  [ReadResponse.Status.INVALID]: 'invalid',
  [ReadResponse.Status.FORBIDDEN]: 'refused',
  [ReadResponse.Status.ERROR]: 'error'
}

/** Why an answer is behind the newest table the reader holds (or the epoch it knows the chain reached), if it is. */
function behind (res: ReadResponse, newest: VerifiedTable | undefined, floorEpoch = 0): string | undefined {
  if (res.role === ReadResponse.Role.STALE) return 'obsolete backup, not released yet'
  if (res.epoch < floorEpoch && (newest == null || newest.table.epoch < floorEpoch)) return `behind the epoch the chain is known to have reached: ${res.epoch} < ${floorEpoch}`
  if (newest == null) return undefined
  const { epoch, height } = newest.table
  if (res.epoch < epoch) return `behind the newest table: epoch ${res.epoch} < ${epoch}`
  if (res.height < height) return `behind the newest table: height ${res.height} < ${height}`
  return undefined
}

/**
 * Why what a holder reports cannot be backed by the tables the reader
 * verified, if it cannot: `newest` is the newest one the reader holds and
 * `shown` what the table the answer carries came to when adopted.
 */
function unbacked (res: ReadResponse, newest: VerifiedTable | undefined, shown: VerifiedTable | undefined): string | undefined {
  // an honest holder reports the epoch of the table it carries (read.ts), which the reader adopted
  const backed = Math.max(newest?.table.epoch ?? 0, shown?.table.epoch ?? 0)
  if (res.epoch > backed) {
    return `epoch ${res.epoch} claimed without its signed table (the reader's newest is ${backed === 0 ? 'none' : `epoch ${backed}`})`
  }
  // a table signed before the chain's first block vouches for no tip
  if (newest == null || newest.table.height === 0 || res.height !== newest.table.height) return undefined
  if (!bytesEqual(res.tipHash, newest.table.tipHash)) {
    return `tip at height ${res.height} is not the one the signed table of epoch ${newest.table.epoch} names: an answer from another chain`
  }
  return undefined
}

/**
 * Whether a NOT_FOUND from `peer` speaks for the chain: the role a holder
 * reports is its own word, so it counts only from the proposer itself or
 * from a backup that the newest table the reader holds names active.
 */
function speaksFor (res: ReadResponse, peer: string, chainId: string, newest: VerifiedTable | undefined): boolean {
  if (res.role === ReadResponse.Role.PROPOSER) return peer === chainId
  if (res.role === ReadResponse.Role.ACTIVE) return newest?.table.active.includes(peer) === true
  return false
}

/** Between two answers that are behind, the one from the newer epoch, then the higher chain; a value beats its absence. */
function fresher (a: ReadResponse, b: ReadResponse): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch
  if (a.height !== b.height) return a.height > b.height
  return a.status === ReadResponse.Status.OK && b.status !== ReadResponse.Status.OK
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
  // answers that are behind (a value, or a non-authoritative absence), with the table each was checked against:
  // the freshest is returned if nobody up to date answers
  const kept: Array<{ response: ReadResponse, entry: PathEntry, checked: VerifiedTable | undefined }> = []
  const keep = (response: ReadResponse, entry: PathEntry): void => { kept.push({ response, entry, checked: tables.get(chainId) }) }
  // the first up-to-date answer that lacks part of what was asked (a pruned payload): returned if no holder has it all
  let partial: { response: ReadResponse, entry: PathEntry } | undefined

  let lookupRounds = 0
  const lookups = new Set<PathEntry>()
  const lookedUp = new Set<string>()
  /** Looks up newer tables and more holders among members not asked yet; false when it asked nobody. */
  const lookupRound = async (lookup: NonNullable<RedirectReadInit['lookup']>): Promise<boolean> => {
    // each round asks members no earlier round asked
    const found = await lookup(new Set([...asked, ...lookedUp]))
    if (found.path.length === 0) return false
    lookupRounds++
    for (const entry of found.path) {
      lookups.add(entry)
      lookedUp.add(entry.peerId)
      // one that showed a table or holds a copy may still have to be asked for the data
      if (entry.outcome !== 'redirect' && !found.holders.includes(entry.peerId)) asked.add(entry.peerId)
    }
    path.push(...found.path)
    enqueue(tables.get(chainId)?.table.active ?? [])
    // then any member that holds a copy, backup of the newest table or not:
    // when the proposer and those backups are gone, an obsolete backup it
    // never released is the last copy (its answer is judged like any other)
    enqueue(found.holders)
    return true
  }
  // The proposer always knows the chain's newest table. When it did not
  // answer, the one the reader holds may be old (it was away while the chain
  // moved to new backups), and a backup of that table, away too, still
  // believes it is active and answers as such; a table a holder shows may be
  // as old (see where answers' tables are adopted). So before such an answer
  // is called fresh, one lookup among members asks whether a newer table exists.
  let confirmed = init.proposer == null || init.confirm == null
  /** Why the answer `entry` records is behind the newest table, looking that table up first if nothing confirmed ours. */
  const lagOf = async (res: ReadResponse, entry: PathEntry): Promise<string | undefined> => {
    const lag = behind(res, tables.get(chainId), init.floorEpoch)
    if (lag != null || confirmed || init.confirm == null || lookupRounds >= MAX_LOOKUP_ROUNDS) return lag
    confirmed = true
    if (await lookupRound(init.confirm)) {
      // the path in the order things happened: the lookup, then the answer judged after it
      path.splice(path.indexOf(entry), 1)
      path.push(entry)
    }
    return behind(res, tables.get(chainId), init.floorEpoch)
  }
  /**
   * Whether the answer `entry` records fails against `newest`, the newest
   * table the reader holds (its content, then what the holder reports);
   * `entry` then says how.
   */
  const fails = (res: ReadResponse, entry: PathEntry, newest: VerifiedTable | undefined, shown: VerifiedTable | undefined): boolean => {
    const checked = init.check?.(request, res, newest) ?? res
    if (checked.status !== res.status) {
      entry.outcome = OUTCOME_BY_STATUS[checked.status] ?? 'error'
      entry.error = checked.message
      return true
    }
    const why = unbacked(res, newest, shown) ?? (request.kind === ReadRequest.Kind.KEY && res.status === ReadResponse.Status.OK ? valueHeightProblem(res) : undefined)
    if (why == null) return false
    entry.outcome = 'invalid'
    entry.error = why
    return true
  }
  // holders that answered: one out of reach is no hop (each is named by the caller, a signed table or a
  // lookup, so there are finitely many), else a live backup behind k - 1 departed ones is never asked
  const hops = (): number => path.filter(p => p.outcome !== 'loop' && p.outcome !== 'unreachable' && !lookups.has(p)).length
  // holders out of reach are asked one after another, each up to its timeout: the read as a whole stops asking at this
  const deadline = performance.now() + (init.timeout ?? READ_TIMEOUT)
  while (hops() < maxHops && performance.now() < deadline) {
    init.signal?.throwIfAborted()
    if (queue.length === 0) {
      if (init.lookup == null || lookupRounds >= MAX_LOOKUP_ROUNDS) break
      if (!await lookupRound(init.lookup)) break
      confirmed = true
      continue
    }
    const peer = queue.shift() as string
    asked.add(peer)
    let res: ReadResponse
    try {
      res = await init.ask(peer, request)
    } catch (err) {
      init.signal?.throwIfAborted()
      // our own request is too large: every holder would refuse it alike, so no other is tried
      if ((err as Error).name === 'RequestTooLargeError') throw err
      path.push(failedAsk(peer, err as Error))
      continue
    }
    const entry: PathEntry = { peerId: peer, outcome: 'error', epoch: res.epoch, height: res.height }
    path.push(entry)
    // any answer may carry a newer table: adopt it (verified) and widen the search
    let adopted: VerifiedTable | undefined
    /** The table the answer carried, verified (adopted is the newest held once it was taken in). */
    let shownEpoch: number | undefined
    if (res.table.byteLength > 0) {
      try {
        const taken = await tables.adopt(res.table, chainId)
        adopted = taken.table
        shownEpoch = taken.shown.table.epoch
        // What the proposer shows is the chain's newest table (one that carries none, e.g. lost its chain,
        // confirms nothing). Another holder's table, newer than ours or not, is only a hint: it proves the
        // table was current once, not now. A backup that was away shows the old table it holds, a released
        // one the table it was released under (the chain may have moved on since), and any member can
        // replay an old signed table; taking it as confirmed served an old value as fresh (a review).
        if (peer === init.proposer) {
          confirmed = true
          init.news?.()
        }
      } catch (err) {
        entry.error = `bad table: ${(err as Error).message}`
      }
    }
    switch (res.status) {
      case ReadResponse.Status.OK: {
        // judged against the newest table we hold now, including one this answer just showed us
        const known = tables.get(chainId)
        if (fails(res, entry, known, adopted)) break
        const lag = await lagOf(res, entry)
        // a lookup before calling it fresh may have shown a newer table: the answer must hold against that one too
        if (tables.get(chainId) !== known && fails(res, entry, tables.get(chainId), adopted)) break
        // a page of keys counts only from a holder that speaks for the chain, as an absence does: a page says
        // that no key it does not list is there, and another holder's word on that is only its word
        if (lag == null && request.kind === ReadRequest.Kind.KEYS && !speaksFor(res, peer, chainId, tables.get(chainId))) {
          entry.outcome = 'stale'
          entry.error = 'neither the proposer nor an active backup of the newest table: its keys may be incomplete'
          keep(res, entry)
          break
        }
        if (lag == null && init.whole?.(request, res) === false) {
          entry.outcome = 'pruned'
          entry.error = 'payload pruned here (retention): another holder may have it'
          partial ??= { response: res, entry }
          break
        }
        if (lag == null) {
          entry.outcome = 'served'
          return { response: res, servedBy: peer, height: res.height, epoch: res.epoch, stale: false, path }
        }
        entry.outcome = 'stale'
        entry.error ??= lag
        keep(res, entry)
        break
      }
      case ReadResponse.Status.NOT_FOUND: {
        const known = tables.get(chainId)
        // an absence with a made-up epoch or tip is no absence (nor a fallback)
        if (fails(res, entry, known, adopted)) break
        entry.outcome = 'not-found'
        const authority = speaksFor(res, peer, chainId, known)
        const lag = authority ? await lagOf(res, entry) : behind(res, tables.get(chainId), init.floorEpoch)
        if (tables.get(chainId) !== known && fails(res, entry, tables.get(chainId), adopted)) break
        if (lag == null && authority) {
          return { response: res, servedBy: peer, height: res.height, epoch: res.epoch, stale: false, path }
        }
        if (lag != null) entry.error ??= lag
        keep(res, entry)
        break
      }
      case ReadResponse.Status.REDIRECT: {
        entry.outcome = 'redirect'
        // A released backup's forward pointer: the table the proposer released it with. When it is the
        // newest the reader holds (newer than its own, or the same), within this read it stands in for the
        // proposer's word, as the paper's read goes (figure 1: E redirects to B, which serves): a lookup on
        // every redirect would ask up to 8 more members per read. It is no news for later reads, and a
        // backup of that table released since redirects again. One that shows an older table than the reader's
        // vouches for nothing the reader holds (a replay, or a pointer kept from long ago): a lookup still runs.
        if (shownEpoch != null && tables.get(chainId)?.table.epoch === shownEpoch) confirmed = true
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
  init.signal?.throwIfAborted()
  // a holder asked later may have shown a newer table: what is returned must hold against it too
  const newest = tables.get(chainId)
  if (partial != null && !fails(partial.response, partial.entry, newest, undefined)) {
    const { response, entry } = partial
    return { response, servedBy: entry.peerId, height: response.height, epoch: response.epoch, stale: behind(response, newest, init.floorEpoch) != null, path }
  }
  const backed = kept.filter(k => k.checked === newest || !fails(k.response, k.entry, newest, undefined))
  const fallback = backed.reduce<typeof kept[number] | undefined>((best, k) => best == null || fresher(k.response, best.response) ? k : best, undefined)
  if (fallback != null) {
    const { response, entry } = fallback
    return { response, servedBy: entry.peerId, height: response.height, epoch: response.epoch, stale: true, path }
  }
  const tried = path.filter(p => p.outcome !== 'loop')
  const who = tried.length === 0 ? 'nobody (no proposer or backups known)' : tried.map(p => `${p.peerId} (${p.outcome}${p.error != null ? `: ${p.error}` : ''})`).join(', ')
  throw new NoHolderReachableError(`no holder of chain ${chainId} could serve the read; tried ${who}`, tried.map(p => ({ peerId: p.peerId, outcome: p.outcome, error: p.error })))
}
