/**
 * One replication round of a chain, phase 1 and the start of phase 2 of
 * VGuardDB: choose k backups among the booth's participants and bring each
 * one's copy up to our tip, durably, replacing one that fails by the next
 * candidate; then sign the new backup table (epoch + 1), persist it with the
 * releases it makes owed, and gossip it. Rounds of a chain never overlap
 * (round-queue.ts runs them one after the other).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger, PrivateKey } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'
import type { ChainTip } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { heldPoint, rankBackupCandidates, signTable } from '../backup/index.ts'
import type { BackupTable, BackupTableStore, Candidate } from '../backup/index.ts'
import type { ReplicateProgress, ReplicateResult, ReplicateService } from '../protocols/replicate/index.ts'
import { ReplicateRefusedError } from '../protocols/replicate/index.ts'
import { withDeadline } from '../protocols/stream.ts'
import type { VGuardNodeEvents } from './events.ts'
import type { ReleaseQueue } from './release-queue.ts'
import type { OwnFresh } from './own-fresh.ts'
import type { OwnChainTables } from './own-chain-tables.ts'
import type { BoothResultGossip } from './booth-result-gossip.ts'
import type { TransferNotes } from './transfer-notes.ts'
import type { RoundSummary } from './backup-shortfall.ts'
import { MAX_PARTICIPANTS } from './booth-input.ts'
import { errorLabel } from './errors.ts'
import { ReplicationStoppedError } from './replication-errors.ts'
import { reachedByAll, tableMembers } from './round-table.ts'

/** A round gives up on one backup after this long and tries the next candidate. */
const REPLICATE_TIMEOUT = 5 * 60_000

export interface ReplicationOutcome {
  chainId: string
  /** The tip the round's table covers; for endOfBooth, the height of the block it appended (the table covers it). */
  height: number
  epoch: number
  active: string[]
  obsolete: string[]
  /** False when fewer than k backups could take the chain (we keep as many as we could). */
  complete: boolean
  /** Why the round fell short, per candidate that failed. */
  failures: Array<{ peerId: string, error: string }>
  /** What each active backup was sent: resumedFrom is the height it already held. */
  transfers: Array<{ peerId: string, resumedFrom: number, sentBlocks: number, sentBytes: number }>
}

/** What a round's transfers did (see transferAll). */
interface Transfers {
  /** The candidates that took the chain. */
  active: string[]
  /** Failed candidates that may have stored part of the chain before failing. */
  partial: string[]
  /** Of those, the ones whose transfer began: they hold part of the chain. */
  begun: string[]
  failures: ReplicationOutcome['failures']
  transfers: ReplicationOutcome['transfers']
  /** Where each fresh backup's transfer ended (at the tip the round began at, or past it: see topUp). */
  reached: ChainTip[]
}

export interface ReplicationRoundDeps {
  /** Our own chain's id. */
  self: string
  store: ChainStore
  kBackups: number
  privateKey: PrivateKey
  tables: Pick<BackupTableStore, 'get' | 'adopt'>
  replicate: Pick<ReplicateService, 'replicateTo'>
  releases: Pick<ReleaseQueue, 'peers' | 'prepare' | 'update'>
  transferNotes: Pick<TransferNotes, 'note' | 'interrupted' | 'recorded'>
  ownTables: Pick<OwnChainTables, 'looked' | 'checkBeforeRound' | 'noteHeld'>
  ownFresh: Pick<OwnFresh, 'note'>
  gossip: Pick<BoothResultGossip, 'publish'>
  events: TypedEventEmitter<VGuardNodeEvents>
  log: Logger
  /** Aborted when the node stops (VGuardDB's, made anew by each start). */
  stopSignal: () => AbortSignal
  /** Asks members for our own chain's newest table, bounded in time (VGuardDB.ownChainHolders). */
  lookUpOwnTable: () => Promise<void>
  isConnected: (peer: string) => boolean
  /** Storage figures members advertised (VGuardDBComponents.capacityHint). */
  capacityHint?: (peerId: string) => { free: number, held: number } | undefined
  /** A round of our own chain ended with a table (IdleRounds.noteRound). */
  noteOwnRound: (round: RoundSummary) => void
  /** @default Math.random */
  random?: () => number
  /** @default Date.now */
  now?: () => number
}

