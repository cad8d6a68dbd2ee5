/**
 * VGuardDB's reads with redirect: proposer first, then the backups of the
 * newest table, following redirects (protocols/read/redirect.ts); the table
 * lookups they lean on when the proposer does not answer (table-lookup.ts);
 * and when a chain's table counts as current (table news).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { BackupTableStore, VerifiedTable } from '../backup/index.ts'
import { DEFAULT_KEYS_PER_READ, ReadRequest, ReadResponse, checkReadRequest, readRequest, readResponse, readWithRedirect } from '../protocols/read/index.ts'
import type { NoHolderReachableError, PathEntry, RedirectReadResult, ReadService } from '../protocols/read/index.ts'
import { LinkedSignal } from '../protocols/stream.ts'
import { NotStartedError } from '../protocols/errors.ts'
import { checkedBlockAnswer, wholeBlockAnswer } from './block-answer.ts'
import { checkedKeysAnswer } from './keys-answer.ts'
import { NodeStoppedError } from './errors.ts'
import { InvalidReadError } from './consensus-errors.ts'
import { canonicalPeerId, chainIdProblem } from './peer-ids.ts'
import { checkReadKey } from './read-key.ts'
import { checkKeysPage, checkRedirectOptions } from './redirect-input.ts'
import { shownNumber } from './config.ts'
import { setBounded } from './bounded.ts'
import { lookupTable } from './table-lookup.ts'
import type { TableLookupResult } from './table-lookup.ts'

/** Tables from gossip and from reads' answers: adopted without an fsync (see AdoptOptions.durable). */
export const HINT = { durable: false }
/**
 * How long a chain's table counts as current after it was news (shown by its
 * proposer: gossip it published, or its answer to a read; or found by a
 * lookup) or a lookup found nothing newer: a read whose proposer does not
 * answer looks it up again after that (see readWithRedirect's confirm). A
 * node that was away and missed newer tables heard nothing since; one that
 * keeps up hears each booth's.
 */
const TABLE_NEWS_TTL = 10_000
/** Chains whose table news time is kept (bounded like every map peers feed). */
const MAX_TABLE_NEWS = 4_096

/** Which page of a chain's keys a read asks for (KEYS). */
export interface KeysPage {
  /** Only keys that start with it. */
  prefix?: string
  /** Only keys after it: the previous page's last key. */
  after?: string
  /** Keys in the page at most, 1 to 1000. @default 100 */
  limit?: number
  /** With each key's value. @default true */
  values?: boolean
}

export interface ReadOptions {
  signal?: AbortSignal
  /** Holders to ask right after the proposer (before the table's backups). */
  via?: string[]
}

export interface RedirectReadsDeps {
  self: string
  tables: BackupTableStore
  read: Pick<ReadService, 'ask' | 'answer'>
  /** Connected members of the network: whom a lookup asks. */
  members: () => PeerId[]
  random: () => number
  /** start() ran: a read before it would find no holder ("Not started"), as if they were down. */
  started: () => boolean
  /** stop() ran: the stores are closed or closing. */
  stopped: () => boolean
  /** Aborted by stop(): a read's questions in flight end at once. */
  stopSignal: () => AbortSignal
  /** The epoch our own chain is known to have reached when no table of it is held (VGuardDB.ownEpochFloor). */
  ownEpochFloor: () => number | undefined
  /** A newer table a read adopted (backup:table, as for one heard by gossip). */
  onAdopted?: (table: VerifiedTable) => void
}

/**
 * `via` in the usual form of a peer id, once each: holders are told apart by
 * that form (a CID form of a backup was asked twice, and never matched the
 * table's entry for it).
 *
 * @throws InvalidReadError for an entry that is not a peer id
 */
function viaHolders (via: unknown): string[] {
  if (!Array.isArray(via)) throw new InvalidReadError('via: a list of peer ids')
  const ids = via.map((id: unknown) => {
    const canonical = typeof id === 'string' ? canonicalPeerId(id) : undefined
    if (canonical == null) throw new InvalidReadError(`via: not a peer id: ${String(id)}`)
    return canonical
  })
  return [...new Set(ids)]
}

