/**
 * Whether this vehicle's own chain is back after its database was lost, or
 * behind what its backups hold (a data dir restored from an older copy),
 * and fetching it from its holders: the checks a first write, a read and a
 * leader read of the chain make before this node answers for it. The
 * record of which database wrote the chain is OwnChainMarker's; the fetch
 * itself is recoverOwnChain's (own-chain-recovery.ts).
 */
import type { Logger } from '@libp2p/interface'
import type { ChainStore } from '../storage/index.ts'
import { heldPoint } from '../backup/index.ts'
import type { VGuardDB } from './vguarddb.ts'
import type { PaxosDriver } from './paxos-driver.ts'
import { recoverOwnChain } from './own-chain-recovery.ts'
import { OWN_CHAIN_FILE } from './own-chain-marker.ts'
import type { OwnChainMarker } from './own-chain-marker.ts'
import { ChainRecoveryError, OWN_CONFLICT_RECOVERY, OwnChainConflictError } from './consensus-errors.ts'

/** How long the first own block of a run waits for members to show our chain's newest table. */
const OWN_LOOKUP_TIMEOUT = 2_000
/** How long a read check of our own chain that found it not behind, with no member answering (alone), stands. */
const OWN_CHECK_REUSE_ALONE = 30_000
/** How long one that found it behind stands (while its backups are asked for the rest). */
const OWN_CHECK_REUSE_BEHIND = 2_000

/** A check of our own chain for reads: its outcome (why it cannot be read from the store, or undefined), and until when it stands once known. */
interface OwnCheck {
  result: Promise<string | undefined>
  until?: number
}

/** What the checks need of the node. */
export interface OwnChainReturnDeps {
  readonly self: string
  readonly log: Logger
  readonly chains: ChainStore
  readonly vguarddb: Pick<VGuardDB, 'tables' | 'ownChainHolders' | 'ownTableConflict'>
  readonly driver: Pick<PaxosDriver, 'hasOwn' | 'ownStarted' | 'own' | 'fetchVouched' | 'ownDecidedByConsensus'>
  /** Which database wrote our chain, once start() opened the record. */
  marker: () => OwnChainMarker | undefined
  /** Runs a step in turn with our own chain's writes (Consensus.throughOwnGate). */
  throughOwnGate: <T>(step: () => Promise<T>) => Promise<T>
}

export class OwnChainReturn {
  private readonly d: OwnChainReturnDeps
  /** This run made sure our own chain is not behind what our backups hold (caughtUp). */
  private isCaughtUp = false
  /** The newest check of our own chain for reads (behind), shared by the reads made meanwhile. */
  private lastCheck?: OwnCheck
  /** Our own chain has consensus state (driver.ownStarted, which reads the consensus store, said so once). */
  private startedSeen = false
  /** This run's replica of our own chain led it and applied what its phase 1 recovered (ledAgain). */
  private led = false
  /** This run found our chain owed by its booth (unbackedByBooth): with no table, it stays so until led. */
  private owing = false

  constructor (deps: OwnChainReturnDeps) {
    this.d = deps
  }

  /** A new run: nothing checked yet. */
  reset (): void {
    this.isCaughtUp = false
    this.lastCheck = undefined
    this.led = false
    this.owing = false
  }

  /**
   * Our replica of our own chain leads it and its store applied what its
   * phase 1 recovered (a confirmed leader read's index): what its booth
   * decided is back, and the database that lost it is replaced.
   */
  async ledAgain (): Promise<void> {
    this.led = true
    this.lastCheck = undefined
    const marker = this.d.marker()
    // not while the chain is short of what its backups hold for another reason (caughtUp claims it then)
    if (marker?.lost === true && this.lostReason((await this.d.chains.tip(this.d.self)).height) == null) await marker.claim()
  }

  /** Whether our chain waits for its booth to hand back what it decided (unbackedByBooth): our replica must lead it again. */
  async owedByBooth (): Promise<boolean> {
    return this.unbackedByBooth((await this.d.chains.tip(this.d.self)).height) != null
  }