export class ReplicationRound {
  /** Transfers to backups running now, by `${chainId}\n${peer}`. */
  readonly transfers = new Map<string, ReplicateProgress>()
  private readonly d: ReplicationRoundDeps

  constructor (deps: ReplicationRoundDeps) {
    this.d = deps
  }

  /**
   * `idle`: no commit carries this round (idle-rounds.ts). It replaces no copy
   * that went another way (keepDiverged): only a write's round does, after
   * its consensus asked the booth whether our chain is the one they hold.
   */
  async run (chainId: string, participants: string[], idle = false): Promise<ReplicationOutcome> {
    const { store, kBackups, self } = this.d
    if (this.d.stopSignal().aborted) throw await this.stopped(chainId)
    if (chainId === self && !this.d.ownTables.looked) {
      // A data dir restored from an older copy holds an older table than its
      // backups do: signed after it, this round's epoch would be one they
      // already hold, and every node that holds the newer one would ignore
      // it. The members show the newest (adopted by the lookup) first; asked
      // again by the next round until one answers.
      await this.d.lookUpOwnTable()
    }
    const tip = await store.tip(chainId)
    const info = await store.info(chainId)
    const chainBytes = info?.bytes ?? 0
    const current = this.d.tables.get(chainId)?.table
    if (chainId === self) {
      await this.d.ownTables.checkBeforeRound(current)
    }
    const { order, skipped } = this.candidates(chainId, participants, current, chainBytes)
    const epoch = (current?.epoch ?? 0) + 1
    const sent = await this.transferAll(chainId, order, current, epoch, idle)
    const { active, failures, transfers } = sent
    if (kBackups === 0) active.length = 0
    const complete = active.length >= kBackups
    // cut short by the stop, the round signs no table: it would say the candidates fell short (a probe's answer
    // read "only 0 of 2 backups could take the chain"); its transfers are noted, the next run's round settles them
    if (!complete && this.d.stopSignal().aborted) throw await this.stopped(chainId)
    if (!complete) failures.push(...skipped)

    const { kept, named, resumable, obsoleteAll, obsolete } = tableMembers({
      kBackups,
      complete,
      previousActive: current?.active ?? [],
      active,
      partial: sent.partial,
      begun: sent.begun,
      owed: this.d.releases.peers(chainId),
      interrupted: this.d.transferNotes.interrupted(chainId)
    })
    // A round that refreshed no backup names the chain's new tip all the same (readers must see that
    // what the backups serve is older, and a quorum read that it is short), with the point the backups
    // it kept hold: signing only the tip, a vehicle that lost its database then found no holder that
    // led to it, and every write failed for good (docs/consensus.md)
    const held = active.length === 0 ? (current != null ? heldPoint(current) : { height: 0, hash: new Uint8Array(0) }) : undefined
    // the transfers topped up to the blocks committed while they ran: the table names what every fresh backup holds
    const covered = reachedByAll(tip, sent.reached)
    const signed = await signTable(this.d.privateKey, self, {
      chainId, epoch, active: named, obsolete, height: covered.height, tipHash: covered.hash, timestamp: (this.d.now ?? Date.now)(), held
    })
    // read from our store (its transfers sent up to it) and named by the table: the next round's check needs no read
    if (chainId === self && active.length > 0) this.d.ownTables.noteHeld({ height: covered.height, hash: covered.hash })
    // which of the backups it names are fresh, which the table cannot say: a restart starts from it (own-fresh.ts)
    if (chainId === self) await this.d.ownFresh.note(epoch, active)
    await this.d.releases.prepare(chainId, obsoleteAll)
    await this.d.tables.adopt(signed.signed, chainId)
    // gossip is a hint: the backups the table names get it straight away too,
    // until each acknowledges it (release-queue.ts), so their copy is claimed
    // even if the gossip is lost (an unclaimed copy falls under retention)
    await this.d.releases.update(chainId, obsoleteAll, named)
    await this.d.transferNotes.recorded(chainId, resumable)
    // a round without a write takes every connected member as a participant: past the bound receivers decode
    // (MAX_PARTICIPANTS), its gossip was dropped as invalid in a fleet of more than 64 (a review)
    this.d.gossip.publish({ chainId, height: covered.height, tipHash: covered.hash as Uint8Array<ArrayBuffer>, participants: participants.slice(0, MAX_PARTICIPANTS), table: signed.signed as Uint8Array<ArrayBuffer> })
    this.d.events.safeDispatchEvent('backup:table', { detail: { chainId, epoch, active: named, obsolete, height: covered.height } })
    if (!complete) this.d.log('only %d of %d backups for %s at epoch %d (%d older copies kept)', active.length, kBackups, chainId, epoch, kept.length)
    // a member ruled out by the room it advertises was not tried: not paused as one that failed (it said so on
    // /status, and a member that freed room waited out a pause doubled by every round short of k: a review)
    if (chainId === self) this.d.noteOwnRound({ complete, failures: failures.filter(f => !skipped.some(s => s.peerId === f.peerId)), transfers })
    return { chainId, height: covered.height, epoch, active: named, obsolete, complete, failures, transfers }
  }

