/**
 * Replication rounds of our own chain that no commit carries (VGuardDB runs
 * them; docs/architecture.md, "Made up without a write"):
 *
 * - the transfers a previous run noted and never settled (it crashed
 *   mid-round): without a round, their copies waited for our next commit,
 *   for good if we never wrote again, and reconcile grew a partial one into
 *   the whole chain meanwhile (a crash probe);
 * - a last round short of k fresh backups, or a backup it made that has
 *   been away for backupAwayMs (BackupShortfall): a vehicle that stopped
 *   writing kept its chain on fewer than k up-to-date copies, on none but
 *   its own once all of its backups had driven off.
 *
 * One try when a member connects, retries with backoff (BackoffTask) until
 * no round is needed.
 */
import type { Logger } from '@libp2p/interface'
import type { BackupTable } from '../backup/index.ts'
import { BackoffTask } from './backoff-task.ts'
import { BackupShortfall } from './backup-shortfall.ts'
import type { RoundSummary } from './backup-shortfall.ts'

/** How long a try waits for the vehicles transfer notes name, and k members, to connect before it runs its round without them. */
const SETTLE_NOTED_WAIT = 10_000
/** How long a backup of our chain may stay away before a round without a write replaces it (IdleRoundsDeps.backupAwayMs). */
export const DEFAULT_BACKUP_AWAY_MS = 60_000

export interface IdleRoundsDeps {
  kBackups: number
  /** How long (ms) a backup may stay disconnected before it is taken for gone; 0: never (replaced by our writes' rounds only). @default DEFAULT_BACKUP_AWAY_MS */
  backupAwayMs?: number
  log: Logger
  /** The newest table of our own chain. */
  ownTable: () => BackupTable | undefined
  /**
   * The backups the round that signed our newest table brought to its tip;
   * undefined when not known here (a table adopted from a member, or signed
   * by an earlier version). A table also names the older copies a round
   * short of k kept, so its active list alone overstates what is fresh.
   */
  ownFresh: () => string[] | undefined
  /** The height of our own chain's tip in our store. */
  ownTipHeight: () => Promise<number>
  /** The connected members of our network. */
  members: () => string[]
  isConnected: (peer: string) => boolean
  /** Vehicles a transfer of our chain was noted for that no round settled (a crash cut it short), or whose partial copy the last round left to resume. */
  interrupted: () => string[]
  /** A member answered this run's lookup of our chain's newest table. */
  looked: () => boolean
  /** The lookup a first round makes (newer tables adopted, older ones of ours noted). */
  lookUp: () => Promise<void>
  /** A table of ours our chain conflicts with, if any (VGuardDB.ownTableConflict). */
  conflict: () => Promise<Error | undefined>
  /** Why our chain does not hold what we voted for yet, if it does not. */
  behind: () => Promise<string | undefined>
  /** The members a round could take as backups: with room for our chain as far as they advertise (a backup our table names needs room only for what it lacks). */
  eligible: (members: string[]) => Promise<Set<string>>
  /**
   * The members the next write's round would offer our chain to (its next
   * booth), if known: a round without a write offers it to them first. Taken
   * from all members instead, a backup the next write's round passes over
   * (it is not in that booth) is replaced at once, and the whole chain sent twice.
   */
  preferred?: () => string[]
  /** Runs the round with these participants (VGuardDB.afterCommit, idle). */
  round: (participants: string[]) => Promise<RoundSummary & { epoch: number, active: string[], obsolete: string[] }>
}

/** Our own chain's backups as this run knows them (VGuardNode's /status shows it on the chain's row). */
export interface OwnReplicationStatus {
  /** How many up-to-date copies a round is to make (--k-backups). */
  k: number
  /** Backups the last round brought up to our chain's tip, less those taken for gone since (a restarted vehicle: those its newest table names). */
  fresh: string[]
  /** Fewer than k are fresh: a round without a write makes it up once a connected member could do better. */
  shortOfK: boolean
  /** Backups of our chain disconnected now, and in how long each is taken for gone and replaced (--backup-away after it left; null: never, --backup-away 0). */
  away: Array<{ peerId: string, goneInMs: number | null }>
  /** Members whose transfer of our chain failed lately: not counted on again until then (or until they reconnect). */
  paused: Array<{ peerId: string, retryInMs: number }>
}

