/**
 * What the attempts of one shared-chain write heard, for the error it ends
 * with at its deadline. That error said only what the last attempt heard,
 * often one the deadline itself cut ("cannot reach X … timed out"), which
 * reads as if that leader were the problem and hides the retries before it.
 * Kept bounded: a write retries every LEADER_RETRY_DELAY for as long as its
 * timeout, and its error goes into an HTTP body and logs. It also keeps who
 * may hold the write, which that error names (it said "a shared-chain leader
 * took it" also of a write this node had proposed itself, as the leader).
 */
import { DiskFullError } from '../storage/errors.ts'
import { CommitTimeoutError, ConsensusStoppedError, NoLeaderError, retryAdvice } from './consensus-errors.ts'

/** Characters of one answer kept: the gist (who, and the first words of why), not its retry advice. */
const MAX_SAID = 200
/** A peer id as errors print it (Ed25519 or RSA, base58btc). */
const PEER_ID = /\b(?:12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{38,}\b/g
/** Kinds of answer kept: the first ones (what went wrong first) and the last ones (what it came to). */
const FIRST_KEPT = 2
const LAST_KEPT = 3
/** What became of a write this node's own replica, as the shared chain's leader, handed back (NotProposerError: proposal-pump.ts). */
const HANDED_BACK = '(never proposed, or its slot chose another value)'

/**
 * Who may hold a write that did not come back: a leader it went to whose answer was lost
 * (`leader`), or this node's own proposal, made while it led and not decided when it stopped
 * leading (`self`: the next leader's phase 1 may choose it).
 */
export type Holder = 'leader' | 'self'

interface Heard {
  said: string
  times: number
}

export class WriteAttempts {
  private readonly heard: Heard[] = []
  /** Answers left out between the first and the last kinds kept. */
  private skipped = 0
  private asked = 0
  private readonly leaders = new Set<string>()
  private readonly holders = new Set<Holder>()

  /** `self`: this node's id, the leader its own attempts (made while it led) are tried at. */
  constructor (private readonly self?: string) {}

  /** An attempt at `leader` (our own id when we led) that failed with `err`; `cut`: the write's deadline ended it. */
  tried (leader: string, err: Error, cut = false): void {
    this.asked++
    this.leaders.add(leader)
    this.hear(`${brief(err.message)}${cut ? ' (cut off by the write\'s deadline)' : ''}`)
  }

  /** A pause with no leader to ask, and why (none formed, an election, no majority). */
  waited (why: Error): void {
    this.hear(brief(why.message))
  }

  /** `by` may hold the write (see Holder): it may still commit. */
  mayHold (by: Holder): void {
    this.holders.add(by)
  }

  /** Whether a leader, or this node's own proposal, may hold the write. */
  get held (): boolean {
    return this.holders.size > 0
  }

  /**
   * Where an earlier attempt that may hold the write went, in words that follow "an earlier attempt of this
   * write" (it said "reached a leader" also of one this node had proposed as the leader); undefined when none may.
   */
  earlier (): string | undefined {
    if (!this.holders.has('self')) return this.holders.has('leader') ? 'went to a shared-chain leader' : undefined
    return this.holders.has('leader')
      ? 'was proposed here while this node led the shared chain and went to a leader since'
      : 'was proposed here while this node led the shared chain'
  }

  /** Who may hold the write, in words ("a shared-chain leader took it"); undefined when none may. */
  private whoHolds (): string | undefined {
    if (!this.holders.has('self')) return this.holders.has('leader') ? 'a shared-chain leader took it' : undefined
    return this.holders.has('leader')
      ? 'this node proposed it as the shared chain\'s leader, and a leader it went to since took it'
      : 'this node proposed it as the shared chain\'s leader'
  }

  /** The write's error when this node stopped while it retried (`why`: what the last attempt heard). */
  stopped (why: Error, keyed: boolean): ConsensusStoppedError {
    const where = !this.holders.has('self')
      ? 'with the shared chain\'s leader'
      : this.holders.has('leader')
        ? 'proposed here as the shared chain\'s leader and then with a leader it went to'
        : 'proposed here as the shared chain\'s leader, undecided'
    if (this.held) return new ConsensusStoppedError(`this node stopped while its write was ${where} (${why.message}): it may still commit, whole or not at all ${retryAdvice(keyed)}`, true)
    const before = this.handedBack() ? `after it handed the write back as the shared chain's leader ${HANDED_BACK}, before another leader took it` : 'before a shared-chain leader took the write'
    return new ConsensusStoppedError(`this node stopped ${before} (${why.message}): nothing was written`)
  }

  /**
   * The write's error at its deadline, `timeout` ms after it began, saying what the attempts heard (and
   * `unfollowed`, why a leader named was not asked): CommitTimeoutError when a leader or this node's own
   * proposal may hold it (a probe's write failed so, and had committed), else NoLeaderError, nothing written.
   */
  timedOut (timeout: number, keyed: boolean, unfollowed?: string): CommitTimeoutError | NoLeaderError {
    const tried = `(${this.toString()})${unfollowed != null ? ` (${unfollowed})` : ''}`
    const who = this.whoHolds()
    if (who == null) {
      // this node took it while it led, and handed it back unwritten: "no leader took it" was not so (a helper's reading, 2026-12-03)
      const none = this.handedBack() ? `this node handed it back as the shared chain's leader ${HANDED_BACK} and no other leader took it` : 'no shared-chain leader took it'
      return new NoLeaderError(`the write timed out after ${timeout} ms: ${none}; nothing was written ${tried}`)
    }
    // a leader's answer did not come; our own proposal is not waiting on an answer, it was not decided
    const unanswered = this.holders.has('leader') ? 'no answer came' : 'it was not decided in time'
    return new CommitTimeoutError(`the write timed out after ${timeout} ms: ${who} (this attempt or an earlier one${keyed ? ' with the same key' : ''}) ` +
      `and ${unanswered}: it may still commit, whole or not at all ${retryAdvice(keyed)} ${tried}`)
  }

  /** "N attempts at M leaders: what they heard", each kind of answer once with how often in a row. */
  toString (): string {
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
    const said = this.heard.map(h => h.times > 1 ? `${h.said} (×${h.times})` : h.said)
    if (this.skipped > 0) said.splice(FIRST_KEPT, 0, `… ${plural(this.skipped, 'other answer')} …`)
    const asked = this.asked === 0 ? 'no leader to ask' : `${plural(this.asked, 'attempt')} at ${plural(this.leaders.size, 'leader')}`
    return said.length === 0 ? asked : `${asked}: ${said.join('; ')}`
  }

  /**
   * Whether this node tried the write itself, as the leader, with no holder noted: its own attempts end so only
   * as NotProposerError (appendShared), a write handed back unwritten.
   */
  private handedBack (): boolean {
    return this.self != null && this.leaders.has(this.self)
  }

  private hear (said: string): void {
    const last = this.heard.at(-1)
    if (last?.said === said) {
      last.times++
      return
    }
    this.heard.push({ said, times: 1 })
    if (this.heard.length > FIRST_KEPT + LAST_KEPT) {
      const [dropped] = this.heard.splice(FIRST_KEPT, 1)
      this.skipped += dropped.times
    }
  }
}

/**
 * One answer on one line, shortened. A peer id said again is "it": errors
 * name the proposer twice ("no answer from X, proposer of shared: … with X
 * timed out"), and the second 52 characters cut off why.
 */
function brief (message: string): string {
  const named = new Set<string>()
  const line = message.replace(/\s+/g, ' ').trim().replace(PEER_ID, id => {
    if (named.has(id)) return 'it'
    named.add(id)
    return id
  })
  return line.length <= MAX_SAID ? line : `${line.slice(0, MAX_SAID - 1)}…`
}

/**
 * A write's NoQuorumError ("nothing written") when an earlier attempt of it
 * may still commit (`earlier`: where it went, WriteAttempts.earlier's words):
 * that one is what a retry waits on, so the answer is CommitTimeoutError, as
 * a retry that finds the attempt still in flight gets (a review: a new leader
 * that lost its quorum answered NoQuorumError, and a later leader could still
 * choose the earlier proposal). This node's own replica's failures of no
 * flag (its consensus stopped, or halted on a full disk, before it proposed
 * the retry) keep their kind, flagged: a DiskFullError "the write was not
 * proposed" reached an unkeyed caller with no flag (a helper's reading,
 * 2026-12-03).
 */
export function earlierMayCommit (err: Error, earlier: string | undefined, keyed: boolean): Error {
  if (earlier == null || (err as { mayHaveCommitted?: unknown }).mayHaveCommitted === true) return err
  const mayCommit = `an earlier attempt of this write ${earlier}, and may still commit, whole or not at all ${retryAdvice(keyed)}`
  if (err.name === 'NoQuorumError') return new CommitTimeoutError(`${mayCommit}; this one found no quorum: ${err.message}`)
  if (err instanceof ConsensusStoppedError) return new ConsensusStoppedError(`${err.message}; ${mayCommit}`, true)
  if (err instanceof DiskFullError) return new DiskFullError(`${err.message}; ${mayCommit}`, true)
  return err
}
