/**
 * Quorum reads (seed 004): ask Nr holders of a chain for a key and return
 * only a value that Nr of them agree on — the newest such value.
 *
 * Writes reach a majority Nw of a chain's holders before they are
 * acknowledged, and Nr + Nw > N (checked at start), so any Nr holders
 * include one that has the newest acknowledged write. A holder that is
 * behind answers an older version; the reader then asks more holders, and
 * asks the ones that disagree again (a lagging holder catches up within a
 * heartbeat or two) and the ones it could not reach (for a few seconds: one
 * may be connecting), until Nr agree on the newest version seen — or gives up
 * with the newest version that Nr do agree on (unless a newer one was seen,
 * below), or QuorumReadError.
 *
 * Versions: a value is identified by the height of the block that wrote it
 * and its bytes; "absent" (never written, or deleted) by the chain height
 * the holder has read up to, so a deletion at height 9 is newer than a value
 * written at 7, and a holder at height 5 that lacks a key written at 7 is
 * just behind.
 *
 * Fewer known holders than Nr is an error, not a smaller quorum: a "quorum"
 * of one holder is a single-holder read, and it would silently lose the
 * guarantee the caller asked for (Nr + Nw > N).
 *
 * A vehicle's write is acknowledged once its booth decided it, even when its
 * replication round was partial: its backups may then be behind, so the
 * premise above holds only for holders that are not. Two guards (a probe's
 * backups, too full to take a new value, agreed on the value it replaced):
 * a holder below the height the chain is known to have reached (`minHeight`:
 * a signed table, this node's copy) is behind, its answer only seconding a
 * version a holder that is not behind shows (alone it is no vote); and an
 * agreed version never stands against a newer one seen at a height its
 * holders have not read up to (every version a holder shows is committed).
 * A block a holder shows is the same at every holder (hash-chained): the
 * guards are for answers of "which value", and "no such block". The second
 * guard needs the newer version to be seen: the vehicle, which holds every
 * write of its chain it acknowledged, is asked first (`first`).
 *
 * A holder's height is its own word: one that claims a height past what the
 * chain is known to have reached made every read fail (a review: one lying
 * backup showed a "newer version" at height 1,000,000 that overrode what the
 * vehicle and an honest backup agreed on). Once the vehicle answered, the
 * chain's height is at most the higher of its height and `minHeight` (a
 * signed table, this node's copy): an answer above that (`ceiling`) is no
 * vote, and no newer version. A holder that took a write after the vehicle
 * answered is left out with it: that write came after the read's answer
 * was read, so the read may return what was before. Without the vehicle's
 * answer (it is away), nothing bounds them (a round's table this node has
 * not heard may name a height past its own).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { bytesEqual } from '../chain/index.ts'
import type { Block } from '../chain/index.ts'
import { QuorumReadError } from './consensus-errors.ts'
import { withinMs } from '../protocols/time-limit.ts'

export type HolderAnswer =
  // a block read compares blocks by hash: `value` is the hash, `block` the block
  | { peer: string, status: 'value', value: Uint8Array, valueHeight: number, height: number, block?: Block }
  | { peer: string, status: 'absent', height: number }
  // `lasting`: asking again soon would get the same (an obsolete backup, a block that does not check out)
  | { peer: string, status: 'unavailable', error: string, notLeader?: boolean, leader?: string, lasting?: boolean }

export interface QuorumReadInit {
  /** Peer ids holding the chain (duplicates are ignored). */
  holders: string[]
  /**
   * A holder always among the first asked, if it is one: a vehicle, of its
   * own chain. It holds every write it acknowledged; its backups may not yet
   * (a write answered before its replication round ended), and Nr of them
   * agreed on the value it had replaced (a probe: 192 of 599 reads).
   */
  first?: string
  /** Nr: how many must agree; fewer known holders fail with TooFewHoldersError. */
  quorum: number
  ask: (peer: string) => Promise<HolderAnswer>
  random?: () => number
  /** Rounds of asking again the holders that disagree. @default 5 */
  maxRounds?: number
  /** Pause between those rounds, ms. @default 100 */
  retryDelay?: number
  /** The chain is known to have reached this height: a holder below it is behind. @default 0 */
  minHeight?: number
  /** What is read, as errors name it. @default 'the key' */
  what?: string
  /**
   * Holders that could not be asked are asked again, after those rounds,
   * until this long after the read began: one may be connecting (a vehicle
   * that just joined knows a booth before it has met every member). Not for
   * answers that are `lasting`. @default 3000
   */
  unavailableWait?: number
  /**
   * The whole read's time limit, ms from its start: an ask still out then
   * counts as unavailable, and the read ends with what it has. Each round
   * asked the holders it could not reach again, and an ask of a holder cut
   * off silently takes the read protocol's 5 s: a partition probe's reads
   * took 14–25 s to fail. @default 8000 (one such ask and unavailableWait)
   */
  deadline?: number
  /** A holder that has not answered after this long gets a spare holder asked beside it, ms. @default 500 */
  hedgeAfter?: number
  /** The clock `unavailableWait` and `deadline` are measured on, ms. @default performance.now */
  now?: () => number
  /** Ends the read with its reason (the node stops): it asks nobody again and waits no more. */
  signal?: AbortSignal
}