export class IdleRounds {
  private readonly task: BackoffTask
  /** Whom our chain's last round left fresh, whether it is short of k, and who failed lately. */
  private readonly shortfall = new BackupShortfall()
  /**
   * Backups of our chain that are away, since when (performance.now()): when
   * each has been away backupAwayMs, it is taken for gone (its timer ends, and
   * it stays listed while the table names it: no round may have replaced it).
   */
  private readonly away = new Map<string, { timer?: ReturnType<typeof setTimeout>, since: number }>()
  /** When start() ran (performance.now()): a try for noted transfers waits a while for k members to connect. */
  private startedAt = 0
  private running = false
  /** How long a backup may stay away before it is taken for gone (0: never). */
  private readonly awayMs: number
  /**
   * The transfer notes are the previous run's (a crash cut its round short):
   * until a round of this run settles them, they alone call for a round. The
   * notes a round of this run leaves are partial copies of failed candidates,
   * tried again as any failed candidate is (after its pause): taken for crash
   * leftovers, they made a round, an epoch and a doubled pause every few
   * seconds for as long as the candidate kept failing (a review).
   */
  private notesCarried = true

  constructor (private readonly d: IdleRoundsDeps) {
    this.awayMs = d.backupAwayMs ?? DEFAULT_BACKUP_AWAY_MS
    this.task = new BackoffTask({ attempt: async () => await this.attempt(), what: 'a round of our chain without a write', log: d.log })
  }

  /** The node starts: nothing runs before resume(). */
  start (): void {
    this.startedAt = performance.now()
    this.running = true
  }

  /**
   * Starts the rounds the previous run left: its noted transfers, and a
   * table of ours short of k fresh backups; its backups that do not come
   * back within backupAwayMs are taken for gone. Called once consensus runs,
   * so our chain replayed what it decided first (a review).
   */
  async resume (): Promise<void> {
    if (!this.running) return
    const own = this.d.ownTable()
    const tip = await this.d.ownTipHeight()
    if (!this.running) return
    if (own != null) {
      // None is fresh when the table's round refreshed none (it says what its backups hold below its tip), or
      // when we committed past what it names (its round never signed a table: a crash, a stop). Else those its
      // round refreshed, which a table does not tell from the older copies a round short of k kept: unknown, none
      const fresh = own.heldHeight != null || tip > own.height ? [] : (this.d.ownFresh() ?? [])
      this.shortfall.assumeFromTable(fresh, fresh.length < this.d.kBackups)
      // all it names, for /status: one not fresh is no shortfall more when it stays away (backupGone)
      for (const peer of own.active) if (!this.d.isConnected(peer)) this.watchAway(peer)
    } else if (this.d.kBackups > 0 && tip > 0) {
      // blocks and no table: the round of our first commit never signed one (a crash, a stop), and no backup
      // may hold any of it; with no write after, it stayed on this vehicle alone (a review)
      this.shortfall.assumeFromTable([], true)
    }
    if (this.needed()) this.task.start()
  }

  /** No more tries; resolves once the one under way, if any, has ended. */
  async stop (): Promise<void> {
    this.running = false
    for (const { timer } of this.away.values()) clearTimeout(timer)
    this.away.clear()
    await this.task.stop()
  }

  peerConnected (peer: string): void {
    clearTimeout(this.away.get(peer)?.timer)
    this.away.delete(peer)
    this.shortfall.peerConnected(peer)
    this.task.poke()
  }

  /**
   * A backup of our chain that stays away is replaced without waiting for a
   * write. A short absence (a restart) is no reason to move the chain.
   */
  peerDisconnected (peer: string): void {
    if (this.running && this.d.ownTable()?.active.includes(peer) === true) this.watchAway(peer)
  }

  /** What a round of our chain came to: one short of k is made up once a member could do better. */
  noteRound (round: RoundSummary): void {
    this.notesCarried = false
    this.shortfall.noteRound(round)
    if (!round.complete && this.running) this.task.ensure()
  }

  /**
   * How our chain stands with its backups, as far as this run knows: an
   * operator sees a chain short of k, who is away, and who failed lately,
   * without waiting for the log (/status, the metrics).
   */
  status (): OwnReplicationStatus {
    const { short, fresh, paused } = this.shortfall.view()
    const at = performance.now()
    // one a write's round has replaced since is no backup away any more (with backupAwayMs 0 it stays here until it returns)
    const named = this.d.ownTable()?.active ?? []
    const away = [...this.away]
      .filter(([peerId]) => named.includes(peerId))
      .map(([peerId, { since }]) => ({ peerId, goneInMs: this.awayMs === 0 ? null : Math.max(0, Math.ceil(since + this.awayMs - at)) }))
    return { k: this.d.kBackups, fresh, shortOfK: short, away, paused }
  }