  /**
   * Why this node cannot answer a read of its own chain from its store, if
   * it cannot: it lost part of it (a database lost, a data dir restored)
   * and has not got it back from its backups. Its "no such key" would say
   * a committed key never was (a probe); readers go on to the backups.
   * Once this run checked (as a first write does), or with consensus state
   * (its replica answers for the chain), nothing is asked. Else one lookup
   * serves every read made meanwhile, and its answer stands for a while
   * (reads queued behind a write's turn, or one 2 s lookup each while no
   * member answered, cost a review seconds per read). The fetch of what the
   * backups hold runs in turn with writes, which append to the chain.
   */
  async behind (): Promise<string | undefined> {
    if (this.isCaughtUp || this.d.driver.hasOwn()) {
      // checked, or its replica opened: not back while lost (a review: with no table, as no backup ever
      // took the chain, its replica opening answered "no value" for acknowledged keys), then short of our
      // newest table while the booth hands over what no backup took (phase 1), or for good if it cannot
      // (a probe: "no value" for an acknowledged key)
      const lost = await this.lost()
      if (lost != null) return `${this.d.self} lost its database and ${lost}`
      const table = this.d.vguarddb.tables.get(this.d.self)?.table
      if (table == null) return undefined
      const tip = await this.d.chains.tip(this.d.self)
      return tip.height >= table.height
        ? undefined
        : `${this.d.self} is behind its own chain: it was written up to height ${table.height}, this node holds it up to ${tip.height} (its booth and backups are asked for the rest)`
    }
    const now = performance.now()
    const last = this.lastCheck
    if (last != null && (last.until == null || now < last.until)) return await last.result
    const check: OwnCheck = { result: this.check() }
    this.lastCheck = check
    const result = await check.result
    check.until = performance.now() + (result == null ? OWN_CHECK_REUSE_ALONE : OWN_CHECK_REUSE_BEHIND)
    return result
  }

  /** Whether our own chain has consensus state (once it has, it keeps it: not asked of the store again). */
  async started (): Promise<boolean> {
    if (!this.startedSeen) this.startedSeen = await this.d.driver.ownStarted()
    return this.startedSeen
  }

  /** The check of behind(): never throws (a lookup that fails is nobody answering). */
  private async check (): Promise<string | undefined> {
    try {
      // before its consensus state: a restart while its booth hands the chain back has that state already
      const owed = this.unbackedByBooth((await this.d.chains.tip(this.d.self)).height)
      if (owed != null) return `${this.d.self} lost its database and ${owed} (${this.d.marker()?.describe() ?? ''})`
      if (await this.started()) return undefined
      const { answered } = await this.d.vguarddb.ownChainHolders({ signal: AbortSignal.timeout(OWN_LOOKUP_TIMEOUT) }).catch(() => ({ answered: 0 }))
      const table = this.d.vguarddb.tables.get(this.d.self)?.table
      const tip = await this.d.chains.tip(this.d.self)
      const lost = (table == null || table.height <= tip.height) ? this.lostReason(tip.height) : undefined
      if (lost != null) return `${this.d.self} lost its database and ${lost} (${this.d.marker()?.describe() ?? ''})`
      if (table == null || table.height <= tip.height) {
        if (answered > 0) this.isCaughtUp = true
        return undefined
      }
      this.d.throughOwnGate(async () => {
        if (await this.d.driver.ownStarted()) return
        await this.caughtUp()
        // what no backup took comes back through the booth that decided it (checkUnheldBlocks)
        if ((await this.d.chains.tip(this.d.self)).height < table.height) await this.d.driver.own()
      }).catch((err: Error) => {
        this.d.log('own chain not fetched for a read: %s', err.message)
      })
      const held = heldPoint(table).height
      return `${this.d.self} is behind its own chain: ` + (held > tip.height
        ? `its backups hold it up to height ${held}, this node up to ${tip.height} (it is asking them for the rest)`
        : `it was written up to height ${table.height} (its backups took it up to ${held}), this node holds it up to ${tip.height} (it is asking its booth for the rest)`)
    } catch (err) {
      // the node stopping under the check: the read fails on its own
      this.d.log('own chain check failed: %s', (err as Error).message)
      return undefined
    }
  }

  /**
   * Fetches our chain from `holders` up to what our newest table says its
   * backups hold (its tip, unless rounds since refreshed none), when that is
   * past our tip.
   *
   * @throws OwnChainConflictError when a holder's next block does not follow our tip; ChainRecoveryError when none hands it over
   */
  private async fetchToTable ({ holders, named }: { holders: string[], named: string[] }): Promise<void> {
    const table = this.d.vguarddb.tables.get(this.d.self)?.table
    const tip = await this.d.chains.tip(this.d.self)
    const held = table != null ? heldPoint(table) : undefined
    if (held == null || held.height <= tip.height) return
    const from = await recoverOwnChain({
      chainId: this.d.self,
      height: held.height,
      hash: held.hash,
      holders: async () => holders,
      named: async () => named,
      fetch: async (peer, vouch) => { await this.d.driver.fetchVouched(peer, this.d.self, vouch) },
      tipHeight: tip.height
    }).catch(async (err: Error) => {
      if (err.name === 'OwnChainConflictError') await this.d.marker()?.clearConsensus()
      throw err
    })
    this.d.log('own chain fetched up to height %d from %s (this node held %d)', held.height, from, tip.height)
  }