export class RedirectReads {
  private readonly d: RedirectReadsDeps
  /** When each chain's table was last news or confirmed (TABLE_NEWS_TTL). */
  private readonly newsAt = new Map<string, number>()

  constructor (deps: RedirectReadsDeps) {
    this.d = deps
  }

  /** Reads a key of any chain: locally if we hold it, else proposer first, then backups, following redirects. */
  async readKey (chainId: string, key: string, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.readRemote(readRequest({ kind: ReadRequest.Kind.KEY, chainId, key }), options)
  }

  async readBlock (chainId: string, height: number, options: ReadOptions = {}): Promise<RedirectReadResult> {
    return await this.readRemote(readRequest({ kind: ReadRequest.Kind.BLOCK, chainId, height }), options)
  }

  /** Reads a page of a chain's keys (response.entries, response.more) the way readKey reads a key. */
  async readKeys (chainId: string, page: KeysPage = {}, options: ReadOptions = {}): Promise<RedirectReadResult> {
    page = checkKeysPage(page)
    // only false turns values off: any other value, a string 'false' too, asked for them unsaid (a review)
    if (page.values != null && typeof page.values !== 'boolean') throw new InvalidReadError(`values: true or false, got ${JSON.stringify(page.values)}`)
    return await this.readRemote(readRequest({
      kind: ReadRequest.Kind.KEYS,
      chainId,
      prefix: page.prefix ?? '',
      after: page.after ?? '',
      limit: page.limit ?? DEFAULT_KEYS_PER_READ,
      keysOnly: page.values === false
    }), options)
  }

  async readRemote (request: ReadRequest, options: ReadOptions = {}): Promise<RedirectReadResult> {
    // the stores close with the node: a read after that says so, not LevelDB's "Database is not open"
    if (this.d.stopped()) throw new NodeStoppedError('the node was stopped: redirect reads go through a running node')
    if (!this.d.started()) throw new NotStartedError('node is not started: redirect reads go through a running node')
    checkRedirectRead(request)
    options = checkRedirectOptions(options)
    if (options.via != null) options = { ...options, via: viaHolders(options.via) }
    // our own chain (we are its proposer, the first holder any reader asks)
    // and the shared chain (every member applies every block of it): our copy
    if (request.chainId === this.d.self || request.chainId === 'shared') {
      const local = await this.localRead(request)
      if (local != null) return local
    }
    // a stop cuts the read: the holders that fail as connections close are not out of reach
    // (a LinkedSignal, cleared when the read ends: AbortSignal.any would leave an entry on the stop signal per read)
    const linked = new LinkedSignal([options.signal, this.d.stopSignal()])
    const signal = linked.signal
    options = { ...options, signal }
    try {
      const result = await readWithRedirect({
        request,
        signal,
        self: this.d.self,
        proposer: request.chainId === 'shared' ? undefined : request.chainId,
        via: options.via,
        floorEpoch: request.chainId === this.d.self ? this.d.ownEpochFloor() : undefined,
        // a table a holder's answer (a redirect's too) shows is adopted as a hint, news only from the proposer
        // (readWithRedirect calls news then): see adoptShownTable
        tables: { get: (id) => this.d.tables.get(id), adopt: async (signed, id) => await this.adoptHint(signed, id) },
        news: () => { this.noteNews(request.chainId) },
        ask: async (peer, req) => await this.d.read.ask(peerIdFromString(peer), req, options),
        // blocks are checked before they count, against the newest table we hold once the answer's own is adopted:
        // a holder whose blocks do not verify, or whose block at that table's height is not its tip, is an error
        // and a page of keys must be the keys asked for, in order
        check: (req, res, newest) => checkedKeysAnswer(req, checkedBlockAnswer(req, res, newest?.table)),
        // a block whose payload a holder pruned, or a key's value: another holder may still have it
        whole: (req, res) => wholeBlockAnswer(req, res) && res.entries.every(e => !e.pruned),
        lookup: async (asked) => await this.lookupTable(request.chainId, asked, options),
        confirm: async (asked) => await this.confirmTable(request.chainId, asked, options)
      })
      // only stale holders answered: a current copy of our own, as high or higher, is the better answer
      // (at an equal height the stale answer won, and an active backup named an obsolete one as its server: a probe)
      if (result.stale) {
        const local = await this.localRead(request)
        if (local != null && !local.stale && local.height >= result.height) return { ...local, path: [...result.path, ...local.path] }
      }
      return result.servedBy === this.d.self ? result : { ...result, response: ownedBytes(result.response) }
    } catch (err) {
      if (this.d.stopped()) throw new NodeStoppedError(`the node stopped during the read of ${request.chainId}: its holders were not asked to the end (${(err as Error).message})`)
      // nobody else answered: a copy we hold (as a backup, or not yet
      // released) is better than no answer; it says its height and epoch,
      // and is stale if older than the newest table we know
      if ((err as Error).name !== 'NoHolderReachableError') throw err
      const local = await this.localRead(request)
      if (local == null) throw err
      const tried = (err as NoHolderReachableError).tried.map(t => ({ peerId: t.peerId, outcome: t.outcome as PathEntry['outcome'], ...(t.error != null ? { error: t.error } : {}) }))
      return { ...local, path: [...tried, ...local.path] }
    } finally {
      linked.clear()
    }
  }