  /** The members a round of our chain could take as backups, by what they advertise (rankBackupCandidates). */
  async eligible (members: string[]): Promise<Set<string>> {
    const { self } = this.d
    const chainBytes = (await this.d.store.info(self))?.bytes ?? 0
    const current = this.d.tables.get(self)?.table.active
    // which ones, not in what order: no draw from the random source
    return new Set(rankBackupCandidates({ candidates: this.hinted(members), self, chainBytes, current, random: () => 0 }))
  }

  /** The order the round tries its candidates in, and the participants it rules out by the room they advertise. */
  private candidates (chainId: string, participants: string[], current: BackupTable | undefined, chainBytes: number): { order: string[], skipped: ReplicationOutcome['failures'] } {
    const { self } = this.d
    const candidates = this.hinted(participants)
    // vehicles a transfer a crash cut short wrote to hold part of the chain, maybe all of it: kept as
    // current backups are (a probe's first round after the crash sent the whole chain to an empty one)
    const holding = [...(current?.active ?? []), ...this.d.transferNotes.interrupted(chainId)]
    const ranked = rankBackupCandidates({ candidates, self, chainBytes, current: holding, random: this.d.random ?? Math.random })
    // participants ruled out by the free space they advertise: reported if the round falls short
    const skipped = candidates
      .filter(c => c.peerId !== self && !ranked.includes(c.peerId))
      .map(c => ({ peerId: c.peerId, error: `NoCapacityError: advertises ${c.free ?? 0} bytes free, the chain needs ${chainBytes}` }))
    // The booth's participants first (V-Guard's choice); if they cannot make
    // k, the backups of the previous table that are not participants: they
    // hold most of the chain already, and otherwise the round would release
    // them with fewer than k copies left anywhere
    const fallback = (current?.active ?? []).filter(p => p !== self && !participants.includes(p))
    return { order: [...ranked, ...fallback], skipped }
  }

  /** Backup candidates with the free space and load they advertised (peer exchange). */
  private hinted (participants: string[]): Candidate[] {
    return participants.map(peerId => {
      const hint = this.d.capacityHint?.(peerId)
      return { peerId, free: hint?.free, load: hint?.held }
    })
  }