  /**
   * Our consensus asks, a booth member's chain point not being where our
   * chain stood (PointProof.run, chain-points.ts): whether our own tables
   * prove our chain went another way than its backups' — one naming another
   * block where ours holds one, or, our chain short of the newest, a holder
   * whose next block does not follow our tip (an OwnChainConflictError to
   * fail writes with). Undefined: nothing proven.
   */
  async againstTables (): Promise<Error | undefined> {
    const known = await this.d.vguarddb.ownChainHolders({ signal: AbortSignal.timeout(OWN_LOOKUP_TIMEOUT) }).catch(() => ({ holders: [], named: [] }))
    const conflict = await this.d.vguarddb.ownTableConflict()
    if (conflict != null) {
      return new OwnChainConflictError(`${this.d.self}'s chain went another way than the one its backups hold: ${conflict.message}. Nothing was written. ${OWN_CONFLICT_RECOVERY}`)
    }
    try {
      await this.fetchToTable(known)
    } catch (err) {
      if ((err as Error).name === 'OwnChainConflictError') return err as Error
      this.d.log('own chain not checked against its backups: %s', (err as Error).message)
    }
    return undefined
  }

  /**
   * Before this run's first block of our own chain, when no consensus runs on
   * it (its blocks all came through endOfBooth, or none yet): if our backups
   * hold more of it than we do (a data dir restored from an older copy, or
   * its database lost), those blocks are fetched first. Consensus would not
   * bring them back (it decided none of them), and a block appended on the
   * shorter chain would fork it. Asked once per run; a failure is said to
   * the writer and asked again by the next.
   *
   * @throws ChainRecoveryError when the backups hold more and none hands it over
   */
  async caughtUp (): Promise<void> {
    if (this.isCaughtUp) return
    const { holders, named, answered } = await this.d.vguarddb.ownChainHolders({ signal: AbortSignal.timeout(OWN_LOOKUP_TIMEOUT) }).catch(() => ({ holders: [], named: [], answered: 0 }))
    await this.fetchToTable({ holders, named })
    if (this.d.marker()?.lost === true) {
      // a new vehicle alone writes on; one that lost its database would begin its chain again beside the
      // one its backups hold, or go on from an obsolete backup's older copy beside the newer one
      const lost = this.lostReason((await this.d.chains.tip(this.d.self)).height)
      if (lost != null) throw new ChainRecoveryError(this.lostChainMessage(answered, lost))
    }
    await this.checkUnheldBlocks()
    const marker = this.d.marker()
    // not while its booth owes it blocks (ledAgain claims it then): a restart meanwhile must still know it was lost
    if (marker?.lost === true && this.unbackedByBooth((await this.d.chains.tip(this.d.self)).height) == null) await marker.claim()
    // nobody answered (none connected yet, or all slow): the next block asks again (a vehicle alone writes on)
    this.isCaughtUp = answered > 0
  }

  /**
   * Blocks our newest table names that no backup took (rounds that
   * refreshed none: the backups away, the other members without room) and
   * this node does not hold (its database lost, or restored from an older
   * copy). If consensus decided the chain, the booth that decided them holds
   * them still (members keep their log above what the backups hold): the replica's
   * phase 1 brings them back before it decides anything new. Otherwise they
   * were in the lost store only; a block appended now would take the height
   * of one that was acknowledged.
   *
   * @throws ChainRecoveryError
   */
  private async checkUnheldBlocks (): Promise<void> {
    const table = this.d.vguarddb.tables.get(this.d.self)?.table
    const tip = await this.d.chains.tip(this.d.self)
    if (table == null || table.height <= tip.height || await this.consensusRan()) return
    const missing = `${this.d.self}'s backup table (epoch ${table.epoch}) names its chain up to height ${table.height}, ` +
      `but its backups took it up to height ${heldPoint(table).height} only (the rounds after refreshed none) and this node holds it up to ${tip.height}: ` +
      `blocks ${tip.height + 1} to ${table.height} were acknowledged, and our consensus never ran on the chain (no block here carries a ballot, and the data dir records none), so no booth holds them`
    // no own-chain file: the operator said the chain is lost for good (or the data dir went whole but
    // its key, which nothing can tell): it writes on from what its backups hold
    if (this.d.marker()?.finding.kind === 'none') {
      this.d.log.error('%s; writing on from height %d (%s names no database)', missing, tip.height, OWN_CHAIN_FILE)
      return
    }
    throw new ChainRecoveryError(`${missing}. Nothing was written; the next write asks again. If those blocks are lost for good, stop the node, ` +
      `delete ${this.d.marker()?.path ?? OWN_CHAIN_FILE} and start it: it writes on from height ${tip.height}`)
  }