  /**
   * Asks a few connected members for a chain's newest table and adopts what
   * they show (table-lookup.ts): how a vehicle that joined after the chain's
   * proposer left finds its backups. Our own chain and the shared one have no
   * table to find.
   */
  async lookupTable (chainId: string, exclude: ReadonlySet<string> = new Set(), options: { signal?: AbortSignal, owner?: boolean } = {}): Promise<TableLookupResult> {
    if (chainId === this.d.self || chainId === 'shared') return { path: [], holders: [], shown: [] }
    return await lookupTable({
      chainId,
      peers: this.d.members(),
      // a read asked the chain's owner already; a quorum read that knows too few holders asks it first (owner)
      exclude: new Set([...exclude, ...(options.owner === true ? [] : [chainId]), this.d.self]),
      first: options.owner === true ? [chainId] : [],
      ask: async (peer, req) => await this.d.read.ask(peer, req, options),
      // news, unlike a table one holder shows: a lookup asks several members at once and keeps the newest
      // any shows, the best there is to know now (as confirmTable takes a lookup whose members answered);
      // an old table one of them replays wins only when none of the others knows a newer one
      adopt: async (signed, id) => this.tableNews(await this.adoptHint(signed, id)),
      random: this.d.random
    })
  }

  /**
   * Asks whether a newer table than ours exists for a chain whose proposer
   * did not answer (a lookup, as lookupTable), unless our table was news or
   * confirmed in the last TABLE_NEWS_TTL: a reader away while the chain moved
   * to new backups holds an old table, and a backup of it, away too, still
   * answers as active.
   */
  async confirmTable (chainId: string, asked: ReadonlySet<string>, options: { signal?: AbortSignal } = {}): Promise<TableLookupResult> {
    const news = this.newsAt.get(chainId)
    if (news != null && performance.now() - news < TABLE_NEWS_TTL) return { path: [], holders: [], shown: [] }
    const found = await this.lookupTable(chainId, asked, options)
    // members answered: what they showed is the newest there is for now
    if (found.path.some(p => p.outcome !== 'unreachable' && p.outcome !== 'error')) this.noteNews(chainId)
    return found
  }