  /** The chain to candidates in `order` until k took it, or none is left, or the node stops. */
  private async transferAll (chainId: string, order: string[], current: BackupTable | undefined, epoch: number, idle: boolean): Promise<Transfers> {
    const { kBackups } = this.d
    const out: Transfers = { active: [], partial: [], begun: [], failures: [], transfers: [], reached: [] }
    const { active } = out
    let next = 0
    let inflight = 0
    // at most k transfers at a time, and never more than k successes: a copy
    // made beyond k would be held by a vehicle no table names
    const worker = async (): Promise<void> => {
      while (active.length + inflight < kBackups && next < order.length && !this.d.stopSignal().aborted) {
        const peer = order[next++]
        inflight++
        // a vehicle with no connection whose dial fails stored nothing; one we
        // were connected to may have stored frames before it failed
        const connected = this.d.isConnected(peer)
        let started = false
        try {
          await this.d.transferNotes.note(chainId, peer, current)
          const result = await this.replicateOne(peer, chainId, epoch, idle, () => { started = true })
          active.push(peer)
          out.reached.push({ chainId, height: result.height, hash: result.tipHash })
          out.transfers.push({ peerId: peer, resumedFrom: result.resumedFrom, sentBlocks: result.sentBlocks, sentBytes: result.sentBytes })
        } catch (err) {
          const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
          this.d.log('backup %s failed for %s: %s', peer, chainId, message)
          out.failures.push({ peerId: peer, error: message })
          // a backup that refused at the offer (no room, not allowed), or whose diverged copy an idle round left, stored
          // nothing; told by the refusal's status, not its message, which carries the backup's own words (an ERROR
          // whose text said "FORBIDDEN" passed for one, and that backup's partial copy was never released: a review)
          const refusedAtOffer = err instanceof Error && (err.name === 'NoCapacityError' || err.name === 'DivergedCopyError' ||
            (err instanceof ReplicateRefusedError && err.status === 'FORBIDDEN'))
          if (started || (connected && !refusedAtOffer)) out.partial.push(peer)
          if (started) out.begun.push(peer)
        } finally {
          inflight--
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, kBackups) }, worker))
    return out
  }

  private async replicateOne (peer: string, chainId: string, epoch: number, keepDiverged: boolean, onStarted: () => void): Promise<ReplicateResult> {
    const key = `${chainId}\n${peer}`
    // sentBytes as the writer counts it: a transfer that failed told the bytes it sent, not only those
    // acknowledged by then (a backup that failed before its first acknowledgement was told 0: a probe, 2026-12-03)
    const reached = { sentBytes: 0, height: 0 }
    try {
      const result = await withDeadline(REPLICATE_TIMEOUT, async (signal) => await this.d.replicate.replicateTo(peerIdFromString(peer), chainId, {
        epoch,
        signal,
        // a write committed while the round runs is covered by it, not by the next one (see VGuardDB.afterCommit)
        topUp: true,
        keepDiverged,
        onSent: (bytes) => { reached.sentBytes = bytes },
        onProgress: (p) => {
          onStarted()
          reached.height = p.height
          this.transfers.set(key, p)
          this.d.events.safeDispatchEvent('replicate:progress', { detail: p })
        }
      }), 'replication unfinished', this.d.stopSignal())
      this.d.events.safeDispatchEvent('replicate:finished', { detail: { chainId, peer, sentBytes: result.sentBytes, height: result.height } })
      return result
    } catch (err) {
      this.d.events.safeDispatchEvent('replicate:finished', { detail: { chainId, peer, ...reached, error: errorLabel(err) } })
      throw err
    } finally {
      this.transfers.delete(key)
    }
  }

  /** The node is stopping: no round, or no more of this one. The blocks are committed all the same. */
  private async stopped (chainId: string): Promise<ReplicationStoppedError> {
    // a caller must not take this for a failed write and append it again
    const held = await this.d.store.tip(chainId).catch(() => undefined)
    return new ReplicationStoppedError(`no replication round for ${chainId}: the node is stopping${held != null && held.height > 0 ? `; its blocks up to height ${held.height} are committed (backups get them with a later round)` : ''}`)
  }
}