  private watchAway (peer: string): void {
    clearTimeout(this.away.get(peer)?.timer)
    // those no timer watches any more (taken for gone, or never with 0) stay only while the table names them
    const named = this.d.ownTable()?.active ?? []
    for (const [p, { timer }] of this.away) if (timer == null && !named.includes(p)) this.away.delete(p)
    // 0: an absence replaces no backup; it is only shown (status), as long as the table names it
    if (this.awayMs === 0) {
      this.away.set(peer, { since: performance.now() })
      return
    }
    const since = performance.now()
    const timer = setTimeout(() => {
      if (!this.running) return
      if (this.d.isConnected(peer)) {
        this.away.delete(peer)
        return
      }
      // still shown away (gone in 0) until it returns or a round replaces it: it had vanished from /status while the table named it (a review)
      this.away.set(peer, { since })
      if (!this.shortfall.backupGone(peer)) return
      this.d.log('backup %s of our chain has been away %d ms: a round without a write replaces it', peer, this.awayMs)
      this.task.ensure()
    }, this.awayMs)
    // no reason to keep a stopping process alive
    timer.unref?.()
    this.away.set(peer, { timer, since })
  }

  private needed (): boolean {
    return this.carriedNotes().length > 0 || this.shortfall.short
  }

  /** The previous run's transfer notes, until a round of this run settles them (see notesCarried). */
  private carriedNotes (): string[] {
    return this.notesCarried ? this.d.interrupted() : []
  }

  /** Our chain went another way than its backups': no round settles that (a write must), so none is needed. */
  private conflicted (): void {
    this.notesCarried = false
    this.shortfall.forget()
  }

  /** One try: a round with the members connected now, if one is needed and could do better than the last. True once none is needed. */
  private async attempt (): Promise<boolean> {
    if (!this.running || !this.needed()) return true
    const members = this.d.members()
    // nobody to take the copy or be told to release it: a member that connects pokes the next try
    if (members.length === 0) return false
    const noted = this.carriedNotes()
    if (noted.length > 0) {
      // The vehicles the notes name, and k members, may still be connecting (a bootstrap peer first, the
      // rest through it): run now, the round would fall short of k, or pass over the vehicle that holds part
      // of the chain, which it takes first (a test's round sent the whole chain to another). So it waits a while
      const missing = noted.some(p => !members.includes(p)) || members.length < this.d.kBackups
      if (missing && performance.now() - this.startedAt < SETTLE_NOTED_WAIT) return false
    } else if (!this.d.looked() && !this.shortfall.carriedOver) {
      // No member has been asked about our chain since we started (we wrote alone): it may have gone
      // another way than the one they hold (a database lost), which a write's consensus asks the booth
      // first. The round after that write makes up the shortfall instead
      return false
    } else if (!await this.readyAfterRestart()) {
      return false
    } else if (!await this.couldDoBetter(members)) {
      // every member is a fresh backup already, failed lately or has no room: the round would sign an epoch for nothing
      return false
    }
    const outcome = await this.d.round(await this.participants(members, noted.length > 0)).catch((err: Error) => {
      // our chain went another way than its backups': the writes are refused until the operator acts
      // (VGuardDB.checkOwnConflict), and a round again every 30 s would only find it again
      if (err.name === 'OwnChainConflictError') this.conflicted()
      throw err
    })
    this.d.log('round of our chain without a write: epoch %d, %s, active %s, obsolete %s', outcome.epoch, outcome.complete ? 'complete' : 'still short of k', outcome.active.join(', '), outcome.obsolete.join(', '))
    return !this.needed()
  }

  /**
   * Whom the round offers our chain to: the members of our chain's next
   * booth when one of them could be a fresh backup, else every member. A
   * round for noted transfers offers it to all (it must reach those the
   * notes name, which hold part of it).
   */
  private async participants (members: string[], noted: boolean): Promise<string[]> {
    if (noted) return members
    const booth = this.d.preferred?.() ?? []
    const preferred = members.filter(p => booth.includes(p))
    return preferred.length > 0 && await this.couldDoBetter(preferred) ? preferred : members
  }

  /** Some connected member could be a fresh backup the last round did not make. */
  private async couldDoBetter (members: string[]): Promise<boolean> {
    const eligible = await this.d.eligible(members)
    return this.shortfall.candidates(members, peer => eligible.has(peer)).length > 0
  }

  /**
   * A shortfall carried over from the previous run, before any round of this
   * one: our chain must hold what we voted for (a data dir restored from an
   * older copy catches up first), and the members must have shown what they
   * hold of it (the lookup a first round makes: tables newer than ours are
   * adopted, and one our chain conflicts with ends the idle rounds).
   */
  private async readyAfterRestart (): Promise<boolean> {
    if (this.d.looked()) return true
    if (await this.d.behind() != null) return false
    await this.d.lookUp()
    if (!this.d.looked()) return false
    if (await this.d.conflict() != null) {
      this.conflicted()
      return false
    }
    return true
  }
}