export interface QuorumReadResult {
  status: 'value' | 'absent'
  value?: Uint8Array
  /** Height of the block that wrote the value (absent: the highest chain height among those agreeing). */
  height: number
  /** Holders that agreed. */
  agreed: string[]
  /** Every answer, last one per holder. */
  answers: HolderAnswer[]
}

/**
 * Fewer holders are known than Nr. Still named QuorumReadError (503): the
 * API documents that name for every quorum read that cannot be served; the
 * subclass lets callers say why so few are known.
 */
export class TooFewHoldersError extends QuorumReadError {
  readonly holders: string[]
  readonly quorum: number
  constructor (holders: string[], quorum: number, why?: string) {
    const known = holders.length === 0 ? 'no holder of the chain is known here' : `only ${holders.length} holder${holders.length === 1 ? '' : 's'} of the chain ${holders.length === 1 ? 'is' : 'are'} known here (${holders.join(', ')})`
    super(`${known}, fewer than the read quorum Nr = ${quorum}${why != null ? `: ${why}` : ''}`, { holders, quorum })
    this.holders = holders
    this.quorum = quorum
  }
}

/** How long holders that could not be asked are asked again (QuorumReadInit.unavailableWait). */
const UNAVAILABLE_WAIT = 3_000
/** When a silent holder gets a spare asked beside it (QuorumReadInit.hedgeAfter). */
const HEDGE_AFTER = 500
/** A whole quorum read's time limit (QuorumReadInit.deadline). */
const READ_DEADLINE = 8_000
/** What an ask the read's time limit cut short says. */
const OVER_TIME = 'no answer within the read\'s time limit'
/** The longest pause between those later rounds: a holder that connects is asked soon after. */
const MAX_RETRY_DELAY = 500

interface Version {
  answers: Array<Exclude<HolderAnswer, { status: 'unavailable' }>>
  position: number
}

function sameVersion (a: Exclude<HolderAnswer, { status: 'unavailable' }>, b: Exclude<HolderAnswer, { status: 'unavailable' }>): boolean {
  if (a.status === 'absent' || b.status === 'absent') return a.status === b.status
  return a.valueHeight === b.valueHeight && bytesEqual(a.value, b.value)
}