  /**
   * Adopts a table the answer of holder `from` carried (a hint, verified; one
   * that does not verify is ignored). True when it was newer than ours. It
   * is news only from the chain's proposer, which knows its newest table.
   * Another holder's table, newer than ours or not, proves it was current
   * once, not now: a backup that was away shows the old table it kept, and
   * any member can replay an old signed one. Taken for news, a reader that
   * held none (or an older one) skipped the lookup and served that backup's
   * old value as fresh (a review).
   */
  async adoptShownTable (chainId: string, signed: Uint8Array, from: string): Promise<boolean> {
    if (chainId === this.d.self || chainId === 'shared' || signed.byteLength === 0) return false
    try {
      const { adopted } = await this.adoptHint(signed, chainId)
      if (from === chainId) this.noteNews(chainId)
      return adopted
    } catch {
      return false
    }
  }

  /**
   * Adopts a table a read was shown, as a hint; a newer one is told as gossip's are: a table a
   * read, a lookup or a redirect brought was kept unsaid and uncounted (a probe, 2026-12-03).
   */
  private async adoptHint (signed: Uint8Array, chainId?: string): ReturnType<BackupTableStore['adopt']> {
    const result = await this.d.tables.adopt(signed, chainId, HINT)
    if (result.adopted) this.d.onAdopted?.(result.table)
    return result
  }

  /** Notes an adoption that was news (a newer table), passing the result on. */
  private tableNews <T extends { table: VerifiedTable, adopted: boolean }>(result: T): T {
    if (result.adopted) this.noteNews(result.table.table.chainId)
    return result
  }

  /** A chain's table was news (a newer one adopted, e.g. by gossip): it counts as current for TABLE_NEWS_TTL. */
  noteNews (chainId: string): void {
    setBounded(this.newsAt, chainId, performance.now(), MAX_TABLE_NEWS)
  }

  /** This node's own copy as a read result, if it holds the chain. */
  private async localRead (request: ReadRequest): Promise<RedirectReadResult | undefined> {
    const local = await this.d.read.answer(request, { ownCopy: true })
    if (local.status !== ReadResponse.Status.OK && local.status !== ReadResponse.Status.NOT_FOUND) return undefined
    const response = readResponse(local)
    const table = this.d.tables.get(request.chainId)?.table
    const behind = table != null && response.height < table.height
    // a page of keys speaks for the chain only from an active backup (redirect.ts): it says the keys it omits are absent
    const incomplete = request.kind === ReadRequest.Kind.KEYS && table?.active.includes(this.d.self) !== true
    const stale = request.chainId !== this.d.self && request.chainId !== 'shared' && (behind || incomplete)
    const outcome = stale ? 'stale' : local.status === ReadResponse.Status.OK ? 'served' : 'not-found'
    return { response, servedBy: this.d.self, height: response.height, epoch: response.epoch, stale, path: [{ peerId: this.d.self, outcome, height: response.height, epoch: response.epoch }] }
  }
}

/**
 * Another node's answer with bytes of its own: decoded, each bytes field is a
 * Buffer view into the whole answer frame, and a small value kept from a page
 * of keys kept the page alive (a probe, 2026-12-03; node.get's copies too).
 */
function ownedBytes (response: ReadResponse): ReadResponse {
  const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)
  return {
    ...response,
    value: own(response.value),
    blocks: response.blocks.map(own),
    table: own(response.table),
    tipHash: own(response.tipHash),
    entries: response.entries.map(e => ({ ...e, value: own(e.value) }))
  }
}

/** A redirect read that makes no sense, from a JavaScript caller: InvalidReadError, before anyone is asked. */
function checkRedirectRead (request: ReadRequest): void {
  const problem = chainIdProblem(request.chainId)
  if (problem != null) throw new InvalidReadError(problem)
  if (request.kind === ReadRequest.Kind.KEY) checkReadKey(request.key)
  if (request.kind === ReadRequest.Kind.BLOCK && (!Number.isSafeInteger(request.height) || request.height < 1)) {
    throw new InvalidReadError(`a block height is an integer ≥ 1, got ${shownNumber(request.height)}`)
  }
  // the rest as every holder checks it: each would refuse it (and each was asked, and called unreachable: a review)
  const bad = checkReadRequest(request)
  if (bad != null) throw new InvalidReadError(bad)
}