  /**
   * Whether our consensus ran on our own chain, whatever this database
   * holds of it: a block it decided (a ballot), or the record outside the
   * database (OwnChainMarker.consensus; a database lost before any such
   * block reached a backup).
   */
  async consensusRan (): Promise<boolean> {
    return this.d.marker()?.consensus != null || await this.d.driver.ownDecidedByConsensus()
  }

  /** Why our own chain counts as lost (our database lost, none of the chain back yet), if it does: for /status. */
  async lost (): Promise<string | undefined> {
    const marker = this.d.marker()
    if (marker == null) return undefined
    const height = (await this.d.chains.tip(this.d.self)).height
    const lost = this.notBack(height)
    return lost == null ? undefined : `${marker.describe()}: it ${lost}`
  }

  /** Why our chain is not back after our database was lost (lostReason, then unbackedByBooth), if it is not. */
  private notBack (height: number): string | undefined {
    return (this.d.marker()?.lost === true ? this.lostReason(height) : undefined) ?? this.unbackedByBooth(height)
  }

  /**
   * Why our chain is not back yet when our consensus ran on it before our
   * database was lost and this node holds nothing past where it began: the
   * blocks its booth decided come back only through the phase 1 of our
   * replica (with no backup table, nothing else says they exist: a review's
   * node answered "no value" for acknowledged keys, with k = 0). Until this
   * run's replica leads (ledAgain). Not a reason to refuse a write: the
   * write's replica runs that phase 1 first.
   */
  private unbackedByBooth (height: number): string | undefined {
    const marker = this.d.marker()
    const consensus = marker?.consensus
    // the file named another database at start: whether this one claimed it since (a booth recorded
    // while phase 1 re-decides a booth change) does not tell that the chain is back
    if (this.led || marker?.finding.kind !== 'lost' || consensus == null) return undefined
    // once owed, until led while no table says how far the chain goes: phase 1 applies what it recovered a few
    // blocks at a time (with a table, what the backups took counts, and behind() names what is short of it)
    const tabled = this.d.vguarddb.tables.get(this.d.self) != null
    if (height > consensus.start.height && (tabled || !this.owing)) return undefined
    this.owing = true
    return `has not got its chain back yet: its booth (${consensus.booth.join(', ')}) holds the blocks our consensus decided past height ${consensus.start.height}, ` +
      'handed back once this node leads the chain again (a majority of that booth connected)'
  }

  /**
   * Why our chain is not back yet, if our database was lost (OwnChainMarker):
   * none of it fetched, or only up to a table older than the one the lost
   * database had reached (an obsolete backup answered, its newer ones away).
   * Undefined once it is back (the next write claims it).
   */
  private lostReason (height: number): string | undefined {
    const marker = this.d.marker()
    if (marker?.lost !== true) return undefined
    // with consensus run on it, what no backup holds comes back from its booth (phase 1)
    if (height === 0 && marker.consensus == null) return 'has not got its chain back from the vehicles that hold it'
    const table = this.d.vguarddb.tables.get(this.d.self)?.table
    if ((table?.epoch ?? 0) >= marker.lostEpoch && (table == null || heldPoint(table).height <= height)) return undefined
    // no table at all: nobody was asked yet (a probe's status said its backups were away, both connected)
    if (table == null) return `has not got its chain back yet: no vehicle has shown it its chain's backup table (it asks its members as they connect; its database had reached epoch ${marker.lostEpoch})`
    return `has its chain back only up to height ${height} (backup table epoch ${table.epoch}), older than epoch ${marker.lostEpoch} its database had reached: ` +
      'the backups that hold the newer chain are away'
  }

  private lostChainMessage (answered: number, lost: string): string {
    const marker = this.d.marker() as OwnChainMarker
    const heard = answered === 0
      ? 'no vehicle answered (none connected, or none in time)'
      : `${answered} ${answered === 1 ? 'vehicle' : 'vehicles'} answered`
    const head = `this vehicle lost its database (${marker.describe()}): nothing was written; it writes its chain again only once it has ` +
      `it back from the vehicles that hold it, and it ${lost} (${heard}). The next write asks again.`
    const start = marker.consensus?.start.height ?? 0
    // its booth's decided blocks follow VGuard's first ones: begun anew without those, a probe had the booth's blocks land at other heights
    if (start > 0) return `${head} Its blocks 1 to ${start} came from VGuard before our consensus ran, and the blocks its booth decided follow them: only a vehicle that holds them brings the chain back`
    return `${head} If its chain is lost for good (it never reached a backup), stop the node, delete ${marker.path} and start it: it begins its chain anew at height 1`
  }
}