function versions (answers: Iterable<HolderAnswer>, minHeight = 0, ceiling = Infinity): Version[] {
  const groups: Array<Array<Exclude<HolderAnswer, { status: 'unavailable' }>>> = []
  for (const a of answers) {
    if (a.status === 'unavailable' || a.height > ceiling) continue
    const group = groups.find(g => sameVersion(g[0], a))
    if (group == null) groups.push([a])
    else group.push(a)
  }
  const out: Version[] = []
  for (const group of groups) {
    // a holder that is behind only seconds what one that is not shows: alone, it may show what was replaced
    const current = group.filter(a => !isBehind(a, minHeight))
    const votes = current.length > 0 ? group : []
    if (votes.length === 0) continue
    out.push({ answers: votes, position: Math.max(...votes.map(a => a.status === 'value' ? a.valueHeight : a.height)) })
  }
  // newest first; a value beats "absent" at the same height (the block that wrote it is that height)
  return out.sort((x, y) => y.position - x.position || (x.answers[0].status === 'value' ? -1 : 1))
}

/** An answer about a value, or about no such block, from a holder below `minHeight` (a block it shows is the same everywhere). */
function isBehind (answer: Exclude<HolderAnswer, { status: 'unavailable' }>, minHeight: number): boolean {
  return answer.height < minHeight && !(answer.status === 'value' && answer.block != null)
}

/**
 * The highest chain height an answer may claim (see the file's comment): the
 * vehicle's answered height or `minHeight`, the higher; unbounded until the
 * vehicle answered.
 */
function ceilingOf (answers: Map<string, HolderAnswer>, first: string | undefined, minHeight: number): number {
  const own = first == null ? undefined : answers.get(first)
  return own == null || own.status === 'unavailable' ? Infinity : Math.max(own.height, minHeight)
}

/** A newer version was seen at a height some holder of `v` has not read up to: `v` may be one it replaced. */
function superseded (v: Version, all: Version[]): boolean {
  const lowest = Math.min(...v.answers.map(a => a.height))
  return all.some(n => n.position > v.position && n.position > lowest)
}

function result (v: Version, answers: Map<string, HolderAnswer>): QuorumReadResult {
  const a = v.answers[0]
  return {
    status: a.status,
    value: a.status === 'value' ? a.value : undefined,
    height: v.position,
    agreed: v.answers.map(x => x.peer),
    answers: [...answers.values()]
  }
}

export async function quorumRead (init: QuorumReadInit): Promise<QuorumReadResult> {
  const random = init.random ?? Math.random
  const holders = [...new Set(init.holders)]
  // a random order spreads reads over the holders (seed 004: "randomly select NR replicas")
  for (let i = holders.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[holders[i], holders[j]] = [holders[j], holders[i]]
  }
  const at = init.first == null ? -1 : holders.indexOf(init.first)
  if (at > 0) holders.unshift(...holders.splice(at, 1))
  const quorum = Math.max(1, init.quorum)
  if (holders.length < quorum) throw new TooFewHoldersError([...new Set(init.holders)], quorum)
  const answers = new Map<string, HolderAnswer>()
  const minHeight = init.minHeight ?? 0
  const now = init.now ?? (() => performance.now())
  const started = now()
  const waitUntil = started + (init.unavailableWait ?? UNAVAILABLE_WAIT)
  const endsAt = started + (init.deadline ?? READ_DEADLINE)
  const askOne = async (peer: string): Promise<void> => {
    try {
      answers.set(peer, await withinMs(init.ask(peer), endsAt - now(), () => new Error(OVER_TIME)))
    } catch (err) {
      const error = (err as Error).message
      const before = answers.get(peer)
      // the time limit cut short an ask again of a holder that had said why it could not answer: that is
      // what the error should name (a shared-chain holder that could not vouch for its copy showed only
      // "no answer within the read's time limit": a probe, 2026-12-03)
      const said = error === OVER_TIME && before?.status === 'unavailable' && before.error !== OVER_TIME ? `${before.error}; asked again, ${OVER_TIME}` : error
      answers.set(peer, { peer, status: 'unavailable', error: said })
    }
  }
  // the next holder not asked yet (the first Nr are asked at once)
  let next = quorum
  const counted = (): Version[] => versions(answers.values(), minHeight, ceilingOf(answers, init.first, minHeight))
  const quorumAgrees = (): boolean => (counted()[0]?.answers.length ?? 0) >= quorum
  // Asks `peers`; done once all answered, or once Nr agree. A holder silent for
  // hedgeAfter gets a spare asked beside it (one not asked yet): a holder cut
  // off without a word held every read for the read protocol's 5 s (a probe).
  const ask = async (peers: string[]): Promise<void> => {
    if (peers.length === 0) return
    let hedge: ReturnType<typeof setTimeout> | undefined
    await new Promise<void>((resolve) => {
      let left = 0
      const start = (peer: string): void => {
        left++
        void askOne(peer).finally(() => {
          left--
          if (left === 0 || quorumAgrees()) resolve()
        })
      }
      for (const peer of peers) start(peer)
      hedge = setTimeout(() => {
        const silent = peers.filter(p => !answers.has(p)).length
        const spares = holders.slice(next, next + silent)
        next += spares.length
        for (const spare of spares) start(spare)
      }, init.hedgeAfter ?? HEDGE_AFTER)
    })
    clearTimeout(hedge)
  }
  await ask(holders.slice(0, quorum))
  const maxRounds = init.maxRounds ?? 5
  let delay = init.retryDelay ?? 100
  for (let round = 0; ; round++) {
    init.signal?.throwIfAborted()
    const vs = counted()
    const newest = vs[0]
    if (newest != null && newest.answers.length >= quorum) return result(newest, answers)
    const over = now() >= endsAt
    if (next < holders.length && !over) {
      // not enough agreement yet: widen to as many more holders as are missing
      const missing = quorum - (newest?.answers.length ?? 0)
      const more = holders.slice(next, next + missing)
      next += more.length
      await ask(more)
      continue
    }
    const unreachable = [...answers.values()].some(a => a.status === 'unavailable' && a.lasting !== true)
    if (over || (round >= maxRounds && !(unreachable && now() < waitUntil))) {
      const agreed = vs.find(v => v.answers.length >= quorum)
      if (agreed != null && !superseded(agreed, vs)) return result(agreed, answers)
      const label = (a: Exclude<HolderAnswer, { status: 'unavailable' }>): string => a.status === 'value' ? `value@${a.valueHeight}` : `absent@${a.height}`
      const ceiling = ceilingOf(answers, init.first, minHeight)
      const summary = [...answers.values()].map(a => a.status === 'unavailable'
        ? `${a.peer}: unavailable (${a.error})`
        : `${a.peer}: ${label(a)}${isBehind(a, minHeight) ? ` (behind: at height ${a.height} of ${minHeight})` : ''}` +
          (a.height > ceiling ? ` (not counted: claims height ${a.height}, past the chain's ${ceiling})` : ''))
      // Nr agreeing on a version a newer one replaced is no answer either: say so, not that none agreed
      const why = agreed == null
        ? `no version of ${init.what ?? 'the key'} is held by ${quorum} of ${holders.length} holders`
        : `${label(agreed.answers[0])} of ${init.what ?? 'the key'} is held by ${agreed.answers.length} of ${holders.length} holders, but a newer version (${label(vs[0].answers[0])}) was seen, which fewer than ${quorum} hold`
      throw new QuorumReadError(`${why} (${summary.join(', ')})`, { answers: summary, quorum })
    }
    // everyone asked: ask again those not on the newest version (they may be catching up, or connecting)
    await sleep(delay, undefined, init.signal != null ? { signal: init.signal } : {}).catch(() => {})
    init.signal?.throwIfAborted()
    if (round >= maxRounds) delay = Math.min(delay * 2, MAX_RETRY_DELAY)
    const again = holders.filter(p => newest == null || !newest.answers.some(a => a.peer === p))
    await ask(again)
  }
}
